"""Connectors, mating at contact level, and building the rig's netlist."""

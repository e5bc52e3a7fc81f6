"""Modified nodal analysis of the rig's passive network, and SPICE export."""

from signalchain.circuit.mna import Solution, solve

__all__ = ["Solution", "solve"]

"""Compile a wired rig into its signal graph: active stages joined by solved passive networks."""

from signalchain.graph.compile import SignalGraph, Stage, compile_rig

__all__ = ["SignalGraph", "Stage", "compile_rig"]

"""Which program channels each port carries, read off the solved circuit.

For diagrams and schedules: an output or input port carries a program source when the
source's 1 kHz level at one of the port's senses (an output's legs, an input's channels) is
within :data:`CARRIED_DB` of the strongest source there. Physics, not port names: a TS plug
that grounds a ring, a breakout cable or a summing Y all show as what they do.
"""

from __future__ import annotations

import numpy as np

from signalchain.graph.compile import SignalGraph
from signalchain.graph.response import respond

CARRIED_DB = 40.0
"""A source this far below a port's strongest is leakage, not carried."""
SILENT_V = 1e-7
"""Below this (per volt of program), a port carries nothing at all."""


def channels_at_ports(graph: SignalGraph, positions: dict[str, float] | None = None
                      ) -> dict[str, frozenset[str]]:
    """``device.port`` → the program sources it carries (outputs' legs, inputs' channels).

    Parameters
    ----------
    graph : SignalGraph
        The solved rig (:attr:`signalchain.Rig.graph`).
    positions : dict, optional
        Knob positions (the rig's by default); a knob at zero carries nothing.
    """
    resp = respond(graph, positions if positions is not None else graph.knob_positions,
                   np.array([graph.i_ref]))
    levels = np.abs(resp.program[0])  # (senses, sources)
    per_port: dict[str, np.ndarray] = {}
    for i, sense in enumerate(graph.built.netlist.senses):
        if sense.kind not in ("leg", "input"):
            continue
        key = f"{sense.device}.{sense.port}"
        per_port[key] = np.maximum(per_port.get(key, 0.0), levels[i])
    out: dict[str, frozenset[str]] = {}
    for port, level in per_port.items():
        top = float(level.max(initial=0.0))
        floor = max(top * 10 ** (-CARRIED_DB / 20), SILENT_V)
        out[port] = frozenset(src for src, v in zip(graph.sources, level, strict=True)
                              if v >= floor)
    return out

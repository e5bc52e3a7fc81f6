"""SPICE export of a rig's passive network, driven by one program channel, probing a listener."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from signalchain import thresholds as th
from signalchain.errors import Diagnostic, UsageError
from signalchain.units import from_db

if TYPE_CHECKING:
    from signalchain.rig import Rig

FREQ_RANGE_HZ = (1.0, 100e3)
"""Frequencies a netlist can be exported at."""


def _usage(message: str) -> UsageError:
    return UsageError([Diagnostic("error", message, code="bad-option")])


def listener_netlist(rig: Rig, listener: str, channel: str = "L",
                     freq_hz: float = 1000.0) -> str:
    """The rig's passive network as SPICE text, ``channel`` playing at −18 dBFS.

    The drives carry the reference program on ``channel`` at ``freq_hz`` (the circuit is
    solved again at exactly that frequency if it is not on the simulation grid); the
    listener's drivers are probed.

    Raises
    ------
    UsageError
        For an unknown listener or channel, or a frequency outside :data:`FREQ_RANGE_HZ`.
    """
    from signalchain.circuit.mna import solve
    from signalchain.circuit.spice import to_spice
    from signalchain.graph.response import respond

    low, high = FREQ_RANGE_HZ
    if not (np.isfinite(freq_hz) and low <= freq_hz <= high):
        raise _usage(f"--freq {freq_hz:g} is outside 1 Hz..100 kHz")
    graph = rig.graph
    sources = list(graph.sources)
    if channel not in sources:
        raise _usage(f"unknown channel {channel!r}; valid: {', '.join(sources)}")
    built = rig.built
    if listener not in built.listeners:
        raise _usage(f"no listener {listener!r}; listeners: {', '.join(built.listeners)}")
    fi = int(np.argmin(np.abs(graph.freqs_hz - freq_hz)))
    if abs(graph.freqs_hz[fi] - freq_hz) > 1e-6 * freq_hz:  # solve exactly at that frequency
        from dataclasses import replace

        graph = replace(graph, solution=solve(built.netlist, np.array([freq_hz])), i_ref=0)
        fi = 0
    resp = respond(graph, graph.knob_positions)
    k = sources.index(channel)
    drives = resp.drive_from_noise[fi] @ (resp.gains[:, None] * graph.program_map)[:, k]
    level = float(from_db(th.REFERENCE_DBFS))
    values = dict(zip(graph.solution.columns[:graph.n_drive], drives * level, strict=True))
    probes = [(f"{who}:{side}", f"{who}.{side}", f"{who}.common")
              for who, side in graph.ears if who == listener]
    title = (f"{rig.name or rig.doc.filename}: program {channel} at {th.REFERENCE_DBFS:g} dBFS, "
             f"{freq_hz:g} Hz")
    return to_spice(built.netlist, freq_hz, values, probes=probes, title=title)

"""The data behind the report's plots: each answers a question about the rig by simulating it.

* :func:`hiss_vs_knob` — "lower the interface, raise the amp": hiss at the ear against the
  first knob on a listener's path, the last knob set so that the listener stays at the
  target level, with the best setting.
* :func:`hum_vs_length` — hum at the ear against the length of a cable between two earthed
  devices, for the cable as written and the others that fit (balanced or unbalanced).
* :func:`ear_responses` — each ear's frequency response (output impedance × the headphones'
  impedance curve), from the simulation.

Everything is computed by the same circuit as ``simulate``; nothing here is a formula of
its own.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from signalchain import thresholds as th
from signalchain.arrays import FloatArray

if TYPE_CHECKING:
    from signalchain.results import Evaluation
    from signalchain.rig import Rig, Topology

KNOB_POINTS = 24
HUM_LENGTHS_M = (0.5, 1.0, 2.0, 4.6, 10.0, 20.0, 30.0)
"""Cable lengths of the hum sweep (4.6 m is the 15 ft of the seed articles)."""
MAX_ALTERNATIVE_CABLES = 2


@dataclass(frozen=True)
class HissSweep:
    """Hiss at equal loudness against the first knob on a listener's path.

    ``hiss_dba[i]`` is NaN where the last knob cannot bring the listener to the target
    (``reachable`` False) and ``clips[i]`` where the music's peaks clip there.
    """

    listener: str
    knob: str
    """The swept knob (``scarlett.headphones``)."""
    follower: str
    """The knob set for equal loudness (``hm4.out1``)."""
    target_spl_db: float
    positions: FloatArray
    follower_positions: FloatArray
    hiss_dba: FloatArray
    reachable: np.ndarray
    clips: np.ndarray

    @property
    def best(self) -> int | None:
        """Index of the least hiss among the usable points (reachable, not clipping)."""
        ok = self.reachable & ~self.clips & np.isfinite(self.hiss_dba)
        if not ok.any():
            return None
        return int(np.flatnonzero(ok)[np.argmin(self.hiss_dba[ok])])


def _knobs_on_path(rig: Rig, ev: Evaluation, listener: str) -> list[str]:
    """The physical knobs on a listener's path, each once (two line outs share one)."""
    graph = rig.graph
    return list(dict.fromkeys(f"{graph.stages[s].device}.{graph.stages[s].knob}"
                              for s in ev.listener(listener).stages_on_path
                              if graph.stages[s].knob and graph.stages[s].physical))


def _follower_gain_positions(rig: Rig, knob: str) -> tuple[FloatArray, FloatArray]:
    """A fine grid of a knob's positions and its stage's relative gain there."""
    graph = rig.graph
    stage = next(s for s in graph.stages.values() if f"{s.device}.{s.knob}" == knob)
    grid = np.linspace(0.0, 1.0, 2001)
    gains = np.array([graph.knob_gain(stage, {knob: float(x)}) for x in grid])
    return grid, gains / graph.knob_gain(stage, {knob: 1.0})


def hiss_vs_knob(rig: Rig, evaluation: Evaluation, listener: str,
                 target_spl_db: float = th.DEFAULT_TARGET_SPL_DB) -> HissSweep | None:
    """Sweep the first knob on the path; None if the path has fewer than two knobs.

    The circuit is linear, so the level scales with the follower's gain: one simulation
    finds the follower's setting for each point and a second gives its hiss.
    """
    knobs = _knobs_on_path(rig, evaluation, listener)
    if len(knobs) < 2:
        return None
    knob, follower = knobs[0], knobs[-1]
    grid, rel = _follower_gain_positions(rig, follower)
    base = dict(evaluation.knobs)
    positions = np.linspace(0.05, 1.0, KNOB_POINTS)
    follow, hiss = np.full(KNOB_POINTS, np.nan), np.full(KNOB_POINTS, np.nan)
    reachable, clips = np.zeros(KNOB_POINTS, bool), np.zeros(KNOB_POINTS, bool)
    for i, x in enumerate(positions):
        at_full = rig.simulate({**base, knob: float(x), follower: 1.0}).listener(listener)
        need = 10 ** ((target_spl_db - at_full.program_spl_db) / 20)  # of the follower's max
        if not math.isfinite(need) or need > 1.0:
            continue
        follow[i] = float(np.interp(need, rel, grid))
        lf = rig.simulate({**base, knob: float(x), follower: follow[i]}).listener(listener)
        reachable[i] = True
        hiss[i] = lf.noise_spl_dba
        peaks = th.REFERENCE_DBFS + th.PROGRAM_CREST_DB
        clips[i] = lf.clips_at_dbfs is not None and lf.clips_at_dbfs < peaks
    return HissSweep(listener, knob, follower, target_spl_db, positions, follow, hiss,
                     reachable, clips)


@dataclass(frozen=True)
class HumSweep:
    """Hum at the ear against the length of one cable, per cable type that fits."""

    listener: str
    cable_id: str
    written: str
    lengths_m: FloatArray
    hum_dba: dict[str, FloatArray]
    """Cable catalog id → hum (dBA) at each length."""


def _earthed(topo: Topology) -> set[str]:
    """Devices whose ground is the mains earth: earthed ones, and USB-powered ones on them."""
    earthed = {d.id for d in topo.devices if d.power == "mains-earthed"}
    bus = {d.id for d in topo.devices if d.power == "usb-bus"}
    for cable in topo.cables:
        devices = {p.device for p in cable.ports}
        if devices & earthed and devices & bus:
            earthed |= devices & bus
    return earthed


def _earthed_link(rig: Rig) -> tuple[int, str] | None:
    """(connection index, cable id) of an analogue cable between two earthed devices."""
    topo = rig.topology()
    earthed = _earthed(topo)
    host = {str(p.ref) for d in topo.devices for p in d.ports if p.signal == "host"}
    for cable in topo.cables:
        devices = {p.device for p in cable.ports}
        analogue = cable.item is not None and not host & {str(p) for p in cable.ports}
        if analogue and len(devices) == 2 and devices <= earthed:
            return cable.index, cable.item or ""
    return None


def hum_vs_length(rig: Rig, evaluation: Evaluation) -> HumSweep | None:
    """Hum against the length of the cable between two earthed devices; None if none."""
    from signalchain.errors import RigError
    from signalchain.schema.cable import CableSpec

    link = _earthed_link(rig)
    if link is None or not evaluation.listeners:
        return None
    index, written = link
    data = rig.to_dict()
    listener = max(evaluation.listeners, key=lambda lf: lf.hum_spl_dba).id
    others = [i for i, e in sorted(rig.catalog.entries.items()) if isinstance(e, CableSpec)
              and e.kind == "cable" and len(e.ends) == 2 and i != written]
    curves: dict[str, FloatArray] = {}
    for item in [written, *others]:  # a cable that does not fit these sockets is skipped
        if len(curves) > MAX_ALTERNATIVE_CABLES:
            break
        levels = []
        try:
            for length in HUM_LENGTHS_M:
                conns = [dict(c) for c in data["connections"]]
                conns[index] = {**conns[index], "cable": item, "length": f"{length} m"}
                ev = rig.with_connections(conns).simulate(dict(evaluation.knobs))
                levels.append(ev.listener(listener).hum_spl_dba)
        except RigError:
            continue  # does not fit these sockets
        curves[item] = np.array(levels)
    return HumSweep(listener, f"C{index + 1:02d}", written, np.array(HUM_LENGTHS_M), curves)


def ear_responses(rig: Rig, evaluation: Evaluation, listener: str
                  ) -> tuple[FloatArray, dict[str, FloatArray]]:
    """(frequencies in Hz, side → level re 1 kHz in dB) for each ear of a listener."""
    lf = evaluation.listener(listener)
    return rig.graph.freqs_hz, {side: np.asarray(ear.response_db, dtype=float)
                                for side, ear in lf.ears.items()}

"""Level windows along a listener's path, in the style of RaneNote 135's level diagrams.

For every stage the signal passes on its way to one listener (the interface's output, the
amp's input, the amp's output, the headphone drivers), the *window* from the stage's noise
floor to its clip point, and where the program sits in it: its average (the reference
program, 1 kHz at −18 dBFS RMS on every channel) and its peaks
(:data:`~signalchain.thresholds.PROGRAM_CREST_DB` above). Everything is a voltage at the
stage's own terminals in dBu, so the windows line up on one axis; headroom (clip − peak)
and noise margin (average − noise) can be read off at a glance.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from signalchain import thresholds as th
from signalchain import units
from signalchain.results import StageLimit

if TYPE_CHECKING:
    from signalchain.graph.compile import SignalGraph
    from signalchain.graph.response import Response
    from signalchain.results import Evaluation
    from signalchain.rig import Rig

WindowKind = Literal["output", "input", "drivers", "converter"]
UNHEARD_DBU = -200.0
"""A stage whose program average is below this is reached only by leakage (a microphone)."""


@dataclass(frozen=True)
class LevelWindow:
    """One stage's window on a listener's path (all levels in dBu at its terminals).

    Attributes
    ----------
    stage : str
        ``scarlett.headphones``, ``hm4.input`` or ``alice.drivers``.
    kind : {'output', 'input', 'drivers'}
        An active output, an active input, or the listener's headphone drivers.
    noise_dbu : float
        A-weighted noise at this point (−inf if none).
    clip_dbu : float or None
        Where it clips (the level of a sine at its limit); None if nothing limits it.
    average_dbu, peak_dbu : float
        The reference program here, and its peaks.
    limit : StageLimit or None
        What limits it.
    """

    stage: str
    kind: WindowKind
    noise_dbu: float
    clip_dbu: float | None
    average_dbu: float
    peak_dbu: float
    limit: StageLimit | None

    @property
    def headroom_db(self) -> float | None:
        """Clip point minus the program's peaks (negative: the peaks clip)."""
        return None if self.clip_dbu is None else self.clip_dbu - self.peak_dbu

    @property
    def noise_margin_db(self) -> float:
        """The program's average minus the noise floor."""
        return self.average_dbu - self.noise_dbu


def _dbu(volts: float) -> float:
    return float(units.v_to_dbu(volts)) if volts > 0 else -math.inf


def _path(graph: SignalGraph, stages: tuple[str, ...], inputs: tuple[str, ...]
          ) -> list[tuple[str, WindowKind]]:
    """The path in signal order: each device's inputs, then its output stage."""
    order: list[tuple[str, WindowKind]] = []
    for sid in stages:
        device = graph.stages[sid].device
        order += [(i, "input") for i in inputs if i.partition(".")[0] == device
                  and (i, "input") not in order]
        order.append((sid, "output"))
    return order


def _senses(graph: SignalGraph, point: str, kind: WindowKind, listener: str) -> list[int]:
    senses = graph.built.netlist.senses
    if kind == "drivers":
        return [graph.ear_senses[e] for e, (who, _s) in enumerate(graph.ears) if who == listener]
    want = "leg" if kind == "output" else "input"
    return [i for i, s in enumerate(senses) if s.kind == want and f"{s.device}.{s.port}" == point]


def _window(graph: SignalGraph, resp: Response, noise2: np.ndarray,
            headroom_by_stage: dict[str, tuple[float, StageLimit]], point: str,
            kind: WindowKind, listener: str) -> LevelWindow:
    from signalchain.evaluate import ear_noise_v2

    idx = _senses(graph, point, kind, listener)
    full_scale = np.abs(resp.program[graph.i_ref][idx, :]).sum(axis=1)  # 0 dBFS, every channel
    strongest = int(np.argmax(full_scale))
    v_full = float(full_scale[strongest])
    noise_v = math.sqrt(float(ear_noise_v2(graph, resp, noise2, [idx[strongest]])[0]))
    average = _dbu(v_full * units.from_db(th.REFERENCE_DBFS))
    peak = average + th.PROGRAM_CREST_DB
    key = f"{listener}.drivers" if kind == "drivers" else point
    room = headroom_by_stage.get(key)
    clip = None if room is None or v_full <= 0 else _dbu(v_full) + room[0]
    return LevelWindow(key, kind, _dbu(noise_v), clip, average, peak,
                       None if room is None else room[1])


def level_windows(rig: Rig, evaluation: Evaluation, listener_id: str
                  ) -> tuple[LevelWindow, ...]:
    """The windows of every stage on one listener's path, source first, drivers last.

    Parameters
    ----------
    rig : Rig
        The rig.
    evaluation : Evaluation
        Its simulation (the knob positions are taken from it).
    listener_id : str
        Whose path.
    """
    from signalchain.evaluate import headroom, stage_noise_v2
    from signalchain.graph.response import respond

    graph = rig.graph
    lf = evaluation.listener(listener_id)
    positions = dict(evaluation.knobs)
    resp = respond(graph, positions)
    noise2 = stage_noise_v2(graph, positions)
    rooms = headroom(graph, resp)
    points = [*_path(graph, lf.stages_on_path, lf.inputs_on_path),
              (listener_id, "drivers")]
    windows = (_window(graph, resp, noise2, rooms, point, kind, listener_id)
               for point, kind in points)
    # the recording half (microphones, preamp inputs) has a diagram of its own
    return tuple(w for w in windows if w.kind == "drivers" or w.average_dbu > UNHEARD_DBU)


def recording_windows(rig: Rig, evaluation: Evaluation, input_id: str
                      ) -> tuple[LevelWindow, ...]:
    """The windows along one recording input's path, for its loudest talker's voice.

    The microphone's output, a booster's input and output, the preamp's input (clip: the
    level that reaches 0 dBFS at its gain; noise: everything referred to the input) and the
    converter after the gain (in dBu at the preamp's gain, so 0 dBFS is ``dbu_at_0dbfs``).
    """
    from signalchain.evaluate import ear_noise_v2, stage_noise_v2
    from signalchain.graph.response import respond
    from signalchain.recording import SPEECH_CREST_DB, talker_pressures_pa

    graph = rig.graph
    positions = dict(evaluation.knobs)
    resp = respond(graph, positions)
    noise2 = stage_noise_v2(graph, positions)
    figures = next(f for f in evaluation.inputs if f.id == input_id)
    preamp = next(p for p in graph.preamps if p.id == input_id)
    loudest = max(figures.voices, key=lambda v: v.average_dbfs, default=None)
    t = graph.talkers.index(loudest.talker) if loudest else None
    pa = talker_pressures_pa(graph)[loudest.talker] if loudest else 0.0
    sense = graph.input_senses[preamp.slot]
    reach = np.abs(resp.noise[graph.i_ref][sense, :])
    feeding = tuple(dict.fromkeys(
        sid for j, sid in enumerate(graph.drive_stage) if reach[j] > 1e-9))
    inputs = tuple(f"{s.device}.{s.port}" for s in graph.built.netlist.senses
                   if s.kind == "input" and any(s.device == graph.stages[x].device
                                                for x in feeding))
    windows = []
    mics_first = sorted(_path(graph, feeding, inputs),
                        key=lambda pk: not (pk[0] in graph.stages and graph.stages[pk[0]].is_mic))
    for point, kind in mics_first:
        idx = _senses(graph, point, kind, "")
        level = (float(np.abs(resp.voice[graph.i_ref][idx, t]).max()) * pa
                 if t is not None and idx else 0.0)
        noise = math.sqrt(float(ear_noise_v2(graph, resp, noise2, idx[:1])[0])) if idx else 0.0
        limits = [graph.sense_limit[i] for i in idx if i in graph.sense_limit]
        clip = _dbu(min(limits)) if limits else None
        windows.append(LevelWindow(point, kind, _dbu(noise), clip, _dbu(level),
                                   _dbu(level) + SPEECH_CREST_DB,
                                   StageLimit("input" if kind == "input" else "swing",
                                              min(limits)) if limits else None))
    at_0dbfs = preamp.spec.dbu_at_0dbfs - figures.gain_db
    in_noise = figures.noise_dbfs_a + at_0dbfs
    average = figures.average_dbfs + at_0dbfs
    windows.append(LevelWindow(input_id, "input", in_noise, at_0dbfs, average,
                               average + SPEECH_CREST_DB,
                               StageLimit("input", units.dbu_to_v(at_0dbfs))))
    shift = figures.gain_db
    windows.append(LevelWindow(f"{preamp.device}.ADC {preamp.spec.channel}", "converter",
                               in_noise + shift,
                               at_0dbfs + shift, average + shift,
                               average + shift + SPEECH_CREST_DB,
                               StageLimit("input", units.dbu_to_v(at_0dbfs + shift))))
    return tuple(windows)

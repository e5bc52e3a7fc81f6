"""Analytic figures for every listener and ear: channels, polarity, SPL, hiss, hum, headroom.

All figures come from one :class:`~signalchain.graph.response.Response` of the
compiled graph; no wiring case is special-cased here. Warnings interpret the
numbers (a channel that reaches one ear only, opposite polarity in the two
ears, audible hiss ...), with thresholds documented in
:mod:`signalchain.thresholds`.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from signalchain import rules, units
from signalchain import thresholds as th
from signalchain.arrays import BoolArray, ComplexArray, FloatArray, IntArray
from signalchain.findings import Finding
from signalchain.gcpause import gc_paused
from signalchain.graph.compile import SignalGraph
from signalchain.graph.response import (
    Response,
    input_scale_many,
    knob_gains_many,
    respond,
    respond_many,
)
from signalchain.recording import (
    DEFAULT_RECORD_TARGET_DBFS,
    VoiceAtEar,
    input_figures,
    latency_findings,
    monitor_latency_ms,
    preamp_ear_noise_v2,
    recording_findings,
    voices_at_ears,
)
from signalchain.refs import KnobRef
from signalchain.results import (
    Assumption,
    ChannelAtEar,
    EarFigures,
    Evaluation,
    ListenerFigures,
    Polarity,
    StageHeadroom,
    StageLimit,
    VolumeControl,
)

SILENT_SPL_DB = 0.0
"""Program below 0 dB SPL at an ear is below the threshold of hearing: left out."""
UNREACHED_HEADROOM_DB = 200.0
"""A stage with more headroom than this for a 0 dBFS program is not on the program's path
(a microphone's booster, reached by the program only through ground leakage)."""
CLIP_TOLERANCE_DB = 1e-6
"""A stage exactly at its limit for a 0 dBFS sine (full scale = maximum output) does not
clip below 0 dBFS; this absorbs the solver's rounding."""


def stage_noise_v2(graph: SignalGraph, positions: Mapping[str, float]) -> FloatArray:
    """White noise density² (V²/Hz) injected at each drive column at these knob positions.

    ``N(a)² = N_min² + a²(N_max² − N_min²)``: post-knob noise is constant, pre-knob
    noise scales with the knob's gain ``a`` (electrical.md §4).
    """
    out: FloatArray = stage_noise_v2_many(graph, knob_gains_many(graph, [positions]))[0]
    return out


def stage_noise_v2_many(graph: SignalGraph, gains: FloatArray) -> FloatArray:
    """:func:`stage_noise_v2` at P knob settings, from the columns' gains (P, n_drive)."""
    def per_column() -> tuple[FloatArray, FloatArray, FloatArray]:
        stages = [graph.stages[sid] for sid in graph.drive_stage]
        return (np.array([st.gain for st in stages]),
                np.array([st.noise_min_v**2 for st in stages]),
                np.array([st.noise_max_v**2 - st.noise_min_v**2 for st in stages]))

    gain, n2_min, n2_span = graph.cached("stage-noise", per_column)
    with np.errstate(divide="ignore", invalid="ignore"):
        a = np.where(gain != 0, gains / np.where(gain != 0, gain, 1.0), 0.0)
    out: FloatArray = (n2_min + a**2 * n2_span) / graph.a_weight_norm
    return out


def ear_noise_v2(graph: SignalGraph, resp: Response, noise2: FloatArray,
                 ear_senses: Sequence[int] | slice | None = None) -> FloatArray:
    """A-weighted noise voltage² at each ear: ``Σ_f W_f Σ_j |G_ej(f)|² N_j²``.

    For a batch (:func:`~signalchain.graph.response.respond_many`) ``noise2`` is (P, n_drive)
    and the result (P, ears).
    """
    senses = graph.ear_senses if ear_senses is None else ear_senses
    g = resp.noise[..., senses, :]  # (…, F, ears, drives)
    *lead, n_f, n_e, n_d = g.shape
    # as one product per point over (frequency, ear) rows: no per-frequency matrices
    per_freq = ((g.real**2 + g.imag**2).reshape(*lead, n_f * n_e, n_d) @ noise2[..., None]
                ).reshape(*lead, n_f, n_e)
    out: FloatArray = graph.noise_weights @ per_freq
    return out


def ear_hum_v2(graph: SignalGraph, resp: Response,
               ear_senses: Sequence[int] | slice | None = None) -> FloatArray:
    """A-weighted hum voltage² at each ear, summed over the mains harmonics (…, ears)."""
    senses = graph.ear_senses if ear_senses is None else ear_senses
    index = [i for i, _level in graph.hum_points]
    level = np.array([lv for _i, lv in graph.hum_points])
    weight2 = units.a_weighting_gain(graph.freqs_hz[index]) ** 2
    hum_v = resp.hum_at(index)[..., senses, :].sum(axis=-1) * level[:, None]
    out: FloatArray = np.einsum("...he,h->...e", np.abs(hum_v) ** 2, weight2)
    return out


def ear_program_v(graph: SignalGraph, resp: Response, freq_slot: int | None = None,
                  ear_senses: Sequence[int] | None = None) -> ComplexArray:
    """Complex ear voltage per program channel at 1 kHz for the reference program (ears × ch).

    ``freq_slot`` is the 1 kHz index in ``resp`` when it was solved on a subset of the grid;
    a batch gives (P, ears, channels).
    """
    slot = graph.i_ref if freq_slot is None else freq_slot
    senses = graph.ear_senses if ear_senses is None else ear_senses
    out: ComplexArray = resp.program[..., slot, senses, :] * units.from_db(
        th.REFERENCE_DBFS)
    return out


def listener_program_spl(graph: SignalGraph, program_v: ComplexArray) -> dict[str, float]:
    """Loudest reference-program level (dB SPL) at either ear of each listener."""
    levels = listener_levels(graph, program_v[None])[0]
    return dict(zip(graph.built.listeners, (float(x) for x in levels), strict=True))


def listener_levels(graph: SignalGraph, program_v: ComplexArray) -> FloatArray:
    """:func:`listener_program_spl` for a batch: (P, ears, ch) gives (P, listeners)."""
    mags = np.abs(program_v).max(axis=-1)  # (P, ears)
    out = np.full((len(mags), len(graph.built.listeners)), -math.inf)
    for who_index, (who, ears) in enumerate(_ears_of(graph).items()):
        top = mags[:, ears].max(axis=1)
        with np.errstate(divide="ignore"):
            out[:, who_index] = np.where(top > 0, graph.sensitivity_db_per_v[who]
                                         + units.db(top), -math.inf)
    return out


def _ears_of(graph: SignalGraph) -> dict[str, list[int]]:
    """Each listener's ear indices (into :attr:`SignalGraph.ears`), in listener order."""
    def find() -> dict[str, list[int]]:
        found: dict[str, list[int]] = {who: [] for who in graph.built.listeners}
        for e, (who, _side) in enumerate(graph.ears):
            found[who].append(e)
        return found

    return graph.cached("ears-of", find)


def _sense_limit(name: str, kind: str, limit: float) -> StageLimit:
    if name.endswith(":cm:leg"):
        return StageLimit("common-mode-swing", limit)
    if name.endswith(":diff:leg"):
        return StageLimit("differential-swing", limit)
    if kind == "current":
        return StageLimit("current", limit)
    if kind == "input":
        return StageLimit("input", limit)
    return StageLimit("swing", limit)


@dataclass(frozen=True)
class HeadroomTable:
    """Every stage's headroom at P knob settings (:func:`headroom_many`)."""

    stages: tuple[str, ...]
    headroom_db: FloatArray
    """(P, stages): dB for a 0 dBFS sine on every channel; inf where the program does not
    reach the stage."""
    limit_index: IntArray
    """(P, stages): which of :attr:`limits` limits the stage there."""
    limits: tuple[StageLimit, ...]

    def at(self, point: int) -> dict[str, tuple[float, StageLimit]]:
        """Per stage id reached at this point: (headroom dB, what limits it)."""
        rooms, which = self.headroom_db[point], self.limit_index[point]
        return {sid: (float(rooms[k]), self.limits[which[k]])
                for k, sid in enumerate(self.stages) if rooms[k] != math.inf}


def headroom(graph: SignalGraph, resp: Response) -> dict[str, tuple[float, StageLimit]]:
    """Per stage id: (headroom in dB for a 0 dBFS sine on every channel, what limits it)."""
    return headroom_many(graph, resp.program[graph.i_ref][None]).at(0)


def _limit_rows(graph: SignalGraph) -> tuple[list[int], list[int], FloatArray,
                                             list[StageLimit], tuple[str, ...]]:
    """The limited senses (recording inputs aside) and the ears with a rated power.

    Per row: its sense, its stage's column in the table, its limit (V) and what it is.
    """
    return graph.cached("limit-rows", lambda: _find_limit_rows(graph))


def _find_limit_rows(graph: SignalGraph) -> tuple[list[int], list[int], FloatArray,
                                                  list[StageLimit], tuple[str, ...]]:
    senses = graph.built.netlist.senses
    recording = {graph.input_senses[p.slot] for p in graph.preamps}  # see recording.py
    rows: list[tuple[int, str, float, StageLimit]] = [
        (i, graph.sense_stage[i], limit, _sense_limit(senses[i].name, senses[i].kind, limit))
        for i, limit in graph.sense_limit.items() if i not in recording]
    for e, (listener, _side) in enumerate(graph.ears):
        hp = graph.built.devices[listener].spec.headphones
        if hp is not None and hp.max_power_mw is not None:
            rows.append((graph.ear_senses[e], f"{listener}.drivers",
                         math.sqrt(hp.max_power_mw * 1e-3 * hp.z_ohm),
                         StageLimit("rated-power", hp.max_power_mw)))
    stages = tuple(dict.fromkeys(sid for _i, sid, _v, _l in rows))
    column = {sid: k for k, sid in enumerate(stages)}
    return ([i for i, *_ in rows], [column[sid] for _i, sid, _v, _l in rows],
            np.array([v for _i, _s, v, _l in rows]), [lim for *_, lim in rows], stages)


def headroom_many(graph: SignalGraph, program_ref: ComplexArray) -> HeadroomTable:
    """Every stage's headroom at P knob settings, from the 1 kHz program (P, senses, ch)."""
    sense, column, limit_v, limits, stages = _limit_rows(graph)
    values = np.abs(program_ref.sum(axis=-1)[:, sense])  # a 0 dBFS sine on every channel
    with np.errstate(divide="ignore"):
        rooms = units.db(limit_v / values)
    # a stage the program reaches only as numerical leakage has no headroom to speak of
    rooms[(values <= 0) | (rooms > UNREACHED_HEADROOM_DB)] = math.inf
    n_p = len(rooms)
    table = np.full((n_p, len(stages)), math.inf)
    which = np.zeros((n_p, len(stages)), dtype=int)
    for row, k in enumerate(column):  # the first row with the least headroom limits it
        lower = rooms[:, row] < table[:, k]
        table[lower, k] = rooms[lower, row]
        which[lower, k] = row
    return HeadroomTable(stages, table, which, tuple(limits))


def worst_headroom(headroom_by_stage: Mapping[str, tuple[float, Any]], path_ids: Iterable[str]
                   ) -> tuple[float, str | None]:
    """The least headroom (dB) among the stages on a path, and that stage (inf, None if none).

    ``headroom_by_stage`` is :func:`headroom`'s result; ``path_ids`` a listener's
    :attr:`~signalchain.results.ListenerFigures.path_ids` (stages, inputs, drivers).
    """
    limits = [(headroom_by_stage[s][0], s) for s in path_ids if s in headroom_by_stage]
    if not limits:
        return math.inf, None
    room, stage = min(limits)
    return room, stage


def _on_path_many(graph: SignalGraph, ref: Response
                  ) -> dict[str, tuple[BoolArray, BoolArray]]:
    """Per listener: which drive columns and which input columns reach their ears (P, ·).

    ``ref`` is a batch at 1 kHz over every sense. An input counts when it carries the
    program (within the channel floor of its device's strongest input).
    """
    floor = units.from_db(th.ON_PATH_DB)
    noise_e = ref.noise[:, 0][:, graph.ear_senses, :]  # (P, ears, drives)
    via_inputs = np.abs(noise_e @ ref.input_gains)  # (P, ears, inputs)
    level = np.abs(ref.program[:, 0][:, graph.input_senses, :]).max(axis=-1)  # (P, inputs)
    device = _input_devices(graph)
    strongest = np.zeros_like(level)
    for d in set(device):
        cols = [c for c, x in enumerate(device) if x == d]
        strongest[:, cols] = level[:, cols].max(axis=1, keepdims=True)
    carries = (level > 0) & (level >= strongest * units.from_db(-th.CHANNEL_FLOOR_DB))
    return {who: (np.abs(noise_e[:, ears, :]).max(axis=1) > floor,
                  (via_inputs[:, ears, :].max(axis=1) > floor) & carries)
            for who, ears in _ears_of(graph).items()}


def _input_devices(graph: SignalGraph) -> list[str]:
    senses = graph.built.netlist.senses
    return [senses[i].device for i in graph.input_senses]


def _path_names(graph: SignalGraph, drives: BoolArray, inputs: BoolArray
                ) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The stage ids and input ports (``device.port``) of a path's column masks."""
    def names() -> tuple[tuple[str, ...], tuple[str, ...]]:
        senses = graph.built.netlist.senses
        return (tuple(dict.fromkeys(s for j, s in enumerate(graph.drive_stage) if drives[j])),
                tuple(dict.fromkeys(f"{senses[i].device}.{senses[i].port}"
                                    for col, i in enumerate(graph.input_senses)
                                    if inputs[col])))

    return graph.cached(("path", drives.tobytes(), inputs.tobytes()), names)


def _about_idle_recording(graph: SignalGraph, name: str, path: str) -> bool:
    """Whether an assumed value is about a device's recording half while it records nothing.

    (Its unplugged inputs, their gain knobs, direct monitoring, latency: the figures do not
    rest on those.)
    """
    dev = graph.built.devices[name]
    inputs = {p: port.preamp.knob for p, port in dev.spec.ports.items() if port.preamp}
    if not inputs or any((name, p) in graph.built.port_connections for p in inputs):
        return False
    first, _, rest = path.partition(".")
    second = rest.partition(".")[0]
    if first in ("direct_monitor", "latency"):
        return True
    if first not in ("ports", "knobs"):
        return False
    every = dev.spec.ports if first == "ports" else dev.spec.knobs
    idle = set(inputs) if first == "ports" else set(inputs.values())
    matched = [n for n in every if fnmatch.fnmatchcase(n, second)]
    return bool(matched) and all(n in idle for n in matched)


def _stage_assumptions(graph: SignalGraph, devices: list[str]) -> list[Assumption]:
    return graph.cached(("assumptions", tuple(devices)),
                        lambda: _assumptions_of(graph, devices))


def _assumptions_of(graph: SignalGraph, devices: list[str]) -> list[Assumption]:
    out: list[Assumption] = []
    for name in devices:
        dev = graph.built.devices[name]
        label = dev.model or f"{name} (inline)"
        out.extend(Assumption(label, path, reason)
                   for path, reason in dev.spec.provenance.assumed.items()
                   if not _about_idle_recording(graph, name, path))
    return out


def shorted_outputs(graph: SignalGraph) -> list[Finding]:
    """``shorted-output`` findings: output legs driving a load below the shorted threshold.

    The one detector of shorted outputs, on the solved circuit
    (:data:`~signalchain.thresholds.SHORTED_LOAD_OHM`): a TS plug in a stereo jack, a
    push-pull cold leg on a TS cable and a summing Y are all loads found here the same way.
    Each finding's location is the connection at the shorted port.
    """
    return list(graph.cached("shorted", lambda: _shorted(graph)))  # loads ignore the knobs


def _shorted(graph: SignalGraph) -> list[Finding]:
    findings = []
    net = graph.built.netlist
    drives = {d.name: d for d in net.drives}
    t = graph.solution.transfer[graph.i_ref]
    for i in graph.current_senses:
        s = net.senses[i]
        stage = graph.stages.get(f"{s.device}.{s.port}")
        if stage is None:
            continue
        # a leg's source is named stage:role, or stage:float for floating (servo/transformer)
        drive = drives.get(f"{stage.id}:{s.role}") or drives.get(f"{stage.id}:float")
        if drive is None:
            continue
        current = abs(t[i, graph.solution.column(f"{drive.stage}:{drive.role}")])
        if current <= 0:
            continue
        coeff = 1.0 if drive.name.endswith(":float") else abs(drive.coeff)
        found = rules.shorted_output(stage.id, s.role, coeff / current - (stage.spec.z_out_ohm
                                                                           or 0.0))
        if found is not None:
            where = graph.built.connection_location(s.device, s.port)
            findings.append(dataclasses.replace(found, location=where))
    return findings


def _volume_controls(graph: SignalGraph, stages: tuple[str, ...], computers: list[str]
                     ) -> tuple[VolumeControl, ...]:
    return graph.cached(("volume", stages), lambda: _find_volume_controls(graph, stages,
                                                                           computers))


def _find_volume_controls(graph: SignalGraph, stages: tuple[str, ...], computers: list[str]
                          ) -> tuple[VolumeControl, ...]:
    controls: dict[str, VolumeControl] = {}
    for sid in stages:
        st = graph.stages[sid]
        if st.knob:
            ref = KnobRef.of(st.device, st.knob)
            controls.setdefault(ref, VolumeControl(ref, st.physical))
    if computers:
        ref = KnobRef.of(computers[0], "software")
        controls.setdefault(ref, VolumeControl(ref, False))
    return tuple(controls.values())


@dataclass(frozen=True)
class _EarArrays:
    """Per point and ear: each channel's level and polarity, the hiss, hum and response.

    Nested lists of Python floats where they are read one by one (per listener and point).
    """

    spl_db: list[list[list[float]]]  # [P][ears][channels], -inf where silent
    polarity: list[list[list[Polarity]]]  # [P][ears][channels]
    noise_spl_dba: list[list[float]]  # [P][ears]
    hum_spl_dba: list[list[float]]  # [P][ears]
    response_db: FloatArray  # (P, F, ears): the strongest channel re its 1 kHz level


def _ear_arrays(graph: SignalGraph, ears: Response, ref: Response, stage_noise: FloatArray
                ) -> _EarArrays:
    every = slice(None)  # ``ears`` holds the ear senses only
    program_v = ear_program_v(graph, ref, 0)  # (P, ears, channels)
    sens = np.array([graph.sensitivity_db_per_v[who] for who, _side in graph.ears])
    mags = np.abs(program_v)
    noise2 = (ear_noise_v2(graph, ears, stage_noise, every)
              + preamp_ear_noise_v2(graph, ears, every))
    hum2 = ear_hum_v2(graph, ears, every)
    strongest = np.argmax(mags, axis=-1)  # (P, ears)
    h = np.take_along_axis(ears.program, strongest[:, None, :, None], axis=-1)[..., 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        return _EarArrays(
            np.where(mags > 0, sens[:, None] + units.db(mags), -math.inf).tolist(),
            np.where(program_v.real >= 0, 1, -1).tolist(),
            np.where(noise2 > 0, sens + units.db_power(noise2), -math.inf).tolist(),
            np.where(hum2 > 0, sens + units.db_power(hum2), -math.inf).tolist(),
            units.db(h) - units.db(h[:, graph.i_ref:graph.i_ref + 1]))


def _ears(graph: SignalGraph, arrays: _EarArrays, point: int, who: str
          ) -> dict[str, EarFigures]:
    """One listener's ears at one point: the channels that reach each (crosstalk marked).

    Both are judged against the listener's loudest program entry at either ear: an entry
    more than :data:`~signalchain.thresholds.CHANNEL_FLOOR_DB` below it (or below the
    threshold of hearing) is left out, one more than
    :data:`~signalchain.thresholds.CROSSTALK_DB` below it is crosstalk.
    """
    mine = _ears_of(graph)[who]
    spl, polarity = arrays.spl_db[point], arrays.polarity[point]
    loudest = max((level for e in mine for level in spl[e]), default=-math.inf)
    floor = max(loudest - th.CHANNEL_FLOOR_DB, SILENT_SPL_DB)
    crosstalk = loudest - th.CROSSTALK_DB
    out = {}
    for e in mine:
        program = []
        for name, level, sign in zip(graph.sources, spl[e], polarity[e], strict=True):
            if level >= floor and level != math.inf:
                program.append(ChannelAtEar(name, level, sign, level < crosstalk))
        out[graph.ears[e][1]] = EarFigures(tuple(program), arrays.noise_spl_dba[point][e],
                                           arrays.hum_spl_dba[point][e],
                                           arrays.response_db[point, :, e])
    return out


def _listener(graph: SignalGraph, arrays: _EarArrays, point: int, name: str,
              path: tuple[tuple[str, ...], tuple[str, ...]],
              headroom_by_stage: Mapping[str, tuple[float, Any]], computers: list[str],
              voices: tuple[VoiceAtEar, ...], floor_dbfs: float | None,
              latency_ms: float | None) -> dict[str, Any]:
    """One listener's figures at one point, as :class:`ListenerFigures` fields (no findings).

    ``floor_dbfs`` is the recording's noise floor: at this listener's ear, it is where the
    recording's noise would sit if played back through their chain at these knobs (their
    level for 0 dBFS plus the floor).
    """
    built = graph.built
    ears = _ears(graph, arrays, point, name)
    stages, inputs = path
    room, stage = worst_headroom(headroom_by_stage, [*stages, *inputs, f"{name}.drivers"])
    peak = max((c.spl_db for e in ears.values() for c in e.program), default=-math.inf)
    peak_spl_db = peak - th.REFERENCE_DBFS if math.isfinite(peak) else peak
    devices_on_path = list(dict.fromkeys([graph.stages[s].device for s in stages]
                                         + [i.partition(".")[0] for i in inputs] + [name]))
    return {
        "id": name, "device": built.devices[name].model or name,
        "name": built.devices[name].spec.name, "feed": built.feeds.get(name), "ears": ears,
        "peak_spl_db": peak_spl_db,
        "clips_at_dbfs": room if room < -CLIP_TOLERANCE_DB else None, "clip_stage": stage,
        "volume_controls": _volume_controls(graph, stages, computers),
        "stages_on_path": stages, "inputs_on_path": inputs,
        "assumptions": tuple(_stage_assumptions(graph, devices_on_path)),
        "voices": voices, "monitor_latency_ms": latency_ms,
        "recorded_noise_spl_dba": (peak_spl_db + floor_dbfs if floor_dbfs is not None
                                   and math.isfinite(peak_spl_db) else None)}


def _loudest(graph: SignalGraph, points: Sequence[Mapping[str, float]],
             listeners: Sequence[Sequence[ListenerFigures]]) -> FloatArray:
    """How loud each listener could get with every knob on anyone's path fully up (P, L).

    One solve per point: a knob off a listener's path does not change that listener's level.
    """
    def knobs_of(stages: tuple[str, ...]) -> tuple[KnobRef, ...]:
        return tuple(dict.fromkeys(KnobRef.of(graph.stages[s].device, k) for s in stages
                                   if (k := graph.stages[s].knob)))

    full_points: list[dict[str, float]] = []
    for positions, lfs in zip(points, listeners, strict=True):
        stages = tuple(dict.fromkeys(s for lf in lfs for s in lf.stages_on_path))
        knobs = graph.cached(("path-knobs", stages), functools.partial(knobs_of, stages))
        full_points.append({**positions, **dict.fromkeys(knobs, 1.0)})
    resp = respond_many(graph, knob_gains_many(graph, full_points),
                        input_scale_many(graph, full_points), np.array([graph.i_ref]))
    return listener_levels(graph, ear_program_v(graph, resp, 0))


def listeners_at(graph: SignalGraph, points: Sequence[Mapping[str, float]], ears: Response,
                 ref: Response, stage_noise: FloatArray,
                 record_floor_dbfs: Sequence[float | None] | None = None
                 ) -> tuple[list[tuple[ListenerFigures, ...]], HeadroomTable]:
    """Every listener's figures and findings at each of P knob settings, and the headroom.

    ``ears`` is the batch solved over the grid at the ear senses only, ``ref`` the batch at
    1 kHz over every sense (:func:`~signalchain.graph.response.respond_many`),
    ``stage_noise`` (P, n_drive) from :func:`stage_noise_v2_many`; ``record_floor_dbfs``
    the recording's noise floor per point (None: not given).
    """
    built = graph.built
    arrays = _ear_arrays(graph, ears, ref, stage_noise)
    table = headroom_many(graph, ref.program[:, 0])
    paths = _on_path_many(graph, ref)
    computers = [d.name for d in built.devices.values() if d.spec.kind == "computer"]
    software = monitor_latency_ms(graph)
    shorted = shorted_outputs(graph)
    fields: list[list[dict[str, Any]]] = []
    late: list[dict[str, Finding]] = []
    rooms = []
    for p in range(len(points)):
        room = table.at(p)
        rooms.append(room)
        voices = voices_at_ears(graph, ref.point(p), 0) if graph.talkers else {}
        late.append(latency_findings(graph, voices) if voices else {})
        floor = record_floor_dbfs[p] if record_floor_dbfs else None
        fields.append([_listener(
            graph, arrays, p, who, _path_names(graph, paths[who][0][p], paths[who][1][p]),
            room, computers, voices.get(who, ()), floor,
            software[0] if software and voices.get(who) else None)
            for who in built.listeners])
    plain = [[ListenerFigures(**f) for f in at] for at in fields]
    loudest = _loudest(graph, points, plain)
    out = []
    for p, lfs in enumerate(plain):
        limits = {sid: limit for sid, (_hr, limit) in rooms[p].items()}
        out.append(tuple(ListenerFigures(**fields[p][k], warnings=(*rules.listener_findings(
            lf, graph.sources, float(loudest[p, k]), limits, shorted, _impedance(graph, lf)),
            *([late[p][lf.id]] if lf.id in late[p] else [])))
            for k, lf in enumerate(lfs)))
    return out, table


BATCH_POINTS = 128
"""Knob settings solved together by :func:`evaluate_many` (bounds the batch's memory)."""


def evaluate_many(graph: SignalGraph, points: Sequence[Mapping[str, float]]
                  ) -> list[tuple[ListenerFigures, ...]]:
    """Every listener's figures and findings at each knob setting, solved as batches.

    Each point is knob positions over the rig's own (as ``overrides`` to :func:`evaluate`).
    The listeners' figures and findings are :func:`evaluate`'s, except the recording's noise
    floor at their ears (``recorded_noise_spl_dba``), which is left out (None).
    """
    out: list[tuple[ListenerFigures, ...]] = []
    with gc_paused():
        for start in range(0, len(points), BATCH_POINTS):
            out.extend(_evaluate_batch(graph, points[start:start + BATCH_POINTS]))
    return out


def _evaluate_batch(graph: SignalGraph, points: Sequence[Mapping[str, float]]
                    ) -> list[tuple[ListenerFigures, ...]]:
    chunk = [{**graph.knob_positions, **p} for p in points]
    gains, scale = knob_gains_many(graph, chunk), input_scale_many(graph, chunk)
    figures, _table = listeners_at(
        graph, chunk, respond_many(graph, gains, scale, senses=graph.ear_senses),
        respond_many(graph, gains, scale, np.array([graph.i_ref])),
        stage_noise_v2_many(graph, gains))
    return figures


def _impedance(graph: SignalGraph, lf: ListenerFigures) -> list[Finding]:
    hp = graph.built.devices[lf.id].spec.headphones
    if lf.feed is None or hp is None:
        return []
    z_src = graph.stages[lf.feed].spec.z_out_ohm or 0.0
    return rules.impedance_finding(lf, z_src, hp.z_ohm, bool(hp.z_curve))


def evaluate(graph: SignalGraph, overrides: Mapping[str, float] | None = None,
             record_target_dbfs: float = DEFAULT_RECORD_TARGET_DBFS) -> Evaluation:
    """Compute every listener's figures at the rig's knob positions (plus ``overrides``).

    ``record_target_dbfs`` is the average speech level the recording inputs aim for.
    """
    positions = {**graph.knob_positions, **(overrides or {})}
    resp = respond(graph, positions)
    stage_noise = stage_noise_v2(graph, positions)
    inputs = input_figures(graph, resp, positions, stage_noise, record_target_dbfs)
    batch = resp.batch()
    (listeners,), table = listeners_at(
        graph, [positions], batch.subset(senses=graph.ear_senses),
        batch.subset(np.array([graph.i_ref])), stage_noise[None],
        [max((f.noise_dbfs_a for f in inputs), default=None)])
    used = {s for lf in listeners for s in lf.path_ids}
    stage_rows = tuple(StageHeadroom(sid, hr, limit)
                       for sid, (hr, limit) in sorted(table.at(0).items()) if sid in used)
    return Evaluation(graph.built.rig.spec.name, listeners, stage_rows,
                      (*shorted_outputs(graph), *recording_findings(inputs)), positions,
                      tuple(_environment_assumptions(graph)), tuple(graph.sources), inputs)


def _environment_assumptions(graph: SignalGraph) -> list[Assumption]:
    env = graph.built.rig.spec.environment
    notes = []
    if "ground_offset_v" not in env.model_fields_set:
        notes.append(Assumption("environment", "ground_offset_v",
                                f"{env.ground_offset_v * 1e3:g} mV at {env.mains_hz} Hz"))
    if "hum_harmonics_db" not in env.model_fields_set:
        notes.append(Assumption("environment", "hum_harmonics_db",
                                "odd harmonics dominant"))
    return notes

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
import math
from collections.abc import Iterable, Mapping
from typing import Any

import numpy as np

from signalchain import rules, units
from signalchain import thresholds as th
from signalchain.arrays import ComplexArray, FloatArray
from signalchain.findings import Finding
from signalchain.graph.compile import SignalGraph
from signalchain.graph.response import Response, respond
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
    out = np.zeros(graph.n_drive)
    for j, sid in enumerate(graph.drive_stage):
        st = graph.stages[sid]
        a = graph.knob_gain(st, dict(positions)) / st.gain if st.gain else 0.0
        n2 = st.noise_min_v**2 + a**2 * (st.noise_max_v**2 - st.noise_min_v**2)
        out[j] = n2 / graph.a_weight_norm
    return out


def ear_noise_v2(graph: SignalGraph, resp: Response, noise2: FloatArray,
                 ear_senses: list[int] | None = None) -> FloatArray:
    """A-weighted noise voltage² at each ear: ``Σ_f W_f Σ_j |G_ej(f)|² N_j²``."""
    senses = graph.ear_senses if ear_senses is None else ear_senses
    g2 = np.abs(resp.noise[:, senses, :]) ** 2  # (F, ears, drives)
    out: FloatArray = np.einsum("f,fed,d->e", graph.noise_weights, g2, noise2)
    return out


def ear_program_v(graph: SignalGraph, resp: Response, freq_slot: int | None = None
                  ) -> ComplexArray:
    """Complex ear voltage per program channel at 1 kHz for the reference program (ears × ch).

    ``freq_slot`` is the 1 kHz index in ``resp`` when it was solved on a subset of the grid.
    """
    slot = graph.i_ref if freq_slot is None else freq_slot
    out: ComplexArray = resp.program[slot][graph.ear_senses, :] * units.from_db(
        th.REFERENCE_DBFS)
    return out


def listener_program_spl(graph: SignalGraph, program_v: ComplexArray) -> dict[str, float]:
    """Loudest reference-program level (dB SPL) at either ear of each listener."""
    out: dict[str, float] = {}
    mags = np.abs(program_v).max(axis=1)
    for e, (who, _side) in enumerate(graph.ears):
        v = mags[e]
        spl = graph.sensitivity_db_per_v[who] + float(units.db(v)) if v > 0 else -math.inf
        out[who] = max(out.get(who, -math.inf), spl)
    return out


def _ear_figures(graph: SignalGraph, resp: Response, noise_v2: float, program_v: ComplexArray,
                 e: int, sens_db: float) -> EarFigures:
    """One ear's figures; ``program`` lists every source channel (see classify_program)."""
    si = graph.ear_senses[e]
    h = resp.program[:, si, :]
    program = []
    for c, name in enumerate(graph.sources):
        v = float(abs(program_v[c]))
        spl = sens_db + float(units.db(v)) if v > 0 else -math.inf
        program.append(ChannelAtEar(name, spl, 1 if program_v[c].real >= 0 else -1))
    noise = sens_db + units.db_power(noise_v2) if noise_v2 > 0 else -math.inf
    hum2 = 0.0
    for idx, level in graph.hum_points:
        hum_v = complex(np.sum(resp.hum[idx, si, :])) * level
        hum2 += abs(hum_v) ** 2 * float(units.a_weighting_gain(graph.freqs_hz[idx])) ** 2
    hum = sens_db + units.db_power(hum2) if hum2 > 0 else -math.inf
    strongest = int(np.argmax(np.abs(program_v)))
    with np.errstate(divide="ignore", invalid="ignore"):
        resp_db = units.db(h[:, strongest]) - units.db(h[graph.i_ref, strongest])
    return EarFigures(tuple(program), float(noise), float(hum), np.asarray(resp_db))


def classify_program(ears: Mapping[str, EarFigures]) -> dict[str, EarFigures]:
    """Per ear, the channels that reach it, with the crosstalk among them marked.

    Both are judged against the listener's loudest program entry at either ear: an entry
    more than :data:`~signalchain.thresholds.CHANNEL_FLOOR_DB` below it (or below the
    threshold of hearing) is left out, one more than
    :data:`~signalchain.thresholds.CROSSTALK_DB` below it is crosstalk.
    """
    loudest = max((c.spl_db for e in ears.values() for c in e.program), default=-math.inf)
    floor = max(loudest - th.CHANNEL_FLOOR_DB, SILENT_SPL_DB)
    out = {}
    for side, ear in ears.items():
        keep = tuple(dataclasses.replace(c, crosstalk=c.spl_db < loudest - th.CROSSTALK_DB)
                     for c in ear.program if math.isfinite(c.spl_db) and c.spl_db >= floor)
        out[side] = dataclasses.replace(ear, program=keep)
    return out


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


def headroom(graph: SignalGraph, resp: Response) -> dict[str, tuple[float, StageLimit]]:
    """Per stage id: (headroom in dB for a 0 dBFS sine on every channel, what limits it)."""
    values = resp.program[graph.i_ref] @ np.ones(len(graph.sources))
    senses = graph.built.netlist.senses
    out: dict[str, tuple[float, StageLimit]] = {}

    def keep(sid: str, hr: float, limit: StageLimit) -> None:
        if hr > UNREACHED_HEADROOM_DB:  # the program reaches it only as numerical leakage
            return
        if sid not in out or hr < out[sid][0]:
            out[sid] = (hr, limit)

    recording = {graph.input_senses[p.slot] for p in graph.preamps}  # see recording.py
    for i, limit in graph.sense_limit.items():
        if i in recording:
            continue
        v = abs(values[i])
        if v > 0:
            keep(graph.sense_stage[i], float(units.db(limit / v)),
                 _sense_limit(senses[i].name, senses[i].kind, limit))
    for e, (listener, _side) in enumerate(graph.ears):
        hp = graph.built.devices[listener].spec.headphones
        if hp is None or hp.max_power_mw is None:
            continue
        v = abs(values[graph.ear_senses[e]])
        vmax = math.sqrt(hp.max_power_mw * 1e-3 * hp.z_ohm)
        if v > 0:
            keep(f"{listener}.drivers", float(units.db(vmax / v)),
                 StageLimit("rated-power", hp.max_power_mw))
    return out


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


def _on_path(graph: SignalGraph, resp: Response, listener: str) -> tuple[list[str], list[str]]:
    """Drive stages and input ports whose signal reaches this listener's ears."""
    ears = [graph.ear_senses[e] for e, (who, _s) in enumerate(graph.ears) if who == listener]
    floor = units.from_db(th.ON_PATH_DB)
    g = np.abs(resp.noise[graph.i_ref][ears, :]).max(axis=0)
    stages = list(dict.fromkeys(s for j, s in enumerate(graph.drive_stage) if g[j] > floor))
    via_inputs = np.abs(resp.noise[graph.i_ref][ears, :] @ resp.input_gains).max(axis=0)
    senses = graph.built.netlist.senses
    level = np.abs(resp.program[graph.i_ref][graph.input_senses, :]).max(axis=1)
    strongest: dict[str, float] = {}
    for col, i in enumerate(graph.input_senses):
        strongest[senses[i].device] = max(strongest.get(senses[i].device, 0.0), level[col])
    inputs = list(dict.fromkeys(
        f"{senses[i].device}.{senses[i].port}" for col, i in enumerate(graph.input_senses)
        if via_inputs[col] > floor and level[col] > 0
        and level[col] >= strongest[senses[i].device] * units.from_db(-th.CHANNEL_FLOOR_DB)))
    return stages, inputs


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
    key = ("assumptions", tuple(devices))
    if key not in graph.memo:
        graph.memo[key] = _assumptions_of(graph, devices)
    out: list[Assumption] = graph.memo[key]
    return out


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


def _volume_controls(graph: SignalGraph, stages: list[str], computers: list[str]
                     ) -> tuple[VolumeControl, ...]:
    controls: dict[str, VolumeControl] = {}
    for sid in stages:
        st = graph.stages[sid]
        if st.knob:
            key = KnobRef.of(st.device, st.knob)
            controls.setdefault(key, VolumeControl(key, st.physical))
    if computers:
        key = KnobRef.of(computers[0], "software")
        controls.setdefault(key, VolumeControl(key, False))
    return tuple(controls.values())


def _listener(graph: SignalGraph, resp: Response, name: str, noise_v2: FloatArray,
              program_v: ComplexArray, headroom_by_stage: Mapping[str, tuple[float, Any]],
              computers: list[str]) -> ListenerFigures:
    """One listener's figures (without findings)."""
    built = graph.built
    sens = graph.sensitivity_db_per_v[name]
    ears = classify_program({side: _ear_figures(graph, resp, noise_v2[e], program_v[e], e, sens)
                             for e, (who, side) in enumerate(graph.ears) if who == name})
    stages, inputs = _on_path(graph, resp, name)
    room, stage = worst_headroom(headroom_by_stage, [*stages, *inputs, f"{name}.drivers"])
    peak = max((c.spl_db for e in ears.values() for c in e.program), default=-math.inf)
    devices_on_path = list(dict.fromkeys([graph.stages[s].device for s in stages]
                                         + [i.partition(".")[0] for i in inputs] + [name]))
    return ListenerFigures(
        id=name, device=built.devices[name].model or name, name=built.devices[name].spec.name,
        feed=built.feeds.get(name), ears=ears,
        peak_spl_db=peak - th.REFERENCE_DBFS if math.isfinite(peak) else peak,
        clips_at_dbfs=room if room < -CLIP_TOLERANCE_DB else None, clip_stage=stage,
        volume_controls=_volume_controls(graph, stages, computers),
        stages_on_path=tuple(stages), inputs_on_path=tuple(inputs),
        assumptions=tuple(_stage_assumptions(graph, devices_on_path)))


def _loudest(graph: SignalGraph, positions: Mapping[str, float],
             listeners: Iterable[ListenerFigures]) -> dict[str, float]:
    """How loud each listener could get with every knob on anyone's path fully up.

    One solve: a knob off a listener's path does not change that listener's level.
    """
    full = dict(positions)
    for lf in listeners:
        for sid in lf.stages_on_path:
            st = graph.stages[sid]
            if st.knob:
                full[KnobRef.of(st.device, st.knob)] = 1.0
    slot = np.array([graph.i_ref])
    return listener_program_spl(graph, ear_program_v(graph, respond(graph, full, slot), 0))


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
    headroom_by_stage = headroom(graph, resp)
    shorted = shorted_outputs(graph)
    built = graph.built
    computers = [d.name for d in built.devices.values() if d.spec.kind == "computer"]
    stage_noise = stage_noise_v2(graph, positions)
    noise_v2 = ear_noise_v2(graph, resp, stage_noise) + preamp_ear_noise_v2(graph, resp)
    program_v = ear_program_v(graph, resp)
    inputs = input_figures(graph, resp, positions, stage_noise, record_target_dbfs)
    voices = voices_at_ears(graph, resp)
    floor = max((f.noise_dbfs_a for f in inputs), default=None)
    software = monitor_latency_ms(graph)
    plain = [_with_recording(_listener(graph, resp, name, noise_v2, program_v,
                                       headroom_by_stage, computers),
                             voices.get(name, ()), floor,
                             software[0] if software and voices.get(name) else None)
             for name in built.listeners]
    loudest = _loudest(graph, positions, plain)
    limits = {sid: limit for sid, (_hr, limit) in headroom_by_stage.items()}
    late = latency_findings(graph, voices)
    listeners = tuple(dataclasses.replace(lf, warnings=(*rules.listener_findings(
        lf, graph.sources, loudest[lf.id], limits, shorted, _impedance(graph, lf)),
        *([late[lf.id]] if lf.id in late else [])))
        for lf in plain)
    used = {s for lf in listeners for s in lf.path_ids}
    stage_rows = tuple(StageHeadroom(sid, hr, limit)
                       for sid, (hr, limit) in sorted(headroom_by_stage.items()) if sid in used)
    return Evaluation(built.rig.spec.name, listeners, stage_rows,
                      (*shorted, *recording_findings(inputs)), positions,
                      tuple(_environment_assumptions(graph)), tuple(graph.sources), inputs)


def _with_recording(lf: ListenerFigures, voices: tuple[VoiceAtEar, ...],
                    floor_dbfs: float | None, latency_ms: float | None) -> ListenerFigures:
    """A listener's figures with the voices they hear and the recording's floor at their ear.

    The floor is where the recording's noise would sit if it were played back through this
    listener's chain at these knobs: their level for 0 dBFS plus the floor in dBFS.
    """
    recorded = (lf.peak_spl_db + floor_dbfs
                if floor_dbfs is not None and math.isfinite(lf.peak_spl_db) else None)
    return dataclasses.replace(lf, voices=voices, recorded_noise_spl_dba=recorded,
                               monitor_latency_ms=latency_ms)


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

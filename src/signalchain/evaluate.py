"""Analytic figures for every listener and ear: channels, polarity, SPL, hiss, hum, headroom.

All figures come from one :class:`~signalchain.graph.response.Response` of the
compiled graph; no wiring case is special-cased here. Warnings interpret the
numbers (a channel that reaches one ear only, opposite polarity in the two
ears, audible hiss ...), with thresholds documented in
:mod:`signalchain.thresholds`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from signalchain import thresholds as th
from signalchain import units
from signalchain.graph.compile import PROGRAM_CHANNELS, SignalGraph, Stage
from signalchain.graph.response import Response, respond

SILENT_SPL_DB = 0.0
"""Program below 0 dB SPL at an ear is below the threshold of hearing: left out."""
CLIP_TOLERANCE_DB = 1e-6
"""A stage exactly at its limit for a 0 dBFS sine (full scale = maximum output) does not
clip below 0 dBFS; this absorbs the solver's rounding."""


@dataclass
class ChannelAtEar:
    """One program channel arriving at an ear.

    ``crosstalk`` is True when it arrives more than
    :data:`~signalchain.thresholds.CROSSTALK_DB` below the listener's loudest program entry
    at either ear (ground-return or leakage, not program).
    """

    channel: str
    spl_db: float
    polarity: int
    crosstalk: bool = False


@dataclass
class EarFigures:
    """What one ear gets."""

    program: list[ChannelAtEar]
    noise_spl_dba: float
    hum_spl_dba: float
    response_db: np.ndarray
    """Level of the strongest channel over the grid, re its 1 kHz level."""

    @property
    def noise_audible(self) -> bool:
        """Hiss at or above :data:`~signalchain.thresholds.HISS_AUDIBLE_DBA`."""
        return self.noise_spl_dba >= th.HISS_AUDIBLE_DBA

    @property
    def hum_audible(self) -> bool:
        """Hum at or above :data:`~signalchain.thresholds.HUM_AUDIBLE_DBA`."""
        return self.hum_spl_dba >= th.HUM_AUDIBLE_DBA


@dataclass
class Finding:
    """A warning with a stable code."""

    code: str
    message: str

    def to_json(self) -> dict[str, str]:
        """JSON form."""
        return {"code": self.code, "message": self.message}


@dataclass
class ListenerFigures:
    """Everything simulate says about one listener."""

    id: str
    device: str
    feed: str | None
    ears: dict[str, EarFigures]
    peak_spl_db: float
    clips_at_dbfs: float | None
    clip_stage: str | None
    volume_controls: list[dict[str, Any]]
    stages_on_path: list[str]
    inputs_on_path: list[str]
    name: str = ""
    """The headphones' own name (an inline device's ``name:``, or the catalog's)."""
    warnings: list[Finding] = field(default_factory=list)
    assumptions: list[str] = field(default_factory=list)

    @property
    def program_spl_db(self) -> float:
        """Loudest program channel at either ear (dB SPL, reference program)."""
        levels = [c.spl_db for e in self.ears.values() for c in e.program]
        return max(levels) if levels else -math.inf

    def program_at(self, side: str) -> list[ChannelAtEar]:
        """Channels that are program at this ear, not crosstalk.

        A channel counts if it is within :data:`~signalchain.thresholds.CROSSTALK_DB` of the
        listener's loudest program entry at either ear.
        """
        return [c for c in self.ears[side].program if not c.crosstalk]

    def crosstalk_at(self, side: str) -> list[ChannelAtEar]:
        """Channels that reach this ear only as crosstalk."""
        return [c for c in self.ears[side].program if c.crosstalk]

    @property
    def noise_spl_dba(self) -> float:
        """Worse ear's hiss (dBA)."""
        return max(e.noise_spl_dba for e in self.ears.values())

    @property
    def hum_spl_dba(self) -> float:
        """Worse ear's hum (dBA)."""
        return max(e.hum_spl_dba for e in self.ears.values())


@dataclass
class Evaluation:
    """The result of ``simulate``."""

    rig: str
    listeners: list[ListenerFigures]
    stages: list[dict[str, Any]]
    warnings: list[Finding]
    knobs: dict[str, float]
    assumptions: list[str]

    def listener(self, name: str) -> ListenerFigures:
        """The figures of one listener."""
        return next(x for x in self.listeners if x.id == name)

    def to_json(self) -> dict[str, Any]:
        """The ``simulate --json`` object (DESIGN.md)."""
        def num(x: float | None, nd: int = 1) -> float | None:
            if x is None or not math.isfinite(x):
                return None
            return round(float(x), nd)

        listeners = []
        for lf in self.listeners:
            ears = {side: {"program": [{"channel": c.channel, "spl_db": num(c.spl_db),
                                        "polarity": c.polarity, "crosstalk": c.crosstalk}
                                       for c in e.program],
                           "noise_spl_dba": num(e.noise_spl_dba),
                           "hum_spl_dba": num(e.hum_spl_dba),
                           "noise_audible": e.noise_audible, "hum_audible": e.hum_audible}
                    for side, e in lf.ears.items()}
            listeners.append({
                "id": lf.id, "name": lf.name, "device": lf.device, "feed": lf.feed, "ears": ears,
                "peak_spl_db": num(lf.peak_spl_db), "clips_at_dbfs": num(lf.clips_at_dbfs),
                "volume_controls": lf.volume_controls,
                "warnings": [w.to_json() for w in lf.warnings], "assumptions": lf.assumptions})
        return {
            "signalchain": 1, "rig": self.rig,
            "reference": {"program_dbfs_rms": th.REFERENCE_DBFS, "frequency_hz": 1000},
            "thresholds": {"hiss_audible_dba": th.HISS_AUDIBLE_DBA,
                           "hum_audible_dba": th.HUM_AUDIBLE_DBA,
                           "crosstalk_db": th.CROSSTALK_DB,
                           "channel_floor_db": th.CHANNEL_FLOOR_DB},
            "knobs": {k: round(v, 3) for k, v in self.knobs.items()},
            "listeners": listeners,
            "stages": [{**s, "headroom_db": num(s["headroom_db"])} for s in self.stages],
            "warnings": [w.to_json() for w in self.warnings],
            "assumptions": self.assumptions,
        }


def stage_noise_v2(graph: SignalGraph, positions: dict[str, float]) -> np.ndarray:
    """White noise density² (V²/Hz) injected at each drive column at these knob positions.

    ``N(a)² = N_min² + a²(N_max² − N_min²)``: post-knob noise is constant, pre-knob
    noise scales with the knob's gain ``a`` (electrical.md §4).
    """
    out = np.zeros(graph.n_drive)
    for j, sid in enumerate(graph.drive_stage):
        st = graph.stages[sid]
        a = graph.knob_gain(st, positions) / st.gain if st.gain else 0.0
        n2 = st.noise_min_v**2 + a**2 * (st.noise_max_v**2 - st.noise_min_v**2)
        out[j] = n2 / graph.a_weight_norm
    return out


def ear_noise_v2(graph: SignalGraph, resp: Response, noise2: np.ndarray,
                 ear_senses: list[int] | None = None) -> np.ndarray:
    """A-weighted noise voltage² at each ear: ``Σ_f W_f Σ_j |G_ej(f)|² N_j²``."""
    senses = graph.ear_senses if ear_senses is None else ear_senses
    g2 = np.abs(resp.noise[:, senses, :]) ** 2  # (F, ears, drives)
    return np.einsum("f,fed,d->e", graph.noise_weights, g2, noise2)


def ear_program_v(graph: SignalGraph, resp: Response, freq_slot: int | None = None
                  ) -> np.ndarray:
    """Complex ear voltage per program channel at 1 kHz for the reference program (ears × ch).

    ``freq_slot`` is the 1 kHz index in ``resp`` when it was solved on a subset of the grid.
    """
    slot = graph.i_ref if freq_slot is None else freq_slot
    return resp.program[slot][graph.ear_senses, :] * units.from_db(th.REFERENCE_DBFS)


def listener_program_spl(graph: SignalGraph, program_v: np.ndarray) -> dict[str, float]:
    """Loudest reference-program level (dB SPL) at either ear of each listener."""
    out: dict[str, float] = {}
    mags = np.abs(program_v).max(axis=1)
    for e, (who, _side) in enumerate(graph.ears):
        v = mags[e]
        spl = graph.sensitivity_db_per_v[who] + float(units.db(v)) if v > 0 else -math.inf
        out[who] = max(out.get(who, -math.inf), spl)
    return out


def _ear_figures(graph: SignalGraph, resp: Response, noise_v2: float, program_v: np.ndarray,
                 e: int, sens_db: float) -> EarFigures:
    """One ear's figures; ``program`` lists every channel (see :func:`classify_program`)."""
    si = graph.ear_senses[e]
    h = resp.program[:, si, :]
    program = []
    for c, name in enumerate(PROGRAM_CHANNELS):
        v = abs(program_v[c])
        spl = sens_db + float(units.db(v)) if v > 0 else -math.inf
        program.append(ChannelAtEar(name, spl, 1 if program_v[c].real >= 0 else -1))
    noise = sens_db + units.db_power(noise_v2) if noise_v2 > 0 else -math.inf
    hum2 = 0.0
    for idx, level in graph.hum_points:
        v = np.sum(resp.hum[idx, si, :]) * level
        hum2 += abs(v) ** 2 * float(units.a_weighting_gain(graph.freqs_hz[idx])) ** 2
    hum = sens_db + units.db_power(hum2) if hum2 > 0 else -math.inf
    strongest = int(np.argmax(np.abs(program_v)))
    with np.errstate(divide="ignore", invalid="ignore"):
        resp_db = units.db(h[:, strongest]) - units.db(h[graph.i_ref, strongest])
    return EarFigures(program, float(noise), float(hum), np.asarray(resp_db))


def classify_program(ears: dict[str, EarFigures]) -> None:
    """Keep, per ear, the channels that reach it, and mark the crosstalk among them.

    Both are judged against the listener's loudest program entry at either ear: an entry
    more than :data:`~signalchain.thresholds.CHANNEL_FLOOR_DB` below it (or below the
    threshold of hearing) is left out, one more than
    :data:`~signalchain.thresholds.CROSSTALK_DB` below it is crosstalk.
    """
    loudest = max((c.spl_db for e in ears.values() for c in e.program), default=-math.inf)
    for ear in ears.values():
        keep = [c for c in ear.program if math.isfinite(c.spl_db)
                and c.spl_db >= max(loudest - th.CHANNEL_FLOOR_DB, SILENT_SPL_DB)]
        for c in keep:
            c.crosstalk = c.spl_db < loudest - th.CROSSTALK_DB
        ear.program = keep


def headroom(graph: SignalGraph, resp: Response) -> dict[str, tuple[float, str]]:
    """Per stage id: (headroom in dB for a 0 dBFS sine on both channels, what limits it)."""
    values = resp.program[graph.i_ref] @ np.ones(len(PROGRAM_CHANNELS))
    senses = graph.built.netlist.senses
    out: dict[str, tuple[float, str]] = {}
    for i, limit in graph.sense_limit.items():
        v = abs(values[i])
        if v <= 0:
            continue
        kind = senses[i].kind
        hr = float(units.db(limit / v))
        if senses[i].name.endswith(":cm:leg"):
            what = (f"{2 * limit:.2f} V single-ended swing: a grounded leg puts half the live "
                    "leg's voltage on the common mode")
        elif senses[i].name.endswith(":diff:leg"):
            what = f"{limit:.2f} V differential output swing"
        else:
            what = {"leg": f"{limit:.2f} V output swing", "current": f"{limit * 1e3:.0f} mA "
                    "output current", "input": f"{limit:.2f} V input level"}.get(kind, kind)
        sid = graph.sense_stage[i]
        if sid not in out or hr < out[sid][0]:
            out[sid] = (hr, what)
    for e, (listener, _side) in enumerate(graph.ears):
        hp = graph.built.devices[listener].spec.headphones
        if hp is None or hp.max_power_mw is None:
            continue
        v = abs(values[graph.ear_senses[e]])
        vmax = math.sqrt(hp.max_power_mw * 1e-3 * hp.z_ohm)
        if v > 0:
            hr = float(units.db(vmax / v))
            sid = f"{listener}.drivers"
            if sid not in out or hr < out[sid][0]:
                out[sid] = (hr, f"{hp.max_power_mw:g} mW rated power")
    return out


def _on_path(graph: SignalGraph, resp: Response, listener: str) -> tuple[list[str], list[str]]:
    """Drive stages and input ports whose signal reaches this listener's ears."""
    ears = [graph.ear_senses[e] for e, (who, _s) in enumerate(graph.ears) if who == listener]
    floor = units.from_db(th.ON_PATH_DB)
    g = np.abs(resp.noise[graph.i_ref][ears, :]).max(axis=0)
    stages = list(dict.fromkeys(s for j, s in enumerate(graph.drive_stage) if g[j] > floor))
    via_inputs = np.abs(resp.noise[graph.i_ref][ears, :] @ (resp.gains[:, None] *
                                                             graph.input_map)).max(axis=0)
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


def _stage_assumptions(graph: SignalGraph, devices: list[str]) -> list[str]:
    notes = []
    for name in devices:
        dev = graph.built.devices[name]
        label = dev.model or f"{name} (inline)"
        for path, reason in dev.spec.provenance.assumed.items():
            short = reason if len(reason) <= 110 else reason[:107].rsplit(" ", 1)[0] + " …"
            notes.append(f"{label}: {path} assumed ({short})")
    return notes


def shorted_outputs(graph: SignalGraph) -> list[Finding]:
    """Output legs whose load is below :data:`~signalchain.thresholds.SHORTED_LOAD_OHM`."""
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
        col = graph.solution.column(f"{drive.stage}:{drive.role}")
        current = abs(t[i, col])
        if current <= 0:
            continue
        coeff = 1.0 if drive.name.endswith(":float") else abs(drive.coeff)
        load = coeff / current - (stage.spec.z_out_ohm or 0.0)
        if load < th.SHORTED_LOAD_OHM:
            leg = {"right": "right channel", "left": "left channel", "cold": "cold leg",
                   "hot": "hot leg"}.get(s.role, s.role)
            findings.append(Finding("shorted-output", f"{stage.id}'s {leg} drives a short "
                                    f"({load:.2f} Ω load): that signal is lost and the driver "
                                    "works into its current limit"))
    return findings


def evaluate(graph: SignalGraph, overrides: dict[str, float] | None = None) -> Evaluation:
    """Compute every listener's figures at the rig's knob positions (plus ``overrides``)."""
    positions = dict(graph.knob_positions)
    positions.update(overrides or {})
    resp = respond(graph, positions)
    noise2 = stage_noise_v2(graph, positions)
    headroom_by_stage = headroom(graph, resp)
    shorted = shorted_outputs(graph)
    built = graph.built
    computers = [d.name for d in built.devices.values() if d.spec.kind == "computer"]

    noise_v2 = ear_noise_v2(graph, resp, noise2)
    program_v = ear_program_v(graph, resp)
    listeners = []
    for name in built.listeners:
        sens = graph.sensitivity_db_per_v[name]
        ears = {side: _ear_figures(graph, resp, noise_v2[e], program_v[e], e, sens)
                for e, (who, side) in enumerate(graph.ears) if who == name}
        classify_program(ears)
        stages, inputs = _on_path(graph, resp, name)
        path_ids = stages + inputs + [f"{name}.drivers"]
        limits = [(headroom_by_stage[s][0], s) for s in path_ids if s in headroom_by_stage]
        worst = min(limits) if limits else (math.inf, None)
        clips = worst[0] if worst[0] < -CLIP_TOLERANCE_DB else None
        peak = max((c.spl_db for e in ears.values() for c in e.program), default=-math.inf)
        controls = []
        for sid in stages:
            st = graph.stages[sid]
            key = f"{st.device}.{st.knob}" if st.knob else None
            if key and all(c["knob"] != key for c in controls):
                controls.append({"knob": key, "physical": st.physical})
        if computers:
            controls.append({"knob": f"{computers[0]}.software", "physical": False})
        devices_on_path = list(dict.fromkeys([graph.stages[s].device for s in stages] +
                                             [i.split(".")[0] for i in inputs] + [name]))
        lf = ListenerFigures(
            id=name, device=built.devices[name].model or name, feed=built.feeds.get(name),
            ears=ears, peak_spl_db=peak - th.REFERENCE_DBFS if math.isfinite(peak) else peak,
            clips_at_dbfs=clips, clip_stage=worst[1], volume_controls=controls,
            stages_on_path=stages, inputs_on_path=inputs, name=built.devices[name].spec.name,
            assumptions=_stage_assumptions(graph, devices_on_path))
        listeners.append(lf)

    # how loud each listener could get with every knob on anyone's path fully up (one solve:
    # a knob off a listener's path does not change that listener's level)
    full = dict(positions)
    for lf in listeners:
        for sid in lf.stages_on_path:
            st = graph.stages[sid]
            if st.knob:
                full[f"{st.device}.{st.knob}"] = 1.0
    slot = np.array([graph.i_ref])
    loudest = listener_program_spl(graph, ear_program_v(graph, respond(graph, full, slot), 0))
    for lf in listeners:
        lf.warnings = _listener_warnings(graph, lf, loudest[lf.id], headroom_by_stage, shorted)
    used = {s for lf in listeners for s in lf.stages_on_path + lf.inputs_on_path} | {
        f"{lf.id}.drivers" for lf in listeners}
    stage_rows = [{"id": sid, "headroom_db": hr, "limited_by": what}
                  for sid, (hr, what) in sorted(headroom_by_stage.items()) if sid in used]
    rig_warnings = list(shorted)
    return Evaluation(built.rig.spec.name, listeners, stage_rows, rig_warnings, positions,
                      _environment_assumptions(graph))


def _environment_assumptions(graph: SignalGraph) -> list[str]:
    env = graph.built.rig.spec.environment
    notes = []
    if "ground_offset_v" not in env.model_fields_set:
        notes.append(f"environment: ground-potential difference between outlets assumed "
                     f"{env.ground_offset_v * 1e3:g} mV at {env.mains_hz} Hz")
    if "hum_harmonics_db" not in env.model_fields_set:
        notes.append("environment: mains-harmonic content of ground voltages assumed "
                     "(odd harmonics dominant)")
    return notes


def _listener_warnings(graph: SignalGraph, lf: ListenerFigures, loudest_spl: float,
                       headroom: dict[str, tuple[float, str]],
                       shorted: list[Finding]) -> list[Finding]:
    out: list[Finding] = []
    left, right = lf.ears.get("left"), lf.ears.get("right")
    at = {side: {c.channel: c for c in lf.program_at(side)} for side in lf.ears}
    top = lf.program_spl_db

    def leaks(cs: list[ChannelAtEar]) -> str:
        return ", ".join(f"{c.channel} {c.spl_db:.1f} dB SPL, {top - c.spl_db:.0f} dB down"
                         for c in cs)

    for ch in PROGRAM_CHANNELS:
        sides = [s for s in at if ch in at[s]]
        if not sides:
            leaked = [(s, c) for s in lf.ears for c in lf.crosstalk_at(s) if c.channel == ch]
            where = "; ".join(f"{s} ear {leaks([c])}" for s, c in leaked)
            out.append(Finding("missing-channel", f"the {ch} channel reaches neither ear"
                               + (f" (only as crosstalk: {where})" if leaked else "")))
        elif len(sides) == 1:
            other = "right" if sides[0] == "left" else "left"
            if other in at and not at[other]:
                lvl = at[sides[0]][ch].spl_db
                xt = lf.crosstalk_at(other)
                gets = f"only crosstalk ({leaks(xt)}) and hiss" if xt else "only hiss"
                out.append(Finding("one-ear", f"{ch} reaches only the {sides[0]} ear "
                                   f"({lvl:.1f} dB SPL); the {other} ear gets no program, "
                                   f"{gets} ({lf.ears[other].noise_spl_dba:.1f} dBA)"))
        elif at["left"][ch].polarity != at["right"][ch].polarity:
            lvl_l, lvl_r = at["left"][ch].spl_db, at["right"][ch].spl_db
            if abs(lvl_l - lvl_r) < 20:
                out.append(Finding("antiphase", f"{ch} reaches both ears in opposite polarity "
                                   f"(left {lvl_l:.1f} dB SPL, right {lvl_r:.1f} dB SPL): it "
                                   "sounds 'inside out' and cancels if summed to mono"))
    if left and right and lf.noise_spl_dba >= th.HISS_AUDIBLE_DBA:
        out.append(Finding("hiss-audible", f"hiss at the ear is {lf.noise_spl_dba:.1f} dBA "
                           f"(audible above {th.HISS_AUDIBLE_DBA:g} dBA in a quiet room)"))
    if lf.hum_spl_dba >= th.HUM_AUDIBLE_DBA:
        out.append(Finding("hum-audible", f"mains hum at the ear is {lf.hum_spl_dba:.1f} dBA "
                           f"(audible above {th.HUM_AUDIBLE_DBA:g} dBA)"))
    if lf.clips_at_dbfs is not None and lf.clip_stage is not None:
        what = headroom[lf.clip_stage][1]
        peak_dbfs = th.REFERENCE_DBFS + th.PROGRAM_CREST_DB
        extra = (f" — music at the reference level ({th.REFERENCE_DBFS:g} dBFS RMS, peaks "
                 f"near {peak_dbfs:g} dBFS) already clips" if lf.clips_at_dbfs < peak_dbfs
                 else "")
        out.append(Finding("clipping", f"{lf.clip_stage} clips at {lf.clips_at_dbfs:.1f} dBFS "
                           f"(its {what}){extra}"))
    spl = lf.program_spl_db
    if math.isfinite(spl):
        if loudest_spl < th.TOO_QUIET_SPL_DB:
            out.append(Finding("too-quiet", f"even with every knob fully up the reference "
                               f"program reaches only {loudest_spl:.1f} dB SPL (normal listening "
                               f"≈ {th.DEFAULT_TARGET_SPL_DB:g} dB)"))
        if spl > th.HEARING_RISK_DBA:
            out.append(Finding("hearing-risk", f"{spl:.1f} dB SPL exceeds "
                               f"{th.HEARING_RISK_DBA:g} dBA: NIOSH allows "
                               f"{th.niosh_allowed_text(spl)} a day"))
    out.extend(_impedance_warning(graph, lf))
    out.extend(f for f in shorted if any(f.message.startswith(s + "'") for s in
                                          lf.stages_on_path))
    if not any(c["physical"] for c in lf.volume_controls):
        out.append(Finding("no-physical-volume", "no knob on this listener's path: the level "
                           "can only be changed in software"))
    return out


def _impedance_warning(graph: SignalGraph, lf: ListenerFigures) -> list[Finding]:
    if lf.feed is None:
        return []
    stage: Stage = graph.stages[lf.feed]
    hp = graph.built.devices[lf.id].spec.headphones
    z_src = stage.spec.z_out_ohm or 0.0
    if hp is None or z_src <= hp.z_ohm / th.OUTPUT_IMPEDANCE_RATIO:
        return []
    msg = (f"{lf.feed} has {z_src:g} Ω output impedance, above 1/8 of the headphones' "
           f"{hp.z_ohm:g} Ω (damping factor {hp.z_ohm / z_src:.1f})")
    if hp.z_curve:
        spans = [float(np.nanmax(e.response_db) - np.nanmin(e.response_db))
                 for side, e in lf.ears.items() if lf.program_at(side)]
        if spans:
            msg += f"; with their impedance curve the response varies by {max(spans):.1f} dB " \
                   "across 20 Hz–20 kHz"
    else:
        msg += "; no impedance curve is known, so the tonal change cannot be computed"
    return [Finding("output-impedance", msg)]

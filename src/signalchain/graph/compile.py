"""Compile a wired rig into a :class:`SignalGraph`.

The passive network is solved once (MNA over a frequency grid) into a
transfer matrix from every drive column and ground source to every sensing
point. Active stages are unilateral: each drive column is a knob-and-gain
times one of its device's internal channels, which is either a program
channel (an interface's DAC) or what one of its inputs senses. Knob
positions therefore never require a new circuit solve, which is what makes
``tune`` and ``advise`` cheap.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from signalchain import units
from signalchain.arrays import FloatArray
from signalchain.circuit.mna import Solution, solve
from signalchain.schema.device import HeadphoneSpec, PortSpec, PreampSpec, Taper
from signalchain.schema.rig import Environment
from signalchain.wiring.build import BuiltRig
from signalchain.wiring.netlist import Sense
from signalchain.wiring.resolve import ResolvedDevice

PROGRAM_CHANNELS = ("L", "R")
"""The program's channels, as named sources: an interface's ``program_channels`` take them in
order. Other sources (microphones) are appended to :attr:`SignalGraph.sources` by name."""
GRID_POINTS_PER_DECADE = 10
_T = TypeVar("_T")

F_MIN_HZ, F_MAX_HZ = 20.0, 20000.0
REFERENCE_HZ = 1000.0


@dataclass
class Stage:
    """An active output: knob, gain, noise and limits of one device port."""

    id: str
    device: str
    port: str
    spec: PortSpec
    knob: str | None
    taper: Taper
    physical: bool
    gain: float
    """Linear gain with the knob fully up: volts per full-scale unit (DAC) or V/V (amp)."""
    is_dac: bool
    noise_min_v: float
    noise_max_v: float
    is_mic: bool = False
    """A microphone: ``gain`` is its sensitivity, volts per pascal at the capsule."""


BOLTZMANN_J_PER_K = 1.380649e-23
ROOM_TEMPERATURE_K = 293.15
EIN_SOURCE_OHM = 150.0
"""The source resistor EIN is measured with."""


def johnson_v2(r_ohm: float, a_weight_norm: float) -> float:
    """A resistor's Johnson noise over the A-weighted band, V² (``4kTR·∫A²df``)."""
    return 4.0 * BOLTZMANN_J_PER_K * ROOM_TEMPERATURE_K * r_ohm * a_weight_norm


@dataclass(frozen=True)
class Preamp:
    """An interface input that records: its sense, preamp and converter."""

    slot: int
    """Column of the input among :attr:`SignalGraph.input_senses`."""
    device: str
    port: str
    spec: PreampSpec
    taper: Taper
    phantom_on: bool

    @property
    def id(self) -> str:
        """``device.port``."""
        return f"{self.device}.{self.port}"

    @property
    def knob_ref(self) -> str:
        """``device.knob`` of the gain knob."""
        return f"{self.device}.{self.spec.knob}"

    def gain_db(self, position: float) -> float:
        """The preamp's gain (dB) at a knob position: the range plus the taper's dB."""
        return self.spec.gain_range_db + float(units.db(units.taper_gain(position, self.taper)))

    def noise_v2(self, a_weight_norm: float) -> float:
        """The preamp's own input-referred noise, V² A-weighted.

        An EIN figure is measured with a 150 ohm source resistor at the input, so it
        includes that resistor's Johnson noise; it is taken out here, because the real
        source's noise (a microphone's coil) is counted where it comes from.
        """
        ein_v2 = units.dbu_to_v(self.spec.ein_dbu_a) ** 2
        return max(ein_v2 - johnson_v2(EIN_SOURCE_OHM, a_weight_norm), 0.01 * ein_v2)

    def fs_per_v(self, position: float) -> float:
        """Full-scale units recorded per volt RMS at the input (1.0 is a 0 dBFS sine)."""
        return float(units.from_db(self.gain_db(position))) / units.dbu_to_v(
            self.spec.dbu_at_0dbfs)


@dataclass
class SignalGraph:
    """Everything ``evaluate`` and ``render`` need, solved once per rig."""

    built: BuiltRig
    solution: Solution
    stages: dict[str, Stage]
    drive_stage: list[str]
    """Stage id of each drive column."""
    drive_channel: list[str]
    """Internal channel each drive column carries."""
    n_drive: int
    program_map: FloatArray
    """(n_drive, n_program) 1 where a column carries a program channel."""
    input_map: FloatArray
    """(n_drive, n_input) 1 where a column carries what an input senses."""
    input_senses: list[int]
    ear_senses: list[int]
    ears: list[tuple[str, str]]
    """(listener, side) per ear sense."""
    current_senses: list[int]
    sense_stage: dict[int, str]
    sense_limit: dict[int, float]
    knob_positions: dict[str, float]
    """'device.knob' -> position, for every knob in the rig."""
    i_ref: int
    i_10k: int
    hum_points: list[tuple[int, float]]
    """(grid index, linear level re the fundamental) per mains harmonic."""
    noise_weights: FloatArray
    """Quadrature weights W with sum W*g ≈ ∫ g(f) A(f)² df over 20 Hz..20 kHz."""
    a_weight_norm: float
    """∫ A(f)² df over 20 Hz..20 kHz: turns an A-weighted RMS into a white density."""
    sensitivity_db_per_v: dict[str, float]
    sources: tuple[str, ...]
    """The named sources, in ``program_map`` column order (:data:`PROGRAM_CHANNELS`)."""
    talkers: tuple[str, ...] = ()
    """The rig's talkers, in ``voice_map`` column order."""
    voice_map: FloatArray = field(default_factory=lambda: np.zeros((0, 0)))
    """(n_drive, n_talkers) 1 where a microphone's column picks up that talker (per Pa)."""
    preamps: tuple[Preamp, ...] = ()
    """Every interface input that records, with its preamp."""
    memo: dict[object, Any] = field(default_factory=dict, repr=False, compare=False)
    """Results that do not depend on the knobs, kept for the next evaluation (thread-safe:
    an entry is only ever replaced by an equal one)."""

    def cached(self, key: object, make: Callable[[], _T]) -> _T:
        """``make()``, computed once per graph and kept in :attr:`memo` under ``key``.

        For results that do not depend on the knobs; ``key`` must name everything they
        depend on besides the graph.
        """
        if key not in self.memo:
            self.memo[key] = make()
        value: _T = self.memo[key]
        return value

    def input_scale(self, positions: Mapping[str, float]) -> FloatArray:
        """Per input sense: 1, or a preamp's full-scale units per volt at its gain knob."""
        scale = np.ones(len(self.input_senses))
        for p in self.preamps:
            scale[p.slot] = p.fs_per_v(positions.get(p.knob_ref, 0.0))
        return scale

    @property
    def freqs_hz(self) -> FloatArray:
        """The frequency grid of the solved network."""
        return self.solution.freqs_hz

    def knob_gain(self, stage: Stage, positions: dict[str, float]) -> float:
        """Linear gain of a stage at the given knob positions."""
        if stage.knob is None:
            return stage.gain
        pos = positions.get(f"{stage.device}.{stage.knob}", 1.0)
        return stage.gain * float(units.taper_gain(pos, stage.taper))


def frequency_grid(mains_hz: float, harmonics: dict[int, float]) -> FloatArray:
    """Log grid over 20 Hz..20 kHz plus 1 kHz, 10 kHz and the mains harmonics."""
    n = int(round(np.log10(F_MAX_HZ / F_MIN_HZ) * GRID_POINTS_PER_DECADE)) + 1
    extra = [REFERENCE_HZ, 10000.0] + [k * mains_hz for k in harmonics if k * mains_hz <= F_MAX_HZ]
    return np.unique(np.concatenate([np.geomspace(F_MIN_HZ, F_MAX_HZ, n), extra]))


def a_weighted_quadrature(grid_hz: FloatArray, n_fine: int = 2000) -> FloatArray:
    """Weights W so that ``sum(W * g(grid))`` integrates ``g·A²`` over 20 Hz..20 kHz.

    ``g`` is taken as piecewise linear in log-frequency between grid points.
    """
    fine = np.geomspace(F_MIN_HZ, F_MAX_HZ, n_fine)
    df = np.gradient(fine)
    a2 = units.a_weighting_gain(fine) ** 2 * df
    pos = np.interp(np.log(fine), np.log(grid_hz), np.arange(len(grid_hz)))
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, len(grid_hz) - 1)
    frac = pos - lo
    weights = np.zeros(len(grid_hz))
    np.add.at(weights, lo, a2 * (1.0 - frac))
    np.add.at(weights, hi, a2 * frac)
    return weights


def _headphones(built: BuiltRig, listener: str) -> HeadphoneSpec:
    hp = built.devices[listener].spec.headphones
    assert hp is not None  # listeners are the headphones devices
    return hp


def mic_noise_v(port: PortSpec, self_noise_dba: float | None, a_weight_norm: float) -> float:
    """A microphone's A-weighted output noise, V RMS: its self-noise and its coil's.

    Self-noise (an equivalent SPL) becomes volts through the sensitivity; the output
    impedance of both legs (pin 2 to pin 3) adds its Johnson noise over the A-weighted band
    (a dynamic mic's only noise).
    """
    assert port.mv_per_pa is not None
    thermal_v2 = johnson_v2(2.0 * (port.z_out_ohm or 0.0), a_weight_norm)
    self_v = (port.mv_per_pa * 1e-3 * units.spl_to_pa(self_noise_dba)
              if self_noise_dba is not None else 0.0)
    return float(np.sqrt(thermal_v2 + self_v**2))


def _stages(built: BuiltRig, a_weight_norm: float) -> dict[str, Stage]:
    """Every active output (a port that ``feeds`` a channel) as a gain stage."""
    stages: dict[str, Stage] = {}
    for dev in built.devices.values():
        for pname, port in dev.spec.ports.items():
            if port.direction != "out" or port.feeds is None:
                continue
            if port.mv_per_pa is not None:
                mic = dev.spec.microphone
                noise_v = mic_noise_v(port, mic.self_noise_dba if mic else None,
                                      a_weight_norm)
                stages[f"{dev.name}.{pname}"] = Stage(
                    f"{dev.name}.{pname}", dev.name, pname, port, None, "linear", False,
                    port.mv_per_pa * 1e-3, False, noise_v, noise_v, is_mic=True)
                continue
            knob = dev.spec.knobs.get(port.knob) if port.knob else None
            dac_v = port.v_rms_at_0dbfs
            gain = dac_v if dac_v is not None else float(units.from_db(port.gain_db or 0.0))
            noise = port.noise
            assert noise is not None  # the schema requires it on every active output
            stages[f"{dev.name}.{pname}"] = Stage(
                f"{dev.name}.{pname}", dev.name, pname, port, port.knob,
                knob.taper if knob else "linear", knob.physical if knob else False, gain,
                dac_v is not None, units.dbu_to_v(noise.knob_min_dbu_a),
                units.dbu_to_v(noise.knob_max_dbu_a))
    return stages


def _drives(sol: Solution, stages: Mapping[str, Stage]) -> tuple[list[str], list[str]]:
    """The stage and internal channel of each drive column (drives come first)."""
    n_drive = sum(1 for c in sol.columns if ":" in c and c.split(":")[0] in stages)
    drive_stage, drive_channel = [], []
    for col in sol.columns[:n_drive]:
        stage_id, role = col.split(":")
        drive_stage.append(stage_id)
        drive_channel.append(stages[stage_id].spec.channel_roles("feeds")[role])
    return drive_stage, drive_channel


def _program_map(built: BuiltRig, stages: Mapping[str, Stage], drive_stage: list[str],
                 drive_channel: list[str], sources: tuple[str, ...]) -> FloatArray:
    """Drive × source: 1 where an interface's program channel plays that named source."""
    program_map = np.zeros((len(drive_stage), len(sources)))
    for j, (stage_id, channel) in enumerate(zip(drive_stage, drive_channel, strict=True)):
        dev = built.devices[stages[stage_id].device]
        if dev.name in built.host_linked and channel in dev.spec.program_channels:
            k = dev.spec.program_channels.index(channel)
            if k < len(sources):  # the interface's k-th program channel plays source k
                program_map[j, k] = 1.0
    return program_map


def _input_map(built: BuiltRig, stages: Mapping[str, Stage], drive_stage: list[str],
               drive_channel: list[str], input_senses: list[int]) -> FloatArray:
    """Drive × input sense: 1 where a device's input sense feeds that drive's channel."""
    senses = built.netlist.senses
    input_map = np.zeros((len(drive_stage), len(input_senses)))
    for j, (stage_id, channel) in enumerate(zip(drive_stage, drive_channel, strict=True)):
        dev = built.devices[stages[stage_id].device]
        for slot, i in enumerate(input_senses):
            s = senses[i]
            if s.device == dev.name:
                roles = dev.spec.ports[s.port].channel_roles("senses")
                if roles.get(s.role) == channel:
                    input_map[j, slot] = 1.0
    return input_map


def _voice_map(built: BuiltRig, stages: Mapping[str, Stage], drive_stage: list[str]
               ) -> tuple[tuple[str, ...], FloatArray]:
    """The talkers, and drive × talker: 1 where a column is the talker's microphone."""
    talkers = tuple(built.rig.spec.talkers)
    voice_map = np.zeros((len(drive_stage), len(talkers)))
    for t, who in enumerate(talkers):
        mic = built.rig.spec.talkers[who].mic
        for j, sid in enumerate(drive_stage):
            if stages[sid].is_mic and stages[sid].device == mic:
                voice_map[j, t] = 1.0
    return talkers, voice_map


def _preamps(built: BuiltRig, input_senses: list[int]) -> tuple[Preamp, ...]:
    """The input senses whose port records through a preamp."""
    senses = built.netlist.senses
    out = []
    for slot, i in enumerate(input_senses):
        dev = built.devices[senses[i].device]
        port = dev.spec.ports[senses[i].port]
        if port.preamp is not None:
            knob = dev.spec.knobs[port.preamp.knob]
            out.append(Preamp(slot, dev.name, senses[i].port, port.preamp, knob.taper,
                              senses[i].port in dev.phantom))
    return tuple(out)


MONO_PAN_DB = -3.0
"""A DAW track panned to the middle: -3 dB in each side (the common pan law, assumed)."""


def _direct_monitor(built: BuiltRig, stages: Mapping[str, Stage], drive_stage: list[str],
                    drive_channel: list[str], preamps: tuple[Preamp, ...],
                    input_map: FloatArray) -> None:
    """Add each interface's direct-monitor mix of its recorded inputs to its DAC columns.

    The mix is taken after the converter's split, in full-scale units (the inputs' scale
    comes from :meth:`SignalGraph.input_scale`): mono sends every input to both program
    channels at ``mono_gain_db``, stereo each input to its ``monitor_side``.
    """
    for j, (sid, channel) in enumerate(zip(drive_stage, drive_channel, strict=True)):
        stage = stages[sid]
        dev = built.devices[stage.device]
        mode, mono_db = _monitor_mix(dev)
        if not stage.is_dac or mode == "off" or channel not in dev.spec.program_channels[:2]:
            continue
        side = ("left", "right")[dev.spec.program_channels.index(channel)]
        for p in preamps:
            if p.device == dev.name and (mode == "mono" or p.spec.monitor_side == side):
                input_map[j, p.slot] = units.from_db(mono_db) if mode == "mono" else 1.0


def _monitor_mix(dev: ResolvedDevice) -> tuple[str, float]:
    """How an interface mixes its inputs into its outputs: the mode, and the mono level.

    The computer's input monitoring (a DAW track in the middle) mixes like mono.
    """
    if dev.software_monitoring is not None:
        return "mono", MONO_PAN_DB
    if dev.spec.direct_monitor is None:
        return "off", 0.0
    return dev.direct_monitor, dev.spec.direct_monitor.mono_gain_db


def _idle_gain_knobs(built: BuiltRig, preamps: tuple[Preamp, ...],
                     stages: Mapping[str, Stage]) -> set[str]:
    """Gain knobs of inputs with nothing plugged in: they set nothing in this rig."""
    live = {p.knob_ref for p in preamps} | {f"{s.device}.{s.knob}" for s in stages.values()
                                            if s.knob}
    return {f"{d.name}.{port.preamp.knob}" for d in built.devices.values()
            for port in d.spec.ports.values()
            if port.preamp is not None and f"{d.name}.{port.preamp.knob}" not in live}


def _senses_by_kind(senses: Sequence[Sense]) -> dict[str, list[int]]:
    by_kind: dict[str, list[int]] = {}
    for i, s in enumerate(senses):
        by_kind.setdefault(s.kind, []).append(i)
    return by_kind


def _hum_points(grid: FloatArray, env: Environment) -> list[tuple[int, float]]:
    """(grid index, relative amplitude) of each mains harmonic within the audio band."""
    return [(int(np.argmin(np.abs(grid - k * env.mains_hz))), float(units.from_db(db)))
            for k, db in sorted(env.hum_harmonics_db.items()) if k * env.mains_hz <= F_MAX_HZ]


def compile_rig(built: BuiltRig, keep_nodes: bool = False) -> SignalGraph:
    """Solve a wired rig's passive network and assemble its signal graph."""
    env = built.rig.spec.environment
    grid = frequency_grid(env.mains_hz, env.hum_harmonics_db)
    net = built.netlist
    sol = solve(net, grid, keep_nodes=keep_nodes)
    weights = a_weighted_quadrature(grid)
    stages = _stages(built, float(weights.sum()))
    drive_stage, drive_channel = _drives(sol, stages)
    n_drive = len(drive_stage)
    senses = net.senses
    kinds = _senses_by_kind(senses)
    input_senses, ear_senses = kinds.get("input", []), kinds.get("ear", [])
    sources = PROGRAM_CHANNELS
    program_map = _program_map(built, stages, drive_stage, drive_channel, sources)
    input_map = _input_map(built, stages, drive_stage, drive_channel, input_senses)
    preamps = _preamps(built, input_senses)
    _direct_monitor(built, stages, drive_stage, drive_channel, preamps, input_map)
    talkers, voice_map = _voice_map(built, stages, drive_stage)
    sense_stage = {i: f"{s.device}.{s.port}" for i, s in enumerate(senses)}
    sense_limit = {i: s.limit for i, s in enumerate(senses)
                   if s.limit is not None and np.isfinite(s.limit)}

    idle = _idle_gain_knobs(built, preamps, stages)
    positions = {f"{d.name}.{k}": v for d in built.devices.values() for k, v in d.knobs.items()
                 if f"{d.name}.{k}" not in idle}
    return SignalGraph(
        built=built, solution=sol, stages=stages, drive_stage=drive_stage,
        drive_channel=drive_channel, n_drive=n_drive, program_map=program_map,
        input_map=input_map, input_senses=input_senses, ear_senses=ear_senses,
        ears=[(senses[i].device, senses[i].role) for i in ear_senses],
        current_senses=kinds.get("current", []),
        sense_stage=sense_stage, sense_limit=sense_limit, knob_positions=positions,
        i_ref=int(np.argmin(np.abs(grid - REFERENCE_HZ))),
        i_10k=int(np.argmin(np.abs(grid - 10000.0))), hum_points=_hum_points(grid, env),
        noise_weights=weights, a_weight_norm=float(weights.sum()),
        sensitivity_db_per_v={name: _headphones(built, name).level_db_per_v()
                              for name in built.listeners}, sources=sources,
        talkers=talkers, voice_map=voice_map, preamps=preamps)

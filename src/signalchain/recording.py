"""The recording half: what each interface input records, and the voices in each ear.

Everything comes from the same solved graph as the playback figures. A talker is a source
column (pascals at their microphone); a microphone is a stage whose gain is its sensitivity;
an interface input with a ``preamp`` scales what it senses into full-scale units at its gain
knob (:meth:`~signalchain.graph.compile.Preamp.fs_per_v`), and direct monitoring adds it to
the interface's DAC columns. So:

- the **recorded speech** of a talker is ``|V_input / p| · p_talker · FS/V`` (dBFS, AES17);
  its peaks :data:`SPEECH_CREST_DB` above;
- the **recorded noise floor** (dBFS, A-weighted) is the power sum of everything that
  reaches the input (a microphone's self-noise or coil noise), the preamp's EIN at full gain
  referred to its input, and the converter's floor (its dynamic range below 0 dBFS);
- the **voices in each ear** are the same talker columns at the ear senses, through direct
  monitoring.

Results are data (:class:`InputFigures`, :class:`VoiceAtEar`); English is made in
:mod:`signalchain.report`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from signalchain import units
from signalchain.arrays import FloatArray
from signalchain.findings import Finding
from signalchain.graph.compile import Preamp, SignalGraph
from signalchain.graph.response import Response

DEFAULT_RECORD_TARGET_DBFS = -18.0
"""The average speech level to aim for (the seed article: "aim for −18 dBFS")."""
SPEECH_CREST_DB = 12.0
"""Speech peaks above its average (a common planning figure, assumed)."""
MONITOR_LATENCY_MS = 10.0
"""Delay on one's own voice that is commonly reported as disturbing (assumed)."""
NOT_RECORDED_MARGIN_DB = 3.0
"""Hiss at least this far above the recording's floor (at the same ear) is mostly hiss that
is not in the recording."""
REACH_FLOOR = 1e-9
"""A transfer below this (V per Pa, V per V) does not connect two points."""


@dataclass(frozen=True)
class VoiceAtInput:
    """One talker's voice as one input records it."""

    talker: str
    distance_m: float
    """From their lips to the microphone."""
    spl_at_mic_db: float
    """Their average speech level at the microphone, dB SPL."""
    input_dbu: float
    """What reaches the input, dBu."""
    average_dbfs: float
    peak_dbfs: float


@dataclass(frozen=True)
class InputFigures:
    """What one interface input records, at its gain knob's position."""

    id: str
    """``device.port`` of the input."""
    channel: int
    """The recording's channel number."""
    knob: str
    """``device.knob`` of its gain knob."""
    position: float
    gain_db: float
    gain_range_db: float
    voices: tuple[VoiceAtInput, ...]
    noise_dbfs_a: float
    """The recording's noise floor with no one speaking, A-weighted."""
    source_noise_dbfs_a: float
    """Of which: what comes in with the signal (a microphone's self-noise or coil noise)."""
    preamp_noise_dbfs_a: float
    """Of which: the preamp's equivalent input noise at this gain."""
    converter_noise_dbfs_a: float
    """Of which: the converter's own floor."""
    target_dbfs: float
    target_gain_db: float | None
    """The gain that brings the loudest talker's average to the target (None: no talker)."""
    target_position: float | None
    """Where the gain knob gives it (clipped to the knob's travel)."""
    phantom_on: bool
    needs_phantom: tuple[str, ...]
    """Devices plugged straight into this input that only work on phantom power."""

    @property
    def average_dbfs(self) -> float:
        """The loudest talker's average level (−inf with no talker)."""
        return max((v.average_dbfs for v in self.voices), default=-math.inf)

    @property
    def peak_dbfs(self) -> float:
        """The loudest talker's peaks."""
        return self.average_dbfs + SPEECH_CREST_DB

    @property
    def snr_db(self) -> float:
        """Loudest talker's average over the noise floor (dB; −inf with no talker)."""
        return self.average_dbfs - self.noise_dbfs_a

    @property
    def headroom_db(self) -> float:
        """How far the loudest talker's peaks stay below 0 dBFS."""
        return -self.peak_dbfs

    @property
    def missing_gain_db(self) -> float:
        """Gain the preamp lacks to reach the target (0 when it has enough)."""
        if self.target_gain_db is None:
            return 0.0
        return max(0.0, self.target_gain_db - self.gain_range_db)


@dataclass(frozen=True)
class VoiceAtEar:
    """A talker's voice at one ear, through direct monitoring."""

    talker: str
    side: str
    spl_db: float


def _power_db(*levels_db: float) -> float:
    total = sum(10.0 ** (x / 10.0) for x in levels_db if math.isfinite(x))
    return 10.0 * math.log10(total) if total > 0 else -math.inf


def talker_pressures_pa(graph: SignalGraph) -> dict[str, float]:
    """Each talker's average speech pressure at their microphone (Pa RMS)."""
    talkers = graph.built.rig.spec.talkers
    return {who: units.spl_to_pa(talkers[who].spl_at_mic_db()) for who in graph.talkers}


def _input_noise_v2(graph: SignalGraph, resp: Response, noise2: FloatArray, preamp: Preamp
                    ) -> float:
    """A-weighted noise voltage² reaching an input from the stages before it."""
    from signalchain.evaluate import ear_noise_v2

    sense = graph.input_senses[preamp.slot]
    return float(ear_noise_v2(graph, resp, noise2, [sense])[0])


def _target_position(preamp: Preamp, gain_db: float) -> float:
    """The gain knob's position for ``gain_db`` (clipped to its travel)."""
    relative = gain_db - preamp.spec.gain_range_db
    return units.taper_position(float(units.from_db(min(relative, 0.0))), preamp.taper)


def _phantom_loads(graph: SignalGraph, preamp: Preamp) -> tuple[str, ...]:
    """Devices that need phantom power and drive this input directly (through cables only)."""
    sense = graph.input_senses[preamp.slot]
    passive = graph.solution.transfer[graph.i_ref][sense, :graph.n_drive]
    found = []
    for j, sid in enumerate(graph.drive_stage):
        dev = graph.built.devices[graph.stages[sid].device]
        if dev.spec.phantom_power == "required" and abs(passive[j]) > REACH_FLOOR:
            found.append(dev.name)
    return tuple(dict.fromkeys(found))


def input_figures(graph: SignalGraph, resp: Response, positions: Mapping[str, float],
                  noise2: FloatArray, target_dbfs: float = DEFAULT_RECORD_TARGET_DBFS
                  ) -> tuple[InputFigures, ...]:
    """What every recording input records at these knob positions.

    Parameters
    ----------
    graph, resp
        The compiled rig and its response at ``positions``.
    positions : Mapping
        Every knob's position (the gain knobs among them).
    noise2 : ndarray
        Noise density² per drive column (:func:`signalchain.evaluate.stage_noise_v2`).
    target_dbfs : float
        The average speech level to aim for.
    """
    pressures = talker_pressures_pa(graph)
    talkers = graph.built.rig.spec.talkers
    out = []
    for p in graph.preamps:
        sense = graph.input_senses[p.slot]
        position = positions.get(p.knob_ref, 0.0)
        fs_per_v = p.fs_per_v(position)
        voices = []
        for t, who in enumerate(graph.talkers):
            v_in = float(abs(resp.voice[graph.i_ref, sense, t])) * pressures[who]
            if v_in <= REACH_FLOOR * pressures[who]:
                continue
            average = float(units.db(v_in * fs_per_v))
            voices.append(VoiceAtInput(who, talkers[who].distance, talkers[who].spl_at_mic_db(),
                                       float(units.db(v_in / units.dbu_to_v(0.0))),
                                       average, average + SPEECH_CREST_DB))
        source_v2 = _input_noise_v2(graph, resp, noise2, p)
        source_db = 10.0 * math.log10(source_v2 * fs_per_v**2) if source_v2 > 0 else -math.inf
        preamp_db = 10.0 * math.log10(p.noise_v2(graph.a_weight_norm) * fs_per_v**2)
        converter_db = -p.spec.dynamic_range_db_a
        loudest = max(voices, key=lambda v: v.average_dbfs, default=None)
        gain_db = p.gain_db(position)
        target_gain = (None if loudest is None
                       else gain_db + target_dbfs - loudest.average_dbfs)
        out.append(InputFigures(
            p.id, p.spec.channel, p.knob_ref, position, gain_db, p.spec.gain_range_db,
            tuple(voices), _power_db(source_db, preamp_db, converter_db), source_db,
            preamp_db, converter_db, target_dbfs, target_gain,
            None if target_gain is None else _target_position(p, target_gain),
            p.phantom_on, _phantom_loads(graph, p)))
    return tuple(out)


def preamp_ear_noise_v2(graph: SignalGraph, resp: Response,
                        ear_senses: Sequence[int] | slice | None = None) -> FloatArray:
    """A-weighted noise voltage² at every ear from the preamps' EIN, via direct monitoring.

    A batch (:func:`~signalchain.graph.response.respond_many`) gives (P, ears).
    """
    senses = graph.ear_senses if ear_senses is None else ear_senses
    noise = resp.noise[..., senses, :]  # (…, F, ears, drives)
    out: FloatArray = np.zeros(noise.shape[:-3] + noise.shape[-2:-1])
    for p in graph.preamps:
        gain = np.einsum("...fed,...d->...fe", noise, resp.input_gains[..., :, p.slot])
        ein_density2 = p.noise_v2(graph.a_weight_norm) / graph.a_weight_norm
        out += np.einsum("f,...fe->...e", graph.noise_weights, np.abs(gain) ** 2) * ein_density2
    return out


def voices_at_ears(graph: SignalGraph, resp: Response, freq_slot: int | None = None
                   ) -> dict[str, tuple[VoiceAtEar, ...]]:
    """Per listener, each talker's voice at each ear that hears it (dB SPL).

    ``freq_slot`` is the 1 kHz index in ``resp`` when it was solved on a subset of the grid.
    """
    slot = graph.i_ref if freq_slot is None else freq_slot
    pressures = talker_pressures_pa(graph)
    out: dict[str, list[VoiceAtEar]] = {}
    for e, (who, side) in enumerate(graph.ears):
        sense = graph.ear_senses[e]
        for t, talker in enumerate(graph.talkers):
            v = float(abs(resp.voice[slot, sense, t])) * pressures[talker]
            if v <= 0:
                continue
            spl = graph.sensitivity_db_per_v[who] + float(units.db(v))
            if spl > 0.0:  # below the threshold of hearing: not heard
                out.setdefault(who, []).append(VoiceAtEar(talker, side, spl))
    return {who: tuple(v) for who, v in out.items()}


def monitor_latency_ms(graph: SignalGraph) -> tuple[float, int] | None:
    """Round trip (ms) and buffer of the computer's input monitoring, or None without it.

    The interface's measured round trips are fitted as ``a + b·frames/rate`` and read at the
    rig's buffer size and sample rate; an interface without figures is not counted.
    """
    for dev in graph.built.devices.values():
        frames = dev.software_monitoring
        if frames is None or dev.spec.latency is None:
            continue
        table = dev.spec.latency
        x = np.array([f / table.samplerate for f in table.round_trip_ms])
        y = np.array(list(table.round_trip_ms.values()))
        slope, offset = (np.polyfit(x, y, 1) if len(x) > 1 else (y[0] / x[0], 0.0))
        at = frames / graph.built.rig.spec.samplerate
        return float(offset + slope * at), frames
    return None


def latency_findings(graph: SignalGraph, voices: Mapping[str, tuple[VoiceAtEar, ...]]
                     ) -> dict[str, Finding]:
    """``monitor-latency`` for each talker who hears their own voice late, by listener."""
    found = monitor_latency_ms(graph)
    if found is None or found[0] <= MONITOR_LATENCY_MS:
        return {}
    latency, frames = found
    out = {}
    for who, talker in graph.built.rig.spec.talkers.items():
        own = talker.listener
        if own is not None and any(v.talker == who for v in voices.get(own, ())):
            out[own] = Finding("monitor-latency", "warning", "simulate", own, MappingProxyType(
                {"latency_ms": latency, "buffer_frames": frames,
                 "threshold_ms": MONITOR_LATENCY_MS}))
    return out


def monitored_voices(voices: tuple[VoiceAtEar, ...]) -> tuple[VoiceAtEar, ...]:
    """The voices that are monitored, not crosstalk (near the loudest at either ear)."""
    from signalchain import thresholds as th

    loudest = max((v.spl_db for v in voices), default=-math.inf)
    return tuple(v for v in voices if v.spl_db >= loudest - th.CROSSTALK_DB)


def recording_findings(inputs: tuple[InputFigures, ...]) -> list[Finding]:
    """``not-enough-gain``, ``recording-clips``, ``phantom-missing`` for each input."""
    findings = []
    for f in inputs:
        loudest = max(f.voices, key=lambda v: v.average_dbfs, default=None)
        if loudest is not None and f.missing_gain_db > 0:
            findings.append(Finding("not-enough-gain", "warning", "simulate", f.id,
                                    MappingProxyType({
                                        "talker": loudest.talker, "target_dbfs": f.target_dbfs,
                                        "needed_db": f.target_gain_db, "range_db":
                                        f.gain_range_db, "missing_db": f.missing_gain_db,
                                        "best_dbfs": loudest.average_dbfs + f.gain_range_db
                                        - f.gain_db, "distance_m": loudest.distance_m,
                                        "closer_m": loudest.distance_m
                                        * 10 ** (-f.missing_gain_db / 20)})))
        if loudest is not None and f.peak_dbfs > 0.0:
            findings.append(Finding("recording-clips", "warning", "simulate", f.id,
                                    MappingProxyType({"talker": loudest.talker,
                                                      "peak_dbfs": f.peak_dbfs,
                                                      "over_db": f.peak_dbfs})))
        for device in f.needs_phantom:
            if not f.phantom_on:
                findings.append(Finding("phantom-missing", "error", "simulate", f.id,
                                        MappingProxyType({"device": device, "input": f.id})))
    return findings

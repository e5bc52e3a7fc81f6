"""What the computer records when a rig is rendered: one channel per recording input.

Each input with a preamp turns what it senses into samples at its gain knob
(``volts × FS/V ÷ √2``: a full-scale sine peaks at 1.0), with the preamp's own noise added
at its input (so direct monitoring carries the same noise) and the converter's floor
added to the samples, which are clipped at full scale.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from signalchain import units
from signalchain.arrays import Float32Array, FloatArray, IntArray
from signalchain.graph.compile import F_MAX_HZ, F_MIN_HZ, SignalGraph

NOISE_TABLE = 1 << 15
"""Length of a noise table, frames (about 0.7 s at 48 kHz)."""


def band_noise_tables(samplerate: int, rng: np.random.Generator, count: int) -> FloatArray:
    """``count`` unit-RMS white-noise tables, band-limited to 20 Hz–20 kHz, each twice over.

    Read at a random offset (below :data:`NOISE_TABLE`), a slice of any length up to
    :data:`NOISE_TABLE` is seamless noise.
    """
    f = np.fft.rfftfreq(NOISE_TABLE, 1.0 / samplerate)
    band = (f >= F_MIN_HZ) & (f <= F_MAX_HZ)
    tables = []
    for _ in range(count):
        spec = np.zeros(len(f), dtype=complex)
        spec[band] = np.exp(2j * np.pi * rng.random(band.sum()))
        x = np.fft.irfft(spec, NOISE_TABLE)
        tables.append(x / np.sqrt(np.mean(x**2)))
    out: FloatArray = np.concatenate([np.stack(tables)] * 2, axis=1)
    return out


@dataclass
class SignalStats:
    """What a render measured of one signal: its energy, length, peak and clipped samples."""

    sum_sq: float = 0.0
    frames: int = 0
    peak: float = 0.0
    clipped: int = 0

    def add(self, sum_sq: float, frames: int, peak: float, clipped: int) -> None:
        """Count one more block."""
        self.sum_sq += sum_sq
        self.frames += frames
        self.peak = max(self.peak, peak)
        self.clipped += clipped

    @property
    def rms(self) -> float:
        """RMS sample value so far (0 before any block)."""
        return float(np.sqrt(self.sum_sq / self.frames)) if self.frames else 0.0


class ChannelStats(SignalStats):
    """What one recorded channel measured."""

    def summary(self) -> dict[str, float | int | None]:
        """RMS and peak in dBFS (AES17: a full-scale sine is 0 dBFS) and the clipped count."""
        def dbfs(x: float) -> float | None:
            return round(float(units.db(x)), 2) if x > 0 else None
        return {"rms_dbfs": dbfs(self.rms * np.sqrt(2)), "peak_dbfs": dbfs(self.peak),
                "clipped_samples": self.clipped}


@dataclass
class Recorder:
    """The recording inputs of a rig, in channel order."""

    slots: IntArray
    """Each channel's row among the input senses."""
    ids: list[str]
    channels: list[int]
    fs_per_v: Float32Array
    preamp_sigma_v: FloatArray
    """Each preamp's own noise at its input, V RMS over 20 Hz–20 kHz."""
    converter_sigma: FloatArray
    """The converter's floor, in samples RMS over 20 Hz–20 kHz."""
    samplerate: int
    seed: int
    stats: list[ChannelStats] = field(default_factory=list)
    last: Float32Array = field(default_factory=lambda: np.zeros((0, 0), np.float32))
    """The latest block (frames × channels)."""

    @classmethod
    def from_graph(cls, graph: SignalGraph, positions: Mapping[str, float], samplerate: int,
                   seed: int) -> Recorder:
        """The recording inputs at these knob positions."""
        order = sorted(graph.preamps, key=lambda p: (p.spec.channel, p.id))
        white = (F_MAX_HZ - F_MIN_HZ) / graph.a_weight_norm  # A-weighted → flat in band
        return cls(
            np.array([p.slot for p in order], dtype=int), [p.id for p in order],
            [p.spec.channel for p in order],
            np.array([p.fs_per_v(positions.get(p.knob_ref, 0.0)) for p in order],
                     dtype=np.float32),
            np.array([np.sqrt(p.noise_v2(graph.a_weight_norm) * white) for p in order]),
            np.array([units.from_db(-p.spec.dynamic_range_db_a) / np.sqrt(2)
                      * np.sqrt(white) for p in order]),
            samplerate, seed, [ChannelStats() for _ in order])

    def __post_init__(self) -> None:
        rng = np.random.default_rng(self.seed + 7919)
        self._tables = (band_noise_tables(self.samplerate, rng, 2 * len(self.slots))
                        if len(self.slots) else None)
        self._offsets = np.random.default_rng(self.seed + 7920)
        self._pre = np.zeros((len(self.slots), 0), dtype=np.float32)

    def _noise(self, frames: int, first_table: int, sigma: FloatArray) -> Float32Array:
        out = np.zeros((len(self.slots), frames), dtype=np.float32)
        if self._tables is None:
            return out
        for r in range(len(self.slots)):
            table = self._tables[first_table + r]
            done = 0
            while done < frames:
                count = min(frames - done, NOISE_TABLE)
                start = int(self._offsets.integers(NOISE_TABLE))
                out[r, done:done + count] = sigma[r] * table[start:start + count]
                done += count
        return out

    def begin(self, frames: int) -> None:
        """Draw this block's preamp noise (the same for monitoring and for the recording)."""
        self._pre = self._noise(frames, 0, self.preamp_sigma_v)

    def add_noise(self, senses: Float32Array) -> None:
        """Add the preamps' own noise to what their inputs sense."""
        if self._pre.shape[1] == senses.shape[1]:
            senses[self.slots] += self._pre

    def record(self, senses: Float32Array) -> Float32Array:
        """The block as recorded (frames × channels), clipped at full scale; stats updated."""
        frames = senses.shape[1]
        samples = senses[self.slots] * (self.fs_per_v[:, None] / np.float32(np.sqrt(2)))
        samples += self._noise(frames, len(self.slots), self.converter_sigma)
        over = np.abs(samples) > 1.0
        np.clip(samples, -1.0, 1.0, out=samples)
        for r, st in enumerate(self.stats):
            st.add(float(np.dot(samples[r], samples[r])), frames,
                   float(np.abs(samples[r]).max(initial=0.0)), int(over[r].sum()))
        self.last = np.ascontiguousarray(samples.T)
        return self.last

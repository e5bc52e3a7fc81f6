"""Programs: the built-in deterministic test signals and audio files, read in blocks.

Levels use the AES17 convention: a full-scale sine is 0 dBFS, so a signal at
−18 dBFS RMS has an RMS of ``10**(-18/20) / sqrt(2)`` in sample units.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from signalchain.errors import ProgramError, error_at

REFERENCE_RMS = 10 ** (-18 / 20) / math.sqrt(2)  # -18 dBFS RMS in sample units
BUILTINS = ("music", "stereo-id", "pink", "sine1k", "sweep")
DEFAULT_BUILTIN_SECONDS = 20.0
MIN_RATE, MAX_RATE = 8000, 384000


@dataclass
class Program:
    """A stereo program: a block iterator at ``samplerate``.

    ``frames`` is the total length; ``blocks(n)`` yields float32 arrays of
    shape (≤n, 2) in sample units (full scale = 1.0).
    """

    name: str
    samplerate: int
    frames: int
    source: object  # a _Loop or _FileSource
    notes: list[str]

    def blocks(self, block: int) -> Iterator[np.ndarray]:
        """Yield the program in blocks of ``block`` frames (the last may be shorter)."""
        return self.source.blocks(block, self.frames)  # type: ignore[attr-defined]


class _Loop:
    """A precomputed stereo table played from the start and repeated as needed."""

    def __init__(self, table: np.ndarray):
        self.table = np.ascontiguousarray(table, dtype=np.float32)

    def blocks(self, block: int, frames: int) -> Iterator[np.ndarray]:
        n = len(self.table)
        pos = 0
        while pos < frames:
            count = min(block, frames - pos)
            start = pos % n
            if start + count <= n:
                yield self.table[start:start + count]
            else:
                idx = (np.arange(count) + start) % n
                yield self.table[idx]
            pos += count


def _normalise(x: np.ndarray, rms: float = REFERENCE_RMS) -> np.ndarray:
    return x * (rms / np.sqrt(np.mean(x**2)))


def _sine(fs: int) -> np.ndarray:
    n = fs // 1000 * 1000 if fs % 1000 == 0 else fs  # whole cycles per table
    t = np.arange(n) / fs
    s = math.sqrt(2) * REFERENCE_RMS * np.sin(2 * np.pi * 1000.0 * t)
    return np.stack([s, s], axis=1)


def _sweep(fs: int, seconds: float = 10.0) -> np.ndarray:
    """Logarithmic sine sweep 20 Hz → 20 kHz, both channels, -18 dBFS."""
    n = int(seconds * fs)
    t = np.arange(n) / fs
    f0, f1 = 20.0, min(20000.0, 0.45 * fs)
    k = math.log(f1 / f0)
    phase = 2 * np.pi * f0 * seconds / k * (np.exp(t / seconds * k) - 1)
    s = math.sqrt(2) * REFERENCE_RMS * np.sin(phase)
    fade = np.minimum(1.0, np.minimum(t, t[-1] - t) / 0.01)
    s *= fade
    return np.stack([s, s], axis=1)


def _pink(fs: int, seconds: float = 8.0, seed: int = 1) -> np.ndarray:
    """Pink (1/f) noise, 20 Hz–20 kHz, independent L and R, -18 dBFS RMS each (a seamless loop)."""
    n = int(seconds * fs)
    rng = np.random.default_rng(seed)
    f = np.fft.rfftfreq(n, 1 / fs)
    shape = np.zeros_like(f)
    band = (f >= 20) & (f <= 20000)
    shape[band] = 1 / np.sqrt(f[band])
    chans = []
    for _ in range(2):
        spec = shape * np.exp(2j * np.pi * rng.random(len(f)))
        chans.append(_normalise(np.fft.irfft(spec, n)))
    return np.stack(chans, axis=1)


def _burst(fs: int, freq: float, seconds: float) -> np.ndarray:
    t = np.arange(int(seconds * fs)) / fs
    env = np.minimum(1.0, np.minimum(t, t[-1] - t) / 0.01)
    return math.sqrt(2) * REFERENCE_RMS * np.sin(2 * np.pi * freq * t) * env


def _stereo_id(fs: int) -> np.ndarray:
    """Left-only 440 Hz, right-only 660 Hz, centre 550 Hz bursts (0.6 s) with 0.3 s gaps."""
    gap = np.zeros(int(0.3 * fs))
    parts = []
    for left, right, freq in ((1, 0, 440.0), (0, 1, 660.0), (1, 1, 550.0)):
        b = _burst(fs, freq, 0.6)
        parts.append(np.stack([b * left, b * right], axis=1))
        parts.append(np.stack([gap, gap], axis=1))
    return np.concatenate(parts)


def _music(fs: int, seed: int = 7) -> np.ndarray:
    """Synthesize an 8-bar loop at 120 bpm, -18 dBFS RMS overall.

    Bass and chords are in both channels, a lead melody panned left, hi-hat noise
    panned right and a kick in the centre, so L and R differ audibly.
    """
    beat = 0.5
    bars = 8
    n = int(bars * 4 * beat * fs)
    rng = np.random.default_rng(seed)
    left = np.zeros(n, dtype=np.float32)
    right = np.zeros(n, dtype=np.float32)
    cache: dict[tuple[float, float, int, float], np.ndarray] = {}

    def tone(freq: float, dur: float, harmonics: int, decay: float) -> np.ndarray:
        key = (freq, dur, harmonics, decay)
        if key not in cache:
            tt = (np.arange(int(dur * fs)) / fs).astype(np.float32)
            env = np.exp(-decay * tt) * np.minimum(1.0, tt / 0.005)
            phase = (2 * np.pi * freq) * tt
            cache[key] = env * sum(np.sin(h * phase) / h for h in range(1, harmonics + 1))
        return cache[key]

    def add(chan: np.ndarray, start: float, wave: np.ndarray, gain: float) -> None:
        i0 = int(start * fs)
        i1 = min(n, i0 + len(wave))
        chan[i0:i1] += gain * wave[:i1 - i0]

    roots = [55.0, 43.65, 49.0, 41.2, 55.0, 43.65, 36.71, 41.2]  # A F G E A F D E
    scale = [4, 6, 7, 9, 11, 12, 14, 16]
    hat = (rng.standard_normal(int(0.05 * fs)) *
           np.exp(-np.arange(int(0.05 * fs)) / (0.01 * fs))).astype(np.float32)
    kick = tone(50.0, 0.15, 1, 25.0)
    for bar, root in enumerate(roots):
        t0 = bar * 4 * beat
        bass = tone(root, beat * 0.9, 4, 2.0)
        for b in range(4):
            add(left, t0 + b * beat, bass, 0.5)
            add(right, t0 + b * beat, bass, 0.5)
            add(left, t0 + b * beat, kick, 0.6)
            add(right, t0 + b * beat, kick, 0.6)
        for k, ratio in enumerate((2.0, 2.5198, 2.9966)):  # a triad two octaves up, twice a bar
            chord = tone(root * 2 * ratio, 2 * beat, 2, 1.2)
            pan = 0.35 + 0.15 * k
            for half in (0, 2):
                add(left, t0 + half * beat, chord, 0.12 * (1 - pan))
                add(right, t0 + half * beat, chord, 0.12 * pan)
        for e in range(8):
            add(right, t0 + e * beat / 2, hat, 0.08)  # hi-hat on the right
            step = scale[(bar * 3 + e * 5) % len(scale)]  # lead melody on the left
            add(left, t0 + e * beat / 2, tone(root * 8 * 2 ** (step / 12), beat / 2, 3, 4.0),
                0.15)
    stereo = np.stack([left, right], axis=1)
    return stereo * (REFERENCE_RMS / np.sqrt(np.mean(stereo.astype(np.float64) ** 2)))


_TABLES = {"music": _music, "stereo-id": _stereo_id, "pink": _pink, "sine1k": _sine,
           "sweep": _sweep}


@lru_cache(maxsize=8)
def _table(name: str, samplerate: int) -> np.ndarray:
    table = _TABLES[name](samplerate)
    table.setflags(write=False)
    return table


def builtin(name: str, samplerate: int, seconds: float | None = None) -> Program:
    """A built-in program (deterministic): music, stereo-id, pink, sine1k or sweep."""
    if name not in _TABLES:
        raise ProgramError([error_at(f"unknown built-in program {name!r}; valid: "
                                     f"{', '.join('builtin:' + b for b in BUILTINS)}",
                                     code="program")])
    table = _table(name, samplerate)
    seconds = DEFAULT_BUILTIN_SECONDS if seconds is None else seconds
    return Program(f"builtin:{name}", samplerate, int(round(seconds * samplerate)),
                   _Loop(table), [])


class _FileSource:
    """Reads an audio file in blocks, picks two channels, resamples with soxr."""

    def __init__(self, path: Path, channels: tuple[int, int] | None, rate_out: int):
        import soundfile as sf

        self.path = path
        self.sf = sf
        self.info = sf.info(str(path))
        self.channels = channels
        self.rate_out = rate_out

    def blocks(self, block: int, frames: int) -> Iterator[np.ndarray]:
        import soxr

        rate_in = self.info.samplerate
        resampler = (soxr.ResampleStream(rate_in, self.rate_out, 2, dtype="float32")
                     if rate_in != self.rate_out else None)
        produced = 0
        in_block = max(256, int(block * rate_in / self.rate_out))
        with self.sf.SoundFile(str(self.path)) as fh:
            for raw in fh.blocks(blocksize=in_block, dtype="float32", always_2d=True):
                stereo = self._select(raw)
                if not np.all(np.isfinite(stereo)):
                    raise ProgramError([error_at(f"{self.path} contains NaN or infinite "
                                                 "samples", code="program",
                                                 hint="re-export the file")])
                out = resampler.resample_chunk(stereo) if resampler else stereo
                if len(out):
                    out = out[:frames - produced]
                    produced += len(out)
                    yield out
                if produced >= frames:
                    return
            if resampler is not None:
                tail = resampler.resample_chunk(np.zeros((0, 2), np.float32), last=True)
                if len(tail) and produced < frames:
                    yield tail[:frames - produced]

    def _select(self, raw: np.ndarray) -> np.ndarray:
        if raw.shape[1] == 1:
            return np.repeat(raw, 2, axis=1)
        a, b = self.channels or (1, 2)
        return np.ascontiguousarray(raw[:, [a - 1, b - 1]])


def from_file(path: Path, samplerate: int, seconds: float | None = None,
              channels: tuple[int, int] | None = None) -> Program:
    """A program read from any file soundfile can open (WAV, FLAC, OGG, AIFF ...)."""
    import soundfile as sf

    path = Path(path)
    if not path.exists():
        raise ProgramError([error_at(f"program file not found: {path}", code="program",
                                     hint="give a path to an audio file or builtin:NAME "
                                     f"({', '.join(BUILTINS)})")])
    try:
        info = sf.info(str(path))
    except (RuntimeError, sf.LibsndfileError) as exc:
        raise ProgramError([error_at(f"cannot read {path} as audio: {exc}", code="program",
                                     hint="use WAV, FLAC, OGG or AIFF")]) from None
    if info.frames <= 0:
        raise ProgramError([error_at(f"{path} is empty (no samples)", code="program")])
    if not MIN_RATE <= info.samplerate <= MAX_RATE:
        raise ProgramError([error_at(f"{path} has an unusable sample rate ({info.samplerate} "
                                     f"Hz); expected {MIN_RATE}..{MAX_RATE} Hz", code="program")])
    notes = []
    if channels is not None:
        bad = [c for c in channels if not 1 <= c <= info.channels]
        if bad:
            raise ProgramError([error_at(f"--channels {channels[0]},{channels[1]}: {path} has "
                                         f"{info.channels} channel(s)", code="program")])
    elif info.channels > 2:
        notes.append(f"{path.name} has {info.channels} channels; using 1 and 2 "
                     "(choose others with --channels A,B)")
    total = info.frames * samplerate / info.samplerate
    if seconds is not None:
        total = min(total, seconds * samplerate)
    return Program(str(path), samplerate, int(total),
                   _FileSource(path, channels, samplerate), notes)


def open_program(spec: str, samplerate: int, seconds: float | None = None,
                 channels: tuple[int, int] | None = None, base: Path | None = None) -> Program:
    """Open ``builtin:NAME`` or a file path (relative paths against ``base``)."""
    if seconds is not None and seconds <= 0:
        raise ProgramError([error_at(f"--seconds must be positive, not {seconds:g}",
                                     code="program")])
    if spec.startswith("builtin:"):
        return builtin(spec.split(":", 1)[1], samplerate, seconds)
    path = Path(spec)
    if not path.is_absolute() and base is not None and not path.exists():
        path = base / path
    return from_file(path, samplerate, seconds, channels)

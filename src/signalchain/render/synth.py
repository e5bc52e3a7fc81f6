"""The built-in programs' signals (deterministic): music, speech, test signals, silence.

``music`` is an 8-bar stereo loop whose channels differ; ``sine`` (1 kHz), ``sweep``,
``pink`` and ``stereo_id`` are test signals; all are at −18 dBFS RMS.

``speech`` is a stand-in for a talker: voiced syllables from a glottal pulse train at a
rising and falling pitch (about 100–170 Hz), shaped by the formants of a handful of vowels,
with unvoiced fricative bursts, a syllable rate near 4.5 per second and pauses between
phrases. Its long-term spectrum has most energy between 100 Hz and 4 kHz, falling above, as
speech does; it is mono (a voice is in the centre) and its RMS over the loop is the reference
−18 dBFS. ``silence`` is digital silence: a render of it is the rig's own hiss and hum.
"""

from __future__ import annotations

import math

import numpy as np

from signalchain.arrays import Float32Array, FloatArray

VOWELS_HZ = ((730, 1090, 2440), (270, 2290, 3010), (300, 870, 2240), (530, 1840, 2480),
             (570, 840, 2410), (660, 1720, 2410))
"""First three formants of a, i, u, e, o and æ (Peterson & Barney's adult male means)."""
BANDWIDTHS_HZ = (90, 110, 170)
SPEECH_SECONDS = 8.0
SYLLABLES_PER_PHRASE = (5, 9)
PEAK_DBFS = -3.0
"""Peaks are kept below this (a sample of 1.0 is full scale)."""
REFERENCE_RMS = 10 ** (-18 / 20) / math.sqrt(2)
"""−18 dBFS RMS in sample units (0 dBFS is the RMS of a full-scale sine)."""


def silence(fs: int) -> FloatArray:
    """One second of digital silence, stereo."""
    return np.zeros((fs, 2))


def _formant_filter(x: FloatArray, fs: int, formants: tuple[int, ...]) -> FloatArray:
    """A cascade of two-pole resonators (a vowel's formants)."""
    from scipy import signal  # imported here: scipy.signal takes most of a second to load

    for f, bw in zip(formants, BANDWIDTHS_HZ, strict=True):
        r = math.exp(-math.pi * bw / fs)
        a = [1.0, -2 * r * math.cos(2 * math.pi * f / fs), r * r]
        x = signal.lfilter([1.0 - r], a, x)
    return x


def _voiced(fs: int, dur: float, f0_start: float, f0_end: float, vowel: tuple[int, ...],
            rng: np.random.Generator) -> FloatArray:
    from scipy import signal

    n = int(dur * fs)
    f0 = np.linspace(f0_start, f0_end, n) * (1 + 0.01 * rng.standard_normal(n).cumsum()
                                            / math.sqrt(n))
    phase = np.cumsum(f0 / fs)
    pulses = np.diff(np.floor(phase), prepend=0.0)  # one impulse per glottal period
    source = signal.lfilter([1.0], [1.0, -0.96], pulses)  # glottal pulse shape
    voice = _formant_filter(source, fs, vowel)
    voice /= max(float(np.sqrt(np.mean(voice**2))), 1e-12)
    t = np.arange(n) / fs
    env = np.minimum(1.0, t / 0.025) * np.minimum(1.0, (dur - t) / 0.06)
    shaped: FloatArray = voice * np.clip(env, 0.0, 1.0)
    return shaped


def _fricative(fs: int, dur: float, rng: np.random.Generator) -> FloatArray:
    from scipy import signal

    n = int(dur * fs)
    sos = signal.butter(4, [min(3500.0, 0.3 * fs), min(8000.0, 0.45 * fs)], "bandpass", fs=fs,
                        output="sos")
    noise = signal.sosfilt(sos, rng.standard_normal(n))
    noise /= max(float(np.sqrt(np.mean(noise**2))), 1e-12)
    t = np.arange(n) / fs
    burst: FloatArray = noise * np.sin(np.pi * t / dur) ** 2
    return burst


def speech(fs: int, seed: int = 11) -> FloatArray:
    """A speech-like loop (see the module's description), stereo with equal channels."""
    rng = np.random.default_rng(seed)
    n = int(SPEECH_SECONDS * fs)
    out = np.zeros(n)
    t = 0.25
    while t < SPEECH_SECONDS - 1.0:
        count = int(rng.integers(*SYLLABLES_PER_PHRASE))
        f0_top = 150.0 + 20.0 * rng.random()
        for k in range(count):
            if t > SPEECH_SECONDS - 0.6:
                break
            if rng.random() < 0.35:  # an unvoiced consonant first
                fric = _fricative(fs, 0.05 + 0.05 * rng.random(), rng) * 0.12
                i = int(t * fs)
                out[i:i + len(fric)] += fric[:n - i]
                t += len(fric) / fs
            dur = 0.12 + 0.14 * rng.random()
            # pitch falls through the phrase (declination), each syllable glides a little
            f0 = f0_top - 45.0 * k / count
            vowel = VOWELS_HZ[int(rng.integers(len(VOWELS_HZ)))]
            voice = _voiced(fs, dur, f0, f0 * (0.92 + 0.1 * rng.random()), vowel, rng)
            voice *= 0.6 + 0.4 * rng.random()  # stressed and unstressed syllables
            i = int(t * fs)
            out[i:i + len(voice)] += voice[:n - i]
            t += dur + 0.03 + 0.05 * rng.random()
        t += 0.3 + 0.35 * rng.random()  # a pause between phrases
    out *= REFERENCE_RMS / np.sqrt(np.mean(out**2))
    peak = np.abs(out).max()
    limit = 10 ** (PEAK_DBFS / 20)
    if peak > limit:  # a soft ceiling on the rare loud plosive, not a level change
        out = limit * np.tanh(out / limit)
    return np.stack([out, out], axis=1)


def _normalise(x: FloatArray, rms: float = REFERENCE_RMS) -> FloatArray:
    scale: float = rms / np.sqrt(np.mean(x**2))
    return x * scale


def sine(fs: int) -> FloatArray:
    """A 1 kHz sine at −18 dBFS RMS in both channels (whole cycles: a seamless loop)."""
    n = fs // 1000 * 1000 if fs % 1000 == 0 else fs  # whole cycles per table
    t = np.arange(n) / fs
    s = math.sqrt(2) * REFERENCE_RMS * np.sin(2 * np.pi * 1000.0 * t)
    return np.stack([s, s], axis=1)


def sweep(fs: int, seconds: float = 10.0) -> FloatArray:
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


def pink(fs: int, seconds: float = 8.0, seed: int = 1) -> FloatArray:
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


def _burst(fs: int, freq: float, seconds: float) -> FloatArray:
    t = np.arange(int(seconds * fs)) / fs
    env = np.minimum(1.0, np.minimum(t, t[-1] - t) / 0.01)
    burst: FloatArray = math.sqrt(2) * REFERENCE_RMS * np.sin(2 * np.pi * freq * t) * env
    return burst


def stereo_id(fs: int) -> FloatArray:
    """Left-only 440 Hz, right-only 660 Hz, centre 550 Hz bursts (0.6 s) with 0.3 s gaps."""
    gap = np.zeros(int(0.3 * fs))
    parts = []
    for left, right, freq in ((1, 0, 440.0), (0, 1, 660.0), (1, 1, 550.0)):
        b = _burst(fs, freq, 0.6)
        parts.append(np.stack([b * left, b * right], axis=1))
        parts.append(np.stack([gap, gap], axis=1))
    return np.concatenate(parts)


def music(fs: int, seed: int = 7) -> FloatArray:
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
    cache: dict[tuple[float, float, int, float], Float32Array] = {}

    def tone(freq: float, dur: float, harmonics: int, decay: float) -> Float32Array:
        key = (freq, dur, harmonics, decay)
        if key not in cache:
            tt = (np.arange(int(dur * fs)) / fs).astype(np.float32)
            env = np.exp(-decay * tt) * np.minimum(1.0, tt / 0.005)
            phase = (2 * np.pi * freq) * tt
            cache[key] = env * sum(np.sin(h * phase) / h for h in range(1, harmonics + 1))
        return cache[key]

    def add(chan: Float32Array, start: float, wave: Float32Array, gain: float) -> None:
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
    stereo = np.stack([left, right], axis=1).astype(np.float64)
    level: float = REFERENCE_RMS / np.sqrt(np.mean(stereo**2))
    return stereo * level

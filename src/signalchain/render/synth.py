"""Built-in programs made of synthesized speech and of silence (deterministic).

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
from scipy import signal

from signalchain.arrays import FloatArray

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
    for f, bw in zip(formants, BANDWIDTHS_HZ, strict=True):
        r = math.exp(-math.pi * bw / fs)
        a = [1.0, -2 * r * math.cos(2 * math.pi * f / fs), r * r]
        x = signal.lfilter([1.0 - r], a, x)
    return x


def _voiced(fs: int, dur: float, f0_start: float, f0_end: float, vowel: tuple[int, ...],
            rng: np.random.Generator) -> FloatArray:
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

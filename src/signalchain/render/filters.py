"""Filters made from the solved network's frequency responses, and their streaming state."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import fft as sp_fft

from signalchain.arrays import ComplexArray, Float32Array, FloatArray

FLAT_DB = 0.02
"""A path whose level varies less than this over 20 Hz–20 kHz becomes a plain gain."""
FLAT_PHASE_RAD = 0.005
CROSSTALK_AS_GAIN = 1e-2
"""Paths below −40 dB (ground-return crosstalk) are rendered as gains: under the main signal,
their spectral shape is inaudible."""
FIR_TAPS = 1024
FFT_DESIGN = 16384


@dataclass
class PathFilter:
    """A transfer from one drive column to one sense: a gain or minimum-phase FIR taps."""

    gain: float
    taps: FloatArray | None = None


def design_path(response: ComplexArray, freqs_hz: FloatArray, ref_index: int,
                samplerate: int) -> PathFilter:
    """Turn a solved complex response into a gain (if flat) or a minimum-phase FIR.

    Polarity is taken from the phase at the reference frequency; the FIR's
    magnitude follows the response (log-frequency interpolation, flat outside
    20 Hz–20 kHz).
    """
    ref = response[ref_index]
    sign = 1.0 if abs(np.angle(ref)) <= np.pi / 2 else -1.0
    mag = np.abs(response)
    with np.errstate(divide="ignore"):
        dev_db = 20 * np.log10(mag / abs(ref))
    phase_dev = np.angle(response * sign)
    flat = np.nanmax(np.abs(dev_db)) < FLAT_DB and np.max(np.abs(phase_dev)) < FLAT_PHASE_RAD
    if flat or mag.max() < CROSSTALK_AS_GAIN:
        return PathFilter(sign * abs(ref))
    f_dense = np.fft.rfftfreq(FFT_DESIGN, 1.0 / samplerate)
    logf = np.log(np.clip(f_dense, freqs_hz[0], freqs_hz[-1]))
    mag_dense = np.interp(logf, np.log(freqs_hz), mag)
    cep = np.fft.irfft(np.log(np.maximum(mag_dense, 1e-12)), FFT_DESIGN)
    fold = np.zeros(FFT_DESIGN)
    fold[0] = cep[0]
    fold[1:FFT_DESIGN // 2] = 2 * cep[1:FFT_DESIGN // 2]
    fold[FFT_DESIGN // 2] = cep[FFT_DESIGN // 2]
    h = np.fft.irfft(np.exp(np.fft.rfft(fold)), FFT_DESIGN)[:FIR_TAPS]
    fade = np.ones(FIR_TAPS)
    tail = FIR_TAPS // 4
    fade[-tail:] = 0.5 * (1 + np.cos(np.linspace(0, np.pi, tail)))
    return PathFilter(sign * abs(ref), sign * h * fade)


class FirBank:
    """Streaming overlap-add convolution for many (target, source, taps) filters.

    Each source's block is transformed once per block and shared by every filter
    that reads it; each target keeps the tail that spills into the next block.
    Only targets that have filters are transformed back.
    """

    def __init__(self, filters: list[tuple[int, int, FloatArray]]):
        self.filters = filters
        self.n_taps = max((len(h) for _, _, h in filters), default=0)
        self.targets = sorted({t for t, _, _ in filters})
        self.sources = sorted({s for _, s, _ in filters})
        self._row = {t: i for i, t in enumerate(self.targets)}
        self._col = {s: i for i, s in enumerate(self.sources)}
        self.tails = np.zeros((len(self.targets), max(self.n_taps - 1, 0)), dtype=np.float32)
        self._spectra: dict[int, npt.NDArray[np.complex64]] = {}

    def __bool__(self) -> bool:
        return bool(self.filters)

    def _h(self, size: int) -> npt.NDArray[np.complex64]:
        """(targets, sources, bins) filter spectra for an FFT size (cached)."""
        if size not in self._spectra:
            h = np.zeros((len(self.targets), len(self.sources), size // 2 + 1), np.complex64)
            for t, s, taps in self.filters:
                h[self._row[t], self._col[s]] += sp_fft.rfft(taps, size).astype(np.complex64)
            self._spectra[size] = h
        return self._spectra[size]

    def process(self, sources: Float32Array, out: Float32Array, commit: bool = True) -> None:
        """Add every filter's output for this block to ``out`` (targets × frames).

        ``commit`` False leaves the tails as they were: the block's sources are not final
        yet (a renderer that reads its inputs level by level), and the call that commits
        is the block's last.
        """
        if not self.filters:
            return
        frames = sources.shape[1]
        size = sp_fft.next_fast_len(frames + self.n_taps - 1, real=True)
        spectra = sp_fft.rfft(sources[self.sources], size, axis=1)
        h = self._h(size)
        acc = h[:, 0, :] * spectra[0]
        for s in range(1, len(self.sources)):
            acc += h[:, s, :] * spectra[s]
        y = sp_fft.irfft(acc, size, axis=1)
        n_tail = self.n_taps - 1
        y[:, :n_tail] += self.tails
        out[self.targets] += y[:, :frames]
        if commit:
            self.tails = y[:, frames:frames + n_tail].astype(np.float32)

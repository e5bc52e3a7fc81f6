"""Filters made from the solved network's frequency responses, and their streaming state.

A path that is not flat is realised as a low-order IIR filter (second-order sections)
when one fits the solved response within :data:`FIT_DB`, and as a minimum-phase FIR
otherwise; a path's realised response can be read back with :func:`realised_response`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import fft as sp_fft
from scipy import signal

from signalchain.arrays import ComplexArray, Float32Array, FloatArray

FLAT_DB = 0.02
"""A path whose level varies less than this over 20 Hz–20 kHz becomes a plain gain."""
FLAT_PHASE_RAD = 0.005
CROSSTALK_AS_GAIN = 1e-2
"""Paths below −40 dB (ground-return crosstalk) are rendered as gains: under the main signal,
their spectral shape is inaudible."""
FIR_TAPS = 1024
FFT_DESIGN = 16384
FIT_DB = 0.02
"""A fitted IIR filter is used when its level is within this of the solved one at every grid
frequency from 20 Hz to 20 kHz (the render's accuracy target is 0.05 dB)."""
IIR_MAX_ORDER = 3
FIT_ITERATIONS = 8
"""Steiglitz–McBride re-weightings of the linear fit."""
F_NORM_HZ = 1000.0
"""Fits are made in s / (2π · this), which keeps the normal equations well conditioned."""
MIN_PHASE_FIT_POINTS = 240
POLE_MARGIN = 1e-4
"""A fitted filter's poles (float32 coefficients, as rendered) stay this far inside the unit
circle; closer, float32 state rounding grows (a coupling capacitor's 1 Hz corner at 96 kHz)."""
OUT_OF_BAND_DB = 1.0
"""Below 20 Hz and above 20 kHz a fitted filter may rise at most this far above its level at
the nearer band edge (the solved response says nothing there; the FIR stays flat)."""


@dataclass
class PathFilter:
    """A transfer from one drive column to one sense: a gain, IIR sections or FIR taps."""

    gain: float
    taps: FloatArray | None = None
    sos: FloatArray | None = None
    """Second-order sections (sections × 6, SciPy's layout), the gain included."""


def _min_phase_spectrum(mag: FloatArray, freqs_hz: FloatArray, samplerate: int
                        ) -> tuple[FloatArray, ComplexArray]:
    """The minimum-phase spectrum with the magnitude ``mag``, on an FFT's bins.

    ``mag`` is interpolated in log frequency onto the bins of an ``FFT_DESIGN``-point FFT
    (flat outside the grid); the phase follows from the real cepstrum.
    """
    f_dense: FloatArray = np.fft.rfftfreq(FFT_DESIGN, 1.0 / samplerate).astype(np.float64)
    logf = np.log(np.clip(f_dense, freqs_hz[0], freqs_hz[-1]))
    mag_dense = np.interp(logf, np.log(freqs_hz), mag)
    cep = np.fft.irfft(np.log(np.maximum(mag_dense, 1e-12)), FFT_DESIGN)
    fold = np.zeros(FFT_DESIGN)
    fold[0] = cep[0]
    fold[1:FFT_DESIGN // 2] = 2 * cep[1:FFT_DESIGN // 2]
    fold[FFT_DESIGN // 2] = cep[FFT_DESIGN // 2]
    spectrum: ComplexArray = np.exp(np.fft.rfft(fold))
    return f_dense, spectrum


def _min_phase_fir(spectrum: ComplexArray) -> FloatArray:
    """FIR taps from a minimum-phase spectrum, faded out over their last quarter."""
    h = np.fft.irfft(spectrum, FFT_DESIGN)[:FIR_TAPS]
    fade = np.ones(FIR_TAPS)
    tail = FIR_TAPS // 4
    fade[-tail:] = 0.5 * (1 + np.cos(np.linspace(0, np.pi, tail)))
    taps: FloatArray = h * fade
    return taps


def _fit_rational(target: ComplexArray, freqs_hz: FloatArray, samplerate: int, order: int
                  ) -> FloatArray | None:
    """A stable IIR filter of ``order`` whose response approximates ``target``, as SOS.

    The fit is made in the analog domain at pre-warped frequencies, so the bilinear
    transform lands it exactly on the digital frequencies: a linear least-squares fit of
    B(s) − H·(A(s) − 1) = H relative to |H|, re-weighted by 1/|A| (Steiglitz–McBride).
    Poles in the right half-plane are mirrored (same magnitude) and the numerator refitted.
    """
    if not np.all(np.isfinite(target)) or np.abs(target).min(initial=np.inf) <= 0.0:
        return None  # a null in the band: relative weights are undefined (the FIR copes)
    s = 1j * 2 * samplerate * np.tan(np.pi * freqs_hz / samplerate) / (2 * np.pi * F_NORM_HZ)
    powers = s[:, None] ** np.arange(order + 1)[None, :]
    weight = 1.0 / np.abs(target)
    try:
        return _steiglitz_mcbride(target, powers, weight, samplerate)
    except np.linalg.LinAlgError:
        return None


def _steiglitz_mcbride(target: ComplexArray, powers: ComplexArray, weight: FloatArray,
                       samplerate: int) -> FloatArray | None:
    """The iterations of :func:`_fit_rational`, its pole mirroring and the bilinear step."""
    order = powers.shape[1] - 1

    def solve(matrix: ComplexArray | FloatArray, rhs: ComplexArray) -> FloatArray:
        sol, *_ = np.linalg.lstsq(np.concatenate([matrix.real, matrix.imag]),
                                  np.concatenate([rhs.real, rhs.imag]), rcond=None)
        out: FloatArray = sol
        return out

    b = a = np.zeros(0)
    for _ in range(FIT_ITERATIONS):
        matrix = np.concatenate([powers, -target[:, None] * powers[:, 1:]], axis=1)
        theta = solve(matrix * weight[:, None], target * weight)
        b, a = theta[:order + 1], np.concatenate([[1.0], theta[order + 1:]])
        weight = 1.0 / (np.abs(target) * np.abs(powers @ a))
    if not np.all(np.isfinite(a)) or abs(a[-1]) < 1e-300:
        return None
    poles = np.roots(a[::-1])
    if (poles.real >= 0).any():
        poles = np.where(poles.real >= 0, -poles.real + 1j * poles.imag, poles)
        a = np.real(np.poly(poles))[::-1] * a[-1]
        rel = 1.0 / np.abs(target)
        b = solve(powers * rel[:, None], target * (powers @ a) * rel)
    b_z, a_z = signal.bilinear(b[::-1], a[::-1], fs=samplerate / (2 * np.pi * F_NORM_HZ))
    if not np.all(np.isfinite(a_z)) or not np.all(np.isfinite(b_z)):
        return None
    sos: FloatArray = signal.tf2sos(b_z, a_z)
    as_rendered = sos.astype(np.float32).astype(np.float64)
    radius = max((np.abs(np.roots(sec[3:])).max(initial=0.0) for sec in as_rendered),
                 default=0.0)
    return sos if radius < 1.0 - POLE_MARGIN else None


def realised_response(pf: PathFilter, freqs_hz: FloatArray, samplerate: int) -> ComplexArray:
    """What a path filter does at ``freqs_hz``, as the renderer runs it (float32 coefficients)."""
    if pf.sos is not None:
        sos = pf.sos.astype(np.float32).astype(np.float64)
        _, h = signal.freqz_sos(sos, worN=freqs_hz, fs=samplerate)
        out: ComplexArray = h
        return out
    if pf.taps is not None:
        _, h = signal.freqz(pf.taps.astype(np.float32).astype(np.float64), worN=freqs_hz,
                            fs=samplerate)
        fir: ComplexArray = h
        return fir
    return np.full(len(freqs_hz), pf.gain, dtype=complex)


def _fits(pf: PathFilter, response: ComplexArray, freqs_hz: FloatArray, samplerate: int) -> bool:
    """Within FIT_DB of the solved level in the band, no rise above OUT_OF_BAND_DB outside."""
    real = realised_response(pf, freqs_hz, samplerate)
    with np.errstate(divide="ignore", invalid="ignore"):
        err_db = np.abs(20 * np.log10(np.abs(real) / np.abs(response)))
    if not (np.all(np.isfinite(err_db)) and err_db.max() <= FIT_DB):
        return False
    low = np.geomspace(1.0, freqs_hz[0], 8)[:-1]
    high = np.geomspace(freqs_hz[-1], 0.49 * samplerate, 8)[1:]
    rise = 10 ** (OUT_OF_BAND_DB / 20)
    return bool(np.abs(realised_response(pf, low, samplerate)).max() <= rise * abs(real[0])
                and np.abs(realised_response(pf, high, samplerate)).max()
                <= rise * abs(real[-1]))


def _fit_iir(response: ComplexArray, freqs_hz: FloatArray, samplerate: int, gain: float,
             min_phase: tuple[FloatArray, ComplexArray]) -> PathFilter | None:
    """The lowest-order IIR filter that fits, or None.

    Each order is fitted first to the solved response (its phase too), then to the
    minimum-phase response of its magnitude (a magnitude-only impedance curve has no
    causal phase of its own).
    """
    f_dense, spectrum = min_phase
    inside = np.flatnonzero((f_dense >= freqs_hz[0]) & (f_dense <= freqs_hz[-1]))
    pick = np.unique(np.geomspace(1, len(inside), MIN_PHASE_FIT_POINTS).astype(int) - 1)
    targets = ((response, freqs_hz), (spectrum[inside[pick]], f_dense[inside[pick]]))
    for order in range(1, IIR_MAX_ORDER + 1):
        for target, freqs in targets:
            sos = _fit_rational(target, freqs, samplerate, order)
            if sos is None:
                continue
            pf = PathFilter(gain, sos=sos)
            if _fits(pf, response, freqs_hz, samplerate):
                return pf
    return None


def design_path(response: ComplexArray, freqs_hz: FloatArray, ref_index: int,
                samplerate: int) -> PathFilter:
    """Turn a solved complex response into a gain (if flat), an IIR filter or an FIR.

    Polarity is taken from the phase at the reference frequency. A path that is not flat
    becomes the lowest-order IIR filter (up to :data:`IIR_MAX_ORDER`) within :data:`FIT_DB`
    of the solved level everywhere on the grid, else a minimum-phase FIR whose magnitude
    follows the response (log-frequency interpolation, flat outside 20 Hz–20 kHz).
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
    min_phase = _min_phase_spectrum(mag, freqs_hz, samplerate)
    fitted = _fit_iir(response * sign, freqs_hz, samplerate, sign * abs(ref), min_phase)
    if fitted is not None and fitted.sos is not None:
        fitted.sos[0, :3] *= sign
        return fitted
    return PathFilter(sign * abs(ref), sign * _min_phase_fir(min_phase[1]))


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


class IirBank:
    """Streaming IIR filters for many (target, source, sections) paths.

    Paths with the same coefficients run as one ``sosfilt`` call over their sources; each
    path keeps its filter state from block to block.
    """

    def __init__(self, filters: list[tuple[int, int, FloatArray]]):
        self.filters = filters
        groups: dict[bytes, list[int]] = {}
        for k, (_, _, sos) in enumerate(filters):
            groups.setdefault(sos.astype(np.float32).tobytes(), []).append(k)
        self._groups = []
        for members in groups.values():
            sos32 = filters[members[0]][2].astype(np.float32)
            targets = np.array([filters[k][0] for k in members])
            sources = np.array([filters[k][1] for k in members])
            state = np.zeros((len(sos32), len(members), 2), dtype=np.float32)
            self._groups.append((sos32, targets, sources, state))
        self._distinct = [len(np.unique(t)) == len(t) for _, t, _, _ in self._groups]

    def __bool__(self) -> bool:
        return bool(self.filters)

    def process(self, sources: Float32Array, out: Float32Array, commit: bool = True) -> None:
        """Add every filter's output for this block to ``out``; ``commit`` as for FirBank."""
        if sources.shape[1] == 0:
            return
        for g, (sos, targets, srcs, state) in enumerate(self._groups):
            y, final = signal.sosfilt(sos, sources[srcs], axis=-1, zi=state)
            if self._distinct[g]:
                out[targets] += y
            else:
                for row, target in enumerate(targets):
                    out[target] += y[row]
            if commit:
                self._groups[g] = (sos, targets, srcs, final.astype(np.float32))


class PathBank:
    """The filtered paths into a set of senses: FIR and IIR filters behind one ``process``."""

    def __init__(self, paths: list[tuple[int, int, PathFilter]]):
        self.paths = paths
        self.fir = FirBank([(t, s, pf.taps) for t, s, pf in paths if pf.taps is not None])
        self.iir = IirBank([(t, s, pf.sos) for t, s, pf in paths if pf.sos is not None])

    def __bool__(self) -> bool:
        return bool(self.paths)

    def scaled(self, scale: FloatArray) -> PathBank:
        """The same paths with each target's output multiplied by ``scale[target]``."""
        def times(pf: PathFilter, k: float) -> PathFilter:
            sos = None
            if pf.sos is not None:
                sos = pf.sos.copy()
                sos[0, :3] *= k
            return PathFilter(pf.gain * k, None if pf.taps is None else pf.taps * k, sos)
        return PathBank([(t, s, times(pf, float(scale[t]))) for t, s, pf in self.paths])

    def process(self, sources: Float32Array, out: Float32Array, commit: bool = True) -> None:
        """Add every path's output for this block to ``out`` (targets × frames)."""
        self.fir.process(sources, out, commit)
        self.iir.process(sources, out, commit)

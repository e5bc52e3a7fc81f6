"""The renderer realises every solved path: level within 0.05 dB from 20 Hz to 20 kHz and the
same polarity, whether it runs the path as a gain, an IIR filter or an FIR."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import signal

from signalchain.api import check_rig
from signalchain.graph import compile_rig
from signalchain.graph.compile import F_MAX_HZ, F_MIN_HZ, SignalGraph
from signalchain.render.engine import NEGLIGIBLE, RELATIVE_FLOOR, Renderer
from signalchain.render.filters import (
    CROSSTALK_AS_GAIN,
    IirBank,
    PathBank,
    PathFilter,
    _fits,
    design_path,
    realised_response,
)

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("*.yaml"))
TOLERANCE_DB = 0.05


def realised(engine: Renderer, gains: np.ndarray, bank: PathBank, row: int, col: int,
             scale: float, freqs: np.ndarray) -> np.ndarray:
    """The engine's response from drive ``col`` to sense ``row``: its gain plus its filters."""
    total = np.full(len(freqs), gains[row, col], dtype=complex)
    for target, source, pf in bank.paths:
        if (target, source) == (row, col):
            total += realised_response(pf, freqs, engine.samplerate) / scale
    return total


def paths_checked(graph: SignalGraph, engine: Renderer) -> list[tuple[str, int, float, float]]:
    """(kind, sense, worst level error in dB, worst phase error in rad) of every rendered path;
    paths rendered as gains below −40 dB are judged by what they add to their sense's sum."""
    t = graph.solution.transfer
    freqs = graph.freqs_hz
    band = (freqs >= F_MIN_HZ) & (freqs <= F_MAX_HZ)
    out = []
    for kind, senses, gains, bank, scales in (
            ("input", graph.input_senses, engine.g_in, engine.paths_in,
             np.ones(len(graph.input_senses))),
            ("ear", graph.ear_senses, engine.g_ear, engine.paths_ear, engine.ear_scale)):
        for row, s in enumerate(senses):
            solved_all = t[band, s, :graph.n_drive]
            peak = np.abs(solved_all).max(axis=0)
            strongest = peak.max(initial=0.0)
            for col in np.flatnonzero(peak >= max(NEGLIGIBLE, RELATIVE_FLOOR * strongest)):
                solved = solved_all[:, col]
                real = realised(engine, gains, bank, row, int(col), float(scales[row]),
                                freqs[band])
                if peak[col] >= CROSSTALK_AS_GAIN:
                    level_db = np.abs(20 * np.log10(np.abs(real) / np.abs(solved))).max()
                    phase = np.abs(np.angle(real / solved)).max()
                else:  # its error as a share of the sense's strongest path (or of −40 dB)
                    share = np.abs(real - solved).max() / max(strongest, CROSSTALK_AS_GAIN)
                    level_db, phase = 20 * np.log10(1 + share), 0.0
                out.append((kind, s, float(level_db), float(phase)))
    return out


@pytest.mark.parametrize("samplerate", [44100, 48000, 88200, 96000])
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name[:2])
def test_every_path_is_realised_within_0_05_db_with_its_polarity(example, samplerate):
    graph = compile_rig(check_rig(example))
    engine = Renderer.from_graph(graph, graph.knob_positions, samplerate)
    checked = paths_checked(graph, engine)
    assert checked
    worst = max(checked, key=lambda c: c[2])
    assert worst[2] <= TOLERANCE_DB, worst
    # the same polarity everywhere in the band: the realised phase never turns past 90°
    assert max(c[3] for c in checked) < np.pi / 2


def test_the_seed_rigs_shaped_paths_run_as_iir_filters():
    """The 0.25 dB bass shelf of the seed rig's high-impedance headphones (a magnitude-only
    impedance curve) fits a low-order minimum-phase IIR: no 1024-tap FIR is needed."""
    graph = compile_rig(check_rig(EXAMPLES[0]))
    engine = Renderer.from_graph(graph, graph.knob_positions, 48000)
    kinds = {"iir" if pf.sos is not None else "fir" for _, _, pf in engine.paths_ear.paths}
    assert kinds == {"iir"}
    assert not engine.paths_ear.fir


def test_an_rc_lowpass_is_fitted_as_an_iir_filter():
    """An RC low-pass (hand formula |H| = 1 / sqrt(1 + (f/fc)²), fc = 8 kHz) becomes an IIR
    filter whose level matches to 0.02 dB at every grid frequency, with its polarity."""
    freqs = np.geomspace(20, 20000, 40)
    fc = 8000.0
    response = 1 / (1 + 1j * freqs / fc)
    pf = design_path(response, freqs, int(np.argmin(np.abs(freqs - 1e3))), 48000)
    assert pf.sos is not None and pf.taps is None
    real = realised_response(pf, freqs, 48000)
    assert np.abs(20 * np.log10(np.abs(real / response))).max() <= 0.02
    assert np.abs(np.angle(real / response)).max() < np.pi / 2


@pytest.mark.parametrize("shape", ["iir", "fir"])
def test_an_inverted_path_keeps_its_polarity(shape):
    """An inverted RC low-pass fits an IIR filter, an inverted sharp step needs the FIR:
    both keep the inversion."""
    freqs = np.geomspace(20, 20000, 40)
    if shape == "iir":
        response = -1 / (1 + 1j * freqs / 8000)
    else:
        response = (-0.5 * (1 + 0.03 * (freqs < 200))).astype(complex)
    pf = design_path(response, freqs, int(np.argmin(np.abs(freqs - 1e3))), 48000)
    assert (pf.sos is not None) == (shape == "iir")
    real = realised_response(pf, freqs, 48000)
    assert (real.real < 0).all()
    assert np.abs(20 * np.log10(np.abs(real / response))).max() <= 0.05


def test_scaling_a_path_scales_its_response_and_nothing_else():
    """PathBank.scaled multiplies a multi-section filter's response by k (only the first
    section's numerator carries the factor), and an FIR's taps likewise."""
    fs = 48000
    sos = signal.butter(4, 500, fs=fs, output="sos")
    taps = signal.firwin(65, 2000, fs=fs)
    bank = PathBank([(0, 0, PathFilter(1.0, sos=sos)), (1, 0, PathFilter(1.0, taps=taps))])
    scaled = bank.scaled(np.array([3.0, -2.0]))
    freqs = np.array([100.0, 500.0, 1000.0])
    for (_, _, before), (_, _, after), k in zip(bank.paths, scaled.paths, (3.0, -2.0),
                                                strict=True):
        ratio = realised_response(after, freqs, fs) / realised_response(before, freqs, fs)
        np.testing.assert_allclose(ratio, k, rtol=1e-5)
    np.testing.assert_array_equal(bank.paths[0][2].sos, sos)  # the original is untouched


def test_paths_sharing_coefficients_and_a_target_add_up():
    """Two paths with the same coefficients into one target plus one into another, over odd
    block sizes with a non-final read before each final one: the sums of float64 sosfilt."""
    fs = 48000
    sos = signal.butter(2, 500, fs=fs, output="sos")
    x = np.random.default_rng(0).standard_normal((3, 10000)).astype(np.float32)
    bank = IirBank([(0, 1, sos), (0, 2, sos), (1, 1, sos)])
    out = np.zeros((2, 10000), np.float32)
    for a, b in ((0, 333), (333, 334), (334, 5000), (5000, 10000)):
        bank.process(x[:, a:b], np.zeros((2, b - a), np.float32), commit=False)
        block = np.zeros((2, b - a), np.float32)
        bank.process(x[:, a:b], block)
        out[:, a:b] = block
    one = signal.sosfilt(sos, x[1].astype(float))
    np.testing.assert_allclose(out[0], one + signal.sosfilt(sos, x[2].astype(float)),
                               atol=2e-5)
    np.testing.assert_allclose(out[1], one, atol=2e-5)


def test_a_fitted_high_pass_keeps_its_poles_inside_and_does_not_rise_below_the_band():
    """A 3 Hz second-order high-pass at 96 kHz: the filter chosen for it keeps its float32
    poles 1e-4 inside the unit circle and stays within 1 dB of its 20 Hz level below 20 Hz
    (an unconstrained fit shelved there)."""
    freqs = np.geomspace(20, 20000, 40)
    s = 1j * freqs / 3.0
    response = s * s / (s * s + s * np.sqrt(2) + 1)
    pf = design_path(response, freqs, int(np.argmin(np.abs(freqs - 1e3))), 96000)
    assert pf.sos is not None
    sos32 = pf.sos.astype(np.float32).astype(float)
    assert max(np.abs(np.roots(sec[3:])).max() for sec in sos32) < 1 - 1e-4
    low = realised_response(pf, np.geomspace(1, 20, 8), 96000)
    edge = realised_response(pf, freqs[:1], 96000)
    assert np.abs(low).max() <= 10 ** (1 / 20) * np.abs(edge[0])


def test_a_filter_rising_outside_the_band_does_not_fit():
    """A filter that matches in band but climbs 6 dB below 20 Hz (a resonance at 8 Hz) is
    refused even against its own in-band response."""
    fs = 48000
    freqs = np.geomspace(20, 20000, 40)
    b, a = signal.iirpeak(8.0, 0.7, fs=fs)
    boost = PathFilter(1.0, sos=np.concatenate([b, a])[None, :])
    in_band = realised_response(boost, freqs, fs)
    low = realised_response(boost, np.array([8.0]), fs)
    assert np.abs(low[0]) > 1.5 * np.abs(in_band[0])  # the premise: it climbs below 20 Hz
    assert not _fits(boost, in_band, freqs, fs)
    falling = PathFilter(1.0, sos=signal.butter(1, 2000, fs=fs, output="sos"))
    assert _fits(falling, realised_response(falling, freqs, fs), freqs, fs)


def test_a_zero_length_block_renders_nothing():
    graph = compile_rig(check_rig(EXAMPLES[0]))
    engine = Renderer.from_graph(graph, graph.knob_positions, 48000)
    out = engine.process(np.zeros((0, 2), dtype=np.float32))
    assert out and all(v.shape == (0, 2) for v in out.values())


def test_streaming_iir_paths_match_their_response_across_blocks():
    """A sine fed block by block (odd block lengths) through an IirBank settles to the
    amplitude and phase of :func:`realised_response`: the state carries across blocks."""
    fs = 48000
    sos = signal.butter(2, 300, fs=fs, output="sos")
    pf = PathFilter(1.0, sos=sos)
    n = fs
    for f_hz in (50.0, 1000.0):
        bank = IirBank([(0, 1, sos)])
        x = np.zeros((2, n), dtype=np.float32)
        x[1] = np.sin(2 * np.pi * f_hz * np.arange(n) / fs)
        y = np.zeros((1, n), dtype=np.float32)
        start = 0
        for size in (1000, 4801, 777, n):
            stop = min(start + size, n)
            out = np.zeros((1, stop - start), dtype=np.float32)
            bank.process(x[:, start:stop], out)
            y[:, start:stop] = out
            start = stop
        h = realised_response(pf, np.array([f_hz]), fs)[0]
        expect = np.abs(h) * np.sin(2 * np.pi * f_hz * np.arange(n) / fs + np.angle(h))
        tail = slice(n // 2, n)
        assert np.abs(y[0, tail] - expect[tail]).max() < 1e-4


def test_a_read_that_does_not_commit_leaves_the_iir_state_alone():
    sos = signal.butter(1, 100, fs=48000, output="sos")
    x = np.ones((1, 480), dtype=np.float32)
    first, again = np.zeros((1, 480), np.float32), np.zeros((1, 480), np.float32)
    bank = IirBank([(0, 0, sos)])
    bank.process(x, first, commit=False)
    bank.process(x, again)
    np.testing.assert_array_equal(first, again)


def test_any_response_gets_a_finite_filter_that_fits_or_an_fir():
    """Random smooth responses (shelves, resonances, a null, a kink): design never fails;
    an IIR filter is chosen only when it is within 0.02 dB, and its coefficients are finite."""
    rng = np.random.default_rng(7)
    freqs = np.geomspace(20, 20000, 40)
    i_1k = int(np.argmin(np.abs(freqs - 1e3)))
    for k in range(40):
        f0 = 10 ** rng.uniform(1.5, 4.2)
        q = rng.uniform(0.3, 4)
        depth = rng.uniform(-0.5, 0.5)
        s = 1j * freqs / f0
        response = 1 + depth * s / q / (s * s + s / q + 1)  # a peak or dip of ±depth
        if k == 0:
            response[10] = 0.0  # a null on the grid
        if k == 1:
            response = np.where(freqs < 500, 1.0, 0.97).astype(complex)  # a step
        pf = design_path(response, freqs, i_1k, 48000)
        real = realised_response(pf, freqs, 48000)
        assert np.all(np.isfinite(real))
        if pf.sos is not None:
            assert np.all(np.isfinite(pf.sos))
            with np.errstate(divide="ignore"):
                err = np.abs(20 * np.log10(np.abs(real) / np.abs(response)))
            assert err.max() <= 0.02

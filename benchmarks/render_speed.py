"""Render speed against the same work done by pedalboard and by SciPy, and the machine's limit.

Issue 14 asks for the engine at >= 1000x real time on one core, compared with baselines that
do the *same* work, and placed against what this machine could do at best.

1. The rig is examples/01 (one interface, one 4-way headphone amp, four listeners); the
   program is ``--seconds`` (default 60) of builtin:music at 48 kHz, synthesised once and
   held in memory, so every variant below times its processing only.
2. The variants, timed with CPU time (``time.process_time``: the machine has shared, noisy
   cores) and interleaved (A B C D A B C D ...) for ``--repeats`` rounds:

   - engine: ``Renderer.process`` block by block (BLOCK frames), no file output;
   - pedalboard: the engine's own prepared data (gains, clip limits, noise tables and
     offsets, hum tables, ear gain matrix, filtered paths) run through pedalboard plugins
     (Gain, Invert, Clipping, Convolution), streamed block by block, with NumPy/SciPy
     where pedalboard has no equivalent (noise addition, the sparse gain matrices, hum,
     statistics). pedalboard has no general IIR filter: an IIR path is convolved with its
     impulse response (to -140 dB), which gives the same output;
   - scipy: the same data, whole file at once (not streaming): NumPy gains, noise and
     clipping, ``scipy.signal.sosfilt`` for the IIR paths and ``oaconvolve`` for any FIR
     paths over the whole program;
   - render: the whole ``render`` call (engine set-up, program synthesis, four float32 WAV
     files written; CPU time, so waiting on the disk is not counted).

   Before timing, the engine, pedalboard and SciPy variants run on the same 2 s with the
   same noise and their ears are compared sample by sample.
3. The machine's limit, measured in the same rounds: memory bandwidth (``np.copyto`` and
   ``np.add`` on arrays far larger than the caches), FFT throughput (``scipy.fft``
   rfft + irfft at the engine's FFT size, for FIR paths) and recursive-filter throughput
   (``scipy.signal.sosfilt`` on the IIR paths' sources, one block: a recursion cannot be
   vectorised over time, and this is the compiled loop the engine calls). The engine must
   at least read the program, write its drive columns and its ears (bytes / bandwidth),
   run one forward FFT per FIR source column and one inverse per FIR target row, and run
   its IIR paths; the sum is the limit time per block, printed as the engine's fraction
   of it.
4. Peak memory of a 1-hour render with /usr/bin/time -v (skip with ``--no-hour``).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import fft as sp_fft
from scipy import signal, sparse

from signalchain.api import check_rig
from signalchain.demo import example_path
from signalchain.graph import compile_rig
from signalchain.graph.compile import SignalGraph
from signalchain.render.engine import Renderer
from signalchain.render.programs import open_program
from signalchain.render.recorder import NOISE_TABLE
from signalchain.render.run import BLOCK, render

FS = 48000
CHECK_SECONDS = 2.0
TARGET_RT = 1000.0
BIG = 64 << 20
"""Elements (float32: 256 MB) of each array in the bandwidth test, far beyond any cache."""
FFT_LOOPS = 20
PB_BUFFER = 512
"""pedalboard's internal chunk (frames): the fastest for the pedalboard variant of those tried
(256 ties; 1024-8192 are 5-15 % slower, a whole 48000-frame block 2x)."""
SRC = Path(__file__).resolve().parents[1] / "src"


# --- the engine's prepared data, shared by the baselines -------------------------------------

@dataclass
class RigWork:
    """What the engine computes from, taken from a constructed Renderer (float32 where it is)."""

    levels: list[np.ndarray]
    """Drive columns computed, level by level (DAC columns, then amps fed by them)."""
    gains: np.ndarray
    program_channel: np.ndarray
    sense_of: np.ndarray
    """Each amp column's input (-1: from the program)."""
    g_in: sparse.csr_matrix
    input_clip: np.ndarray
    drive_clip: np.ndarray
    noise: dict[int, np.ndarray]
    noise_peak: np.ndarray
    seed: int
    g_ear: sparse.csr_matrix
    """Columns -> ears, WAV scale folded in."""
    firs: list[tuple[int, int, np.ndarray]]
    """(ear row, column, taps), WAV scale folded in."""
    iirs: list[tuple[int, int, np.ndarray]]
    """(ear row, column, second-order sections), float32, WAV scale folded in."""
    hum_in: np.ndarray | None
    hum_ear: np.ndarray | None
    """One mains period per input / ear (None: below -140 dB SPL, the engine skips it)."""
    listener_ears: dict[str, tuple[int, int]]
    listener_columns: dict[str, np.ndarray]

    @classmethod
    def of(cls, engine: Renderer) -> RigWork:
        """Read the prepared data (see Renderer.__post_init__); refuse what it does not cover."""
        unsupported = [what for what, present in (
            ("filtered paths into inputs", bool(engine.paths_in)),
            ("a recorder", engine.recorder),
            ("talkers", engine.voices), ("direct monitoring", len(engine._dm_rows)),
            ("amp channels summed from several inputs",
             np.count_nonzero(engine.input_map, axis=1).max(initial=0) > 1))
            if present]
        if unsupported:
            sys.exit(f"the same-work baselines do not model {', '.join(unsupported)}")
        n = len(engine.gains)
        hum = engine._hum_any
        return cls([np.arange(n)[cols] for cols in engine._active], engine._gains32,
                   engine.program_channel, engine._sense_of, engine._g_in32, engine.input_clip,
                   engine.drive_clip, engine._noise, engine._noise_peak, engine.seed,
                   engine._g_ear32,
                   [(t, s, h.astype(np.float32)) for t, s, h in engine.paths_ear.fir.filters],
                   [(t, s, sos.astype(np.float32)) for t, s, sos in
                    engine.paths_ear.iir.filters],
                   engine.hum_in.astype(np.float32) if hum else None,
                   (engine.hum_ear * engine.ear_scale[:, None]).astype(np.float32)
                   if hum else None, engine.listener_ears, engine.listener_columns)

    @property
    def hum_period(self) -> int:
        """Frames in one mains period."""
        return int(self.hum_ear.shape[1]) if self.hum_ear is not None else 1

    @property
    def n_ears(self) -> int:
        """Ear rows."""
        return int(self.g_ear.shape[0])


@dataclass
class Result:
    """A variant's ears (rows x frames, when kept) and per-ear statistics."""

    ears: np.ndarray | None
    sum_sq: np.ndarray
    peak: np.ndarray
    clipped: dict[str, int]


def noisy_rows(work: RigWork, rows: np.ndarray) -> list[int]:
    """The rows of a level that carry stage noise, in the engine's order."""
    return [int(j) for j in rows if int(j) in work.noise]


def draw_offsets(rng: np.random.Generator, n_noisy: int, frames: int) -> np.ndarray:
    """Noise-table offsets for one level of one block (the engine's draw, same order)."""
    return rng.integers(NOISE_TABLE, size=(n_noisy, -(-frames // NOISE_TABLE)))


def add_noise(y: np.ndarray, local: list[int], tables: list[np.ndarray],
              starts: np.ndarray) -> None:
    """Add each noisy row's table slices at the drawn offsets (y: the rows, one block)."""
    frames = y.shape[1]
    for r, (row, table) in enumerate(zip(local, tables, strict=True)):
        for c in range(starts.shape[1]):
            done = c * NOISE_TABLE
            count = min(frames - done, NOISE_TABLE)
            y[row, done:done + count] += table[starts[r, c]:starts[r, c] + count]


def could_clip(work: RigWork, rows: np.ndarray, src_peak: np.ndarray) -> bool:
    """The engine's bound: |gain| x peak(source) + noise peak above some row's limit."""
    bound = np.abs(work.gains[rows]) * src_peak + work.noise_peak[rows]
    return bool((bound > work.drive_clip[rows]).any())


def ear_stats(ears: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Sum of squares and peak per ear row."""
    return np.einsum("ij,ij->i", ears, ears), np.maximum(ears.max(axis=1), -ears.min(axis=1))


def clipped_per_listener(work: RigWork, over: np.ndarray | None) -> dict[str, int]:
    """Clipped frames per listener from a (columns x frames) mask (None: nothing clipped)."""
    if over is None:
        return dict.fromkeys(work.listener_ears, 0)
    return {who: int(over[cols].any(axis=0).sum()) for who, cols in
            work.listener_columns.items()}


# --- variant: the engine ---------------------------------------------------------------------

def run_engine(graph: SignalGraph, blocks: list[np.ndarray], keep: bool = False) -> Result:
    """Stream the program through a fresh Renderer; ears as rows when ``keep``."""
    engine = Renderer.from_graph(graph, graph.knob_positions, FS)
    return stream_engine(engine, blocks, keep)


def engine_runner(graph: SignalGraph, blocks: list[np.ndarray]) -> Callable[[], Result]:
    """A fresh Renderer (built untimed) and the call that streams the program through it."""
    engine = Renderer.from_graph(graph, graph.knob_positions, FS)
    return lambda: stream_engine(engine, blocks, keep=False)


def stream_engine(engine: Renderer, blocks: list[np.ndarray], keep: bool) -> Result:
    """The timed part of the engine variant: process() over every block."""
    kept = []
    for block in blocks:
        out = engine.process(block)
        if keep:
            kept.append(out)
    ears = None
    if keep:
        rows: list[np.ndarray] = [np.empty(0)] * (2 * len(engine.listener_ears))
        for who, (el, er) in engine.listener_ears.items():
            both = np.concatenate([o[who] for o in kept])
            rows[el], rows[er] = both[:, 0], both[:, 1]
        ears = np.stack(rows)
    st = engine.stats
    order = sorted((e, who, side) for who, pair in engine.listener_ears.items()
                   for side, e in enumerate(pair))
    return Result(ears, np.array([st[who][side].sum_sq for _, who, side in order]),
                  np.array([st[who][side].peak for _, who, side in order]),
                  {who: st[who][0].clipped for who in st})


# --- variant: pedalboard, streamed -----------------------------------------------------------

def gain_board(gain: float):
    """A pedalboard for one linear gain (dB gain, polarity by Invert)."""
    import pedalboard as pb

    plugins = [pb.Gain(gain_db=float(20 * np.log10(abs(gain))))]
    if gain < 0:
        plugins.append(pb.Invert())
    return pb.Pedalboard(plugins)


def groups(values: np.ndarray) -> list[tuple[np.ndarray, float]]:
    """Positions sharing a value (one multichannel plugin call each) and that value."""
    return [(np.flatnonzero(values == v), float(v)) for v in np.unique(values)]


def impulse_response(sos: np.ndarray, floor_db: float = -140.0, most: int = 1 << 16
                     ) -> np.ndarray:
    """An IIR path's impulse response, cut where its tail stays below ``floor_db`` of its peak."""
    impulse = np.zeros(most, dtype=np.float32)
    impulse[0] = 1.0
    h = signal.sosfilt(sos, impulse)
    above = np.flatnonzero(np.abs(h) > np.abs(h).max() * 10 ** (floor_db / 20))
    return h[:int(above[-1]) + 1].astype(np.float32)


class PedalboardRig:
    """The engine's signal flow as pedalboard plugins; NumPy/SciPy where pedalboard has none.

    Per level, columns with the same gain share one Gain board and columns with the same
    limit one Clipping board (multichannel calls). Each FIR path is a Convolution followed
    by a Gain that undoes JUCE's impulse-response normalisation (0.125 / ||h||). Noise is
    the engine's tables at offsets drawn from the same generator in the same order.
    """

    def __init__(self, work: RigWork):
        import pedalboard as pb

        self.work = work
        self.rng = np.random.default_rng(work.seed + 1)
        self.levels = []
        for rows in work.levels:
            gain_groups = [(idx, gain_board(g)) for idx, g in groups(work.gains[rows]) if g]
            clip_groups = [(idx, pb.Clipping(threshold_db=float(20 * np.log10(lim))))
                           for idx, lim in groups(work.drive_clip[rows]) if np.isfinite(lim)]
            local = [int(np.flatnonzero(rows == j)[0]) for j in noisy_rows(work, rows)]
            self.levels.append((rows, gain_groups, clip_groups, local,
                                [work.noise[int(rows[i])] for i in local]))
        self.sense_clip = [(idx, pb.Clipping(threshold_db=float(20 * np.log10(lim))))
                           for idx, lim in groups(work.input_clip) if np.isfinite(lim)]
        self.firs = []
        for t, s, taps in work.firs + [(t, s, impulse_response(sos)) for t, s, sos in
                                       work.iirs]:
            undo = float(np.sqrt(np.sum(taps.astype(np.float64) ** 2)) / 0.125)
            self.firs.append((t, s, pb.Pedalboard([
                pb.Convolution(taps, sample_rate=FS), pb.Gain(gain_db=20 * np.log10(undo))])))
        self.hum_in, self.hum_ear = (None if h is None else np.tile(h, -(-FS // h.shape[1]) + 1)
                                     for h in (work.hum_in, work.hum_ear))
        self.pos = 0
        self.stats = [np.zeros(work.n_ears), np.zeros(work.n_ears)]
        self.clipped = dict.fromkeys(work.listener_ears, 0)

    def _hum(self, tiled: np.ndarray, frames: int) -> np.ndarray:
        """One block of a hum table tiled past one second, from the stream position."""
        start = self.pos % self.work.hum_period
        return tiled[:, start:start + frames]

    def _senses(self, x: np.ndarray, frames: int) -> np.ndarray:
        """What the amp inputs sense: gain matrix + hum (NumPy), clipped (Clipping)."""
        senses = self.work.g_in @ x
        if self.hum_in is not None:
            senses += self._hum(self.hum_in, frames)
        for idx, clip in self.sense_clip:
            senses[idx] = clip.process(senses[idx], FS, buffer_size=PB_BUFFER, reset=False)
        return senses

    def process(self, block: np.ndarray) -> np.ndarray:
        """One block (frames x 2) -> ears (rows x frames); statistics accumulated."""
        work = self.work
        frames = len(block)
        prog = np.ascontiguousarray(block.T)
        x = np.zeros((len(work.gains), frames), dtype=np.float32)
        over = None
        for rows, gain_groups, clip_groups, local, tables in self.levels:
            chans = work.program_channel[rows]
            if (chans >= 0).all():
                src, src_peak = prog[chans], np.abs(prog).max(axis=1)[chans]
            else:
                senses = self._senses(x, frames)
                src = senses[work.sense_of[rows]]
                src_peak = np.abs(senses).max(axis=1)[work.sense_of[rows]]
            y = np.zeros((len(rows), frames), dtype=np.float32)
            for idx, board in gain_groups:
                y[idx] = board.process(src[idx], FS, buffer_size=PB_BUFFER, reset=False)
            add_noise(y, local, tables, draw_offsets(self.rng, len(local), frames))
            if could_clip(work, rows, src_peak):
                lim = work.drive_clip[rows, None]
                over = np.zeros((len(work.gains), frames), bool) if over is None else over
                over[rows] |= np.abs(y) > lim
            for idx, clip in clip_groups:
                y[idx] = clip.process(y[idx], FS, buffer_size=PB_BUFFER, reset=False)
            x[rows] = y
        ears = work.g_ear @ x
        if self.hum_ear is not None:
            ears += self._hum(self.hum_ear, frames)
        for t, s, board in self.firs:
            ears[t] += board.process(x[s:s + 1], FS, buffer_size=PB_BUFFER, reset=False)[0]
        sum_sq, peak = ear_stats(ears)
        self.stats[0] += sum_sq
        self.stats[1] = np.maximum(self.stats[1], peak)
        for who, n in clipped_per_listener(work, over).items():
            self.clipped[who] += n
        self.pos = (self.pos + frames) % FS
        return ears


def run_pedalboard(rig: PedalboardRig, blocks: list[np.ndarray], keep: bool = False) -> Result:
    """The timed part of the pedalboard variant: every block through a fresh PedalboardRig."""
    kept = []
    for block in blocks:
        ears = rig.process(block)
        if keep:
            kept.append(ears)
    return Result(np.concatenate(kept, axis=1) if keep else None, rig.stats[0], rig.stats[1],
                  rig.clipped)


def pedalboard_runner(work: RigWork, blocks: list[np.ndarray]) -> Callable[[], Result]:
    """A fresh PedalboardRig (plugins built untimed) and the call that streams through it."""
    rig = PedalboardRig(work)
    return lambda: run_pedalboard(rig, blocks)


# --- variant: SciPy, whole file --------------------------------------------------------------

def add_periodic(y: np.ndarray, table: np.ndarray) -> None:
    """Add a one-period table repeated over each whole row (views, no tiled copy)."""
    p = table.shape[1]
    whole = y.shape[1] // p * p
    for r in range(len(y)):
        y[r, :whole].reshape(-1, p)[:] += table[r]
        y[r, whole:] += table[r, :y.shape[1] - whole]


def run_scipy(work: RigWork, program: np.ndarray, keep: bool = False) -> Result:
    """The whole program at once: NumPy gains, noise, clipping; oaconvolve for the FIRs.

    Noise offsets are drawn first, in the engine's order (block by block, level by level),
    so the noise is the engine's; it is then added block-wise as the tables are short.
    """
    n = len(program)
    prog = np.ascontiguousarray(program.T)
    starts = [[] for _ in work.levels]
    rng = np.random.default_rng(work.seed + 1)
    bounds = [(b, min(b + BLOCK, n)) for b in range(0, n, BLOCK)]
    level_noisy = [noisy_rows(work, rows) for rows in work.levels]
    for b0, b1 in bounds:
        for k, rows in enumerate(level_noisy):
            starts[k].append(draw_offsets(rng, len(rows), b1 - b0))
    x = np.zeros((len(work.gains), n), dtype=np.float32)
    over = None
    for k, rows in enumerate(work.levels):
        chans = work.program_channel[rows]
        if (chans >= 0).all():
            x[rows] = work.gains[rows, None] * prog[chans]
            src_peak = np.abs(prog).max(axis=1)[chans]
        else:
            senses = work.g_in @ x
            if work.hum_in is not None:
                add_periodic(senses, work.hum_in)
            lim_in = work.input_clip[:, None]
            np.clip(senses, -lim_in, lim_in, out=senses)
            src_peak = np.abs(senses).max(axis=1)[work.sense_of[rows]]
            x[rows] = work.gains[rows, None] * senses[work.sense_of[rows]]
        tables = [work.noise[j] for j in level_noisy[k]]
        for (b0, b1), s in zip(bounds, starts[k], strict=True):
            add_noise(x[:, b0:b1], level_noisy[k], tables, s)
        if could_clip(work, rows, src_peak):
            lim = work.drive_clip[rows, None]
            over = np.zeros(x.shape, bool) if over is None else over
            over[rows] = np.abs(x[rows]) > lim
            x[rows] = np.clip(x[rows], -lim, lim)
    ears = work.g_ear @ x
    if work.hum_ear is not None:
        add_periodic(ears, work.hum_ear)
    for t, s, taps in work.firs:
        ears[t] += signal.oaconvolve(x[s], taps)[:n]
    for t, s, sos in work.iirs:
        ears[t] += signal.sosfilt(sos, x[s])
    sum_sq, peak = ear_stats(ears)
    return Result(ears if keep else None, sum_sq, peak, clipped_per_listener(work, over))


# --- checks: do the baselines compute what the engine does? ----------------------------------

def program_blocks(name: str, seconds: float) -> list[np.ndarray]:
    """The program synthesised once, as the engine's blocks (frames x 2 float32)."""
    return list(open_program(name, FS, seconds).blocks(BLOCK))


def db(ratio: float) -> float:
    """Amplitude ratio in dB (-inf for 0)."""
    return float(20 * np.log10(ratio)) if ratio > 0 else -np.inf


def compare(graph: SignalGraph, work: RigWork, program: str) -> list[str]:
    """Run the three variants on the same CHECK_SECONDS of a program (same noise); the lines."""
    blocks = program_blocks(program, CHECK_SECONDS)
    ref = run_engine(graph, blocks, keep=True)
    rms = np.sqrt(ref.sum_sq / ref.ears.shape[1])
    lines = []
    for name, res in (("pedalboard", run_pedalboard(PedalboardRig(work), blocks, keep=True)),
                      ("scipy", run_scipy(work, np.concatenate(blocks), keep=True))):
        worst = max(db(float(np.abs(res.ears[e] - ref.ears[e]).max() / rms[e]))
                    for e in range(len(rms)))
        d_rms = np.abs(10 * np.log10(res.sum_sq / ref.sum_sq)).max()
        d_peak = np.abs(20 * np.log10(res.peak / ref.peak)).max()
        same_clip = "equal" if res.clipped == ref.clipped else f"{res.clipped} vs {ref.clipped}"
        lines.append(f"  {name:10s} vs engine, {program} ({CHECK_SECONDS:.0f} s, same noise): "
                     f"max |difference| {worst:6.1f} dB re the ear's RMS; RMS within "
                     f"{d_rms:.1e} dB, peaks within {d_peak:.1e} dB, clipped counts {same_clip}")
    return lines


# --- the machine's limit ---------------------------------------------------------------------

@dataclass
class BlockWork:
    """What the engine must at least do per block: bytes touched and FFTs run."""

    frames: int
    bytes: int
    fft_size: int
    n_forward: int
    n_inverse: int
    iirs: list[tuple[int, int, np.ndarray]]

    @classmethod
    def of(cls, work: RigWork) -> BlockWork:
        """Program in, computed drive columns written, ears out; FFTs; IIR paths."""
        frames = min(BLOCK, FS)
        n_cols = sum(len(rows) for rows in work.levels)
        n_taps = max((len(h) for _, _, h in work.firs), default=0)
        return cls(frames, 4 * frames * (2 + n_cols + work.n_ears),
                   sp_fft.next_fast_len(frames + n_taps - 1, real=True) if n_taps else 0,
                   len({s for _, s, _ in work.firs}), len({t for t, _, _ in work.firs}),
                   work.iirs)


def bandwidth_probes() -> dict[str, tuple[Callable[[], object], int]]:
    """np.copyto and np.add on 256 MB float32 arrays: (run, bytes moved per run)."""
    a, b, c = (np.full(BIG, v, dtype=np.float32) for v in (1.0, 2.0, 0.0))
    return {"copy 256 MB (np.copyto)": (lambda: np.copyto(c, a), 2 * a.nbytes),
            "add 256 MB (np.add)": (lambda: np.add(a, b, out=c), 3 * a.nbytes)}


def fft_probe(bw: BlockWork) -> Callable[[], object]:
    """FFT_LOOPS times the engine's FFT work per block (rfft of sources, irfft to targets)."""
    rng = np.random.default_rng(0)
    sources = rng.standard_normal((bw.n_forward, bw.frames)).astype(np.float32)

    def run() -> None:
        for _ in range(FFT_LOOPS):
            spectra = sp_fft.rfft(sources, bw.fft_size, axis=1)
            sp_fft.irfft(spectra[:1].repeat(bw.n_inverse, axis=0), bw.fft_size, axis=1)
    return run


def iir_probe(bw: BlockWork) -> Callable[[], object]:
    """FFT_LOOPS times the IIR paths over one block (sosfilt, float32, as the engine)."""
    rng = np.random.default_rng(0)
    sources = rng.standard_normal((len(bw.iirs), bw.frames)).astype(np.float32)

    def run() -> None:
        for _ in range(FFT_LOOPS):
            for row, (_, _, sos) in enumerate(bw.iirs):
                signal.sosfilt(sos, sources[row])
    return run


def limit_lines(bw: BlockWork, times: dict[str, list[float]],
                probes: dict[str, tuple[Callable[[], object], int]],
                engine_block_s: list[float]) -> list[str]:
    """Bandwidth, FFT speed, the limit time per block and the engine's fraction of it.

    Bandwidth and FFT speed are the best of the rounds (what the machine can do); the
    engine's per-block times are its rounds divided by the blocks in the program.
    """
    gbs = max(nbytes / min(times[name]) for name, (_, nbytes) in probes.items()) / 1e9
    lines = [f"  {name}: {nbytes / min(times[name]) / 1e9:5.1f} GB/s best, "
             f"{nbytes / statistics.median(times[name]) / 1e9:5.1f} GB/s median"
             for name, (_, nbytes) in probes.items()]
    t_mem = bw.bytes / (gbs * 1e9)
    t_fft = 0.0
    if bw.fft_size:
        t_fft = min(times["fft"]) / FFT_LOOPS
        n_fft = bw.n_forward + bw.n_inverse
        lines.append(f"  scipy.fft at the engine's size {bw.fft_size}: "
                     f"{t_fft / n_fft / bw.fft_size * 1e9:.2f} ns per sample per transform "
                     f"(rfft or irfft, float32, best)")
    t_iir = 0.0
    if bw.iirs:
        t_iir = min(times["iir"]) / FFT_LOOPS
        n_sections = sum(len(sos) for _, _, sos in bw.iirs)
        lines.append(f"  scipy.signal.sosfilt (float32): {t_iir / n_sections / bw.frames * 1e9:.2f}"
                     f" ns per sample per second-order section (best)")
    limit = t_mem + t_fft + t_iir
    lines += [
        f"  engine's least work per {bw.frames}-frame block: {bw.bytes / 1e6:.2f} MB touched "
        f"(program in, drive columns, ears out) = {t_mem * 1e3:.3f} ms at {gbs:.1f} GB/s, + "
        f"{bw.n_forward} rfft + {bw.n_inverse} irfft = {t_fft * 1e3:.3f} ms, + "
        f"{len(bw.iirs)} IIR paths = {t_iir * 1e3:.3f} ms; limit {limit * 1e3:.3f} ms",
        f"  engine: {statistics.median(engine_block_s) * 1e3:.3f} ms per block (median) = "
        f"{limit / statistics.median(engine_block_s):.0%} of this machine's limit "
        f"({limit / min(engine_block_s):.0%} at its best round); the limit's ceiling is "
        f"{bw.frames / FS / limit:,.0f}x real time"]
    return lines


# --- timing ----------------------------------------------------------------------------------

def interleaved(variants: dict[str, Callable[[], Callable[[], object]]],
                repeats: int) -> dict[str, list[float]]:
    """CPU seconds per round of each variant, rounds interleaved (A B C A B C ...).

    Each entry makes its runner untimed (fresh state), then the runner alone is timed.
    """
    times: dict[str, list[float]] = {name: [] for name in variants}
    for _ in range(repeats):
        for name, prepare in variants.items():
            run = prepare()
            t0 = time.process_time()
            run()
            times[name].append(time.process_time() - t0)
    return times


def table(times: dict[str, list[float]], names: list[str], seconds: float) -> list[str]:
    """variant, min / median / max CPU ms, x real time (median), time / engine's (median)."""
    engine = statistics.median(times["engine"])
    lines = [f"{'variant':34s} {'min ms':>8s} {'median':>8s} {'max ms':>8s} "
             f"{'xRT':>7s} {'vs engine':>9s}"]
    for name in names:
        t = times[name]
        med = statistics.median(t)
        lines.append(f"{name:34s} {min(t) * 1e3:8.1f} {med * 1e3:8.1f} {max(t) * 1e3:8.1f} "
                     f"{seconds / med:7.0f} {med / engine:8.2f}x")
    return lines


def peak_memory_one_hour(rig: Path) -> str:
    """Peak RSS of a 1-hour render of this tree (python -m signalchain, PYTHONPATH=src)."""
    timer = Path("/usr/bin/time")
    if not timer.exists():
        return "skipped (/usr/bin/time not found)"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (str(SRC), os.environ.get("PYTHONPATH", "")) if p)}
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [str(timer), "-v", sys.executable, "-m", "signalchain", "render", str(rig),
               "--out", str(Path(tmp) / "hour"), "--program", "builtin:music",
               "--seconds", "3600"]
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
        wall = time.perf_counter() - t0
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", proc.stderr)
    if proc.returncode != 0 or not m:
        return f"failed: {proc.stderr[-300:]}"
    mb = int(m.group(1)) / 1024
    return (f"{mb:.0f} MB peak RSS for a 1-hour render ({wall:.1f} s wall) (target < 300 MB): "
            f"{'OK' if mb < 300 else 'ABOVE TARGET'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="program length (60)")
    parser.add_argument("--repeats", type=int, default=5, help="interleaved rounds (5)")
    parser.add_argument("--no-hour", action="store_true", help="skip the 1-hour memory run")
    args = parser.parse_args()
    rig = example_path("01")
    graph = compile_rig(check_rig(rig))
    work = RigWork.of(Renderer.from_graph(graph, graph.knob_positions, FS))
    bw = BlockWork.of(work)
    print(f"rig: {rig.name} (1 interface, 1 four-way amp, 4 listeners); {args.seconds:g} s of "
          f"builtin:music at {FS} Hz in {BLOCK}-frame blocks; {args.repeats} interleaved rounds, "
          f"CPU time (time.process_time)")
    print(f"engine's work: {sum(len(r) for r in work.levels)} drive columns, {work.n_ears} ears, "
          f"{len(work.iirs)} IIR paths "
          f"({'/'.join(str(len(sos)) for *_, sos in work.iirs) or 'no'} sections), "
          f"{len(work.firs)} FIR paths of {max((len(h) for *_, h in work.firs), default=0)} "
          f"taps (FFT size {bw.fft_size}), noise on {len(work.noise)} columns, hum "
          f"{'added' if work.hum_ear is not None else 'below -140 dB SPL (skipped)'}")
    print("same-work checks (the ears, sample by sample):")
    for program in ("builtin:music", "builtin:silence"):
        for line in compare(graph, work, program):
            print(line)
    print("  what differs: pedalboard convolves with JUCE's partitioned convolution, one "
          "Convolution per path (an IIR path's impulse response to -140 dB; the IR it "
          "normalises, undone by a Gain), gains are set in dB "
          "(polarity by Invert) and Clipping always runs, where the engine and the scipy "
          "variant skip columns whose peak bound cannot clip (nothing clips in this rig); "
          "the scipy variant filters the whole file at once (sosfilt and oaconvolve: no "
          "block boundaries). Noise (same tables, same offsets), hum, the sparse gain "
          "matrices and the statistics are the engine's own data and arithmetic.")
    blocks = program_blocks("builtin:music", args.seconds)
    program = np.concatenate(blocks)
    probes = bandwidth_probes()
    with tempfile.TemporaryDirectory() as tmp:
        variants: dict[str, Callable[[], Callable[[], object]]] = {
            "engine": lambda: engine_runner(graph, blocks),
            "pedalboard (same work, streamed)": lambda: pedalboard_runner(work, blocks),
            "scipy (same work, whole file)": lambda: lambda: run_scipy(work, program),
            "render (incl. synthesis, 4 WAVs)": lambda: lambda: render(
                graph, graph.knob_positions, open_program("builtin:music", FS, args.seconds),
                Path(tmp) / "out", force=True),
            **{name: (lambda run=run: run) for name, (run, _) in probes.items()},
        }
        if bw.fft_size:
            variants["fft"] = lambda: fft_probe(bw)
        if bw.iirs:
            variants["iir"] = lambda: iir_probe(bw)
        times = interleaved(variants, args.repeats)
    names = [n for n in variants if n not in probes and n not in ("fft", "iir")]
    print()
    for line in table(times, names, args.seconds):
        print(line)
    rt = args.seconds / statistics.median(times["engine"])
    print(f"engine: {rt:.0f}x real time on one core (target >= {TARGET_RT:.0f}x: "
          f"{'OK' if rt >= TARGET_RT else 'BELOW TARGET'})")
    print("machine limit (same rounds):")
    n_blocks = -(-len(program) // BLOCK)
    for line in limit_lines(bw, times, probes, [t / n_blocks for t in times["engine"]]):
        print(line)
    if not args.no_hour:
        print(peak_memory_one_hour(rig))
    sys.stdout.flush()


if __name__ == "__main__":
    main()

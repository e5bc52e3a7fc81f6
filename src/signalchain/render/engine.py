"""The streaming renderer: the compiled signal graph, executed block by block.

It runs the same graph ``evaluate`` does: each drive column is a knob-and-gain
times its source (a program channel, or what its device's inputs sense), plus
the stage's seeded noise, clipped at the stage's limits; the solved passive
network carries drive columns to the inputs and ears (plain gains where the
response is flat, minimum-phase FIRs where it is not); mains hum is added where
the ground sources inject it. Stages shared by several listeners are computed
once per block.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from signalchain import units
from signalchain.arrays import BoolArray, Float32Array, FloatArray, IntArray
from signalchain.evaluate import stage_noise_v2
from signalchain.graph.compile import F_MAX_HZ, F_MIN_HZ, SignalGraph
from signalchain.graph.response import Response, respond
from signalchain.render.filters import PathBank, PathFilter, design_path
from signalchain.render.recorder import (
    NOISE_TABLE,
    Recorder,
    SignalStats,
    band_noise_tables,
)
from signalchain.render.voices import Voices

NEGLIGIBLE = 1e-6
"""Paths below this (V/V, −120 dB) are left out."""
RELATIVE_FLOOR = 1e-4
"""Paths more than 80 dB below the strongest path into the same input or ear are left out:
at 80–100 dB SPL program they land below the threshold of hearing."""
NOISE_TABLES = 4
PA_PER_SAMPLE = 20.0
"""WAV calibration: sample value 1.0 = 20 Pa (DESIGN.md)."""


def _as_slice(cols: IntArray) -> IntArray | slice:
    """Contiguous column sets become slices, so NumPy works on views instead of copies."""
    if len(cols) and np.array_equal(cols, np.arange(cols[0], cols[0] + len(cols))):
        return slice(int(cols[0]), int(cols[0]) + len(cols))
    return cols


class EarStats(SignalStats):
    """What the render measured at one ear."""

    def summary(self) -> dict[str, float | int | None]:
        """RMS and peak in dB SPL and the clipped-sample count."""
        def spl(pa: float) -> float | None:
            return round(float(units.pa_to_spl(pa)), 2) if pa > 0 else None
        return {"rms_spl_db": spl(self.rms * PA_PER_SAMPLE),
                "peak_spl_db": spl(self.peak * PA_PER_SAMPLE), "clipped_samples": self.clipped}


def _sense_paths(graph: SignalGraph, sense_idx: list[int], samplerate: int
                 ) -> tuple[FloatArray, list[tuple[int, int, PathFilter]]]:
    """Each (sense, drive) path as a plain gain, or as a filter where it is not flat."""
    t = graph.solution.transfer
    n_d = graph.n_drive
    freqs = graph.freqs_hz
    band = (freqs >= F_MIN_HZ) & (freqs <= F_MAX_HZ)
    i_1k = int(np.argmin(np.abs(freqs[band] - 1e3)))
    gains = np.zeros((len(sense_idx), n_d))
    filtered: list[tuple[int, int, PathFilter]] = []
    designed: dict[bytes, PathFilter] = {}  # identical listeners' paths are designed once
    for row, s in enumerate(sense_idx):
        peak = np.abs(t[band, s, :n_d]).max(axis=0)
        keep = max(NEGLIGIBLE, RELATIVE_FLOOR * peak.max(initial=0.0))
        for j in np.flatnonzero(peak >= keep):
            response = np.ascontiguousarray(t[band, s, j])
            key = response.tobytes()
            if key not in designed:
                designed[key] = design_path(response, freqs[band], i_1k, samplerate)
            pf = designed[key]
            if pf.taps is None and pf.sos is None:
                gains[row, j] = pf.gain
            else:
                filtered.append((row, int(j), pf))
    return gains, filtered


def _levels(graph: SignalGraph, g_in: FloatArray, paths_in: list[tuple[int, int, PathFilter]]
            ) -> list[IntArray]:
    """Drive columns in topological levels: DAC columns first, then amps fed by earlier ones."""
    n_d = graph.n_drive
    feeds = [set(np.flatnonzero(np.abs(g_in[i]) > 0)) | {j for r, j, _ in paths_in if r == i}
             for i in range(len(graph.input_senses))]
    level = np.full(n_d, -1)
    for _ in range(n_d + 1):
        for j in range(n_d):
            srcs = set().union(*[feeds[i] for i in np.flatnonzero(graph.input_map[j])]) \
                if graph.input_map[j].any() else set()
            srcs.discard(j)
            if all(level[s] >= 0 for s in srcs):
                level[j] = 1 + max((level[s] for s in srcs), default=-1)
    level[level < 0] = level.max() + 1  # feedback through grounds only: render last
    return [np.flatnonzero(level == k) for k in range(level.max() + 1)]


def _drive_clip(graph: SignalGraph) -> FloatArray:
    """Each drive's RMS level at which its stage's first voltage/current limit is reached."""
    t = graph.solution.transfer
    n_d = graph.n_drive
    drive_clip = np.full(n_d, np.inf)
    for s, limit in graph.sense_limit.items():
        if graph.built.netlist.senses[s].kind not in ("leg", "current"):
            continue
        per_unit = np.abs(t[graph.i_ref, s, :n_d])
        for col in np.flatnonzero(per_unit > NEGLIGIBLE):
            if graph.drive_stage[col] == graph.sense_stage[s]:
                drive_clip[col] = min(drive_clip[col], limit / per_unit[col])
    return drive_clip


def _hum_tables(graph: SignalGraph, samplerate: int) -> tuple[FloatArray, FloatArray]:
    """One mains period of the hum injected at the inputs and at the ears (sources coherent).

    Every mains harmonic repeats each mains period (fs/mains samples, a whole number at the
    supported rates), so one period per input and ear is enough. Hum reaching the inputs is
    carried on by the stages; the rest lands at the ears.
    """
    t = graph.solution.transfer
    n_d = graph.n_drive
    mains = graph.built.rig.spec.environment.mains_hz
    period = int(round(samplerate / mains))
    phase = 2 * np.pi * np.arange(period) / period
    harmonics = [(round(graph.freqs_hz[idx] / mains), idx, lvl) for idx, lvl in graph.hum_points]

    def table(sense_idx: list[int]) -> FloatArray:
        out = np.zeros((len(sense_idx), period))
        for k, idx, lvl in harmonics:
            amp = t[idx][sense_idx, n_d:].sum(axis=1) * lvl
            out += np.sqrt(2) * (amp.real[:, None] * np.cos(k * phase)
                                 - amp.imag[:, None] * np.sin(k * phase))
        return out

    return table(graph.input_senses), table(graph.ear_senses)


def _listener_ears(graph: SignalGraph) -> dict[str, tuple[int, int]]:
    """Listener → (left, right) row in the ear senses."""
    pairs: dict[str, list[int]] = {}
    for e, (who, side) in enumerate(graph.ears):
        pairs.setdefault(who, [-1, -1])[0 if side == "left" else 1] = e
    return {who: (p[0], p[1]) for who, p in pairs.items()}


def _columns_heard(graph: SignalGraph, at_ref: Response, pair: tuple[int, int]) -> IntArray:
    """The drive columns whose noise reaches a listener's ears (for counting clipping).

    ``at_ref`` is the loop solved at the reference frequency only.
    """
    el, er = pair
    reach = np.abs(at_ref.noise[0][[graph.ear_senses[el], graph.ear_senses[er]], :])
    return np.flatnonzero(reach.max(axis=0) > 1e-4)



@dataclass
class Renderer:
    """A compiled rig ready to stream: build with :meth:`from_graph`, then call :meth:`process`."""

    graph: SignalGraph
    samplerate: int
    levels: list[IntArray]
    gains: FloatArray
    program_channel: IntArray
    input_map: FloatArray
    g_in: FloatArray
    g_ear: FloatArray
    paths_in: PathBank
    """The filtered (not flat) paths into the inputs."""
    paths_ear: PathBank
    noise_sigma: FloatArray
    drive_clip: FloatArray
    input_clip: FloatArray
    hum_in: FloatArray
    hum_ear: FloatArray
    ear_scale: FloatArray
    listener_ears: dict[str, tuple[int, int]]
    listener_columns: dict[str, IntArray]
    recorder: Recorder | None = None
    """The recording inputs, when the rig records."""
    voices: Voices | None = None
    seed: int = 0
    stats: dict[str, list[EarStats]] = field(default_factory=dict)
    _pos: int = 0

    @classmethod
    def from_graph(cls, graph: SignalGraph, positions: dict[str, float], samplerate: int,
                   seed: int = 0) -> Renderer:
        """Derive gains, filters, noise, clip levels and hum tables from the graph."""
        # only the gains and the reference frequency are read: the whole grid at 64
        # listeners would hold tens of MB for nothing
        resp = respond(graph, positions, np.array([graph.i_ref]))
        g_in, paths_in = _sense_paths(graph, graph.input_senses, samplerate)
        g_ear, paths_ear = _sense_paths(graph, graph.ear_senses, samplerate)
        program_channel = np.array([int(np.argmax(r)) if r.any() else -1
                                    for r in graph.program_map])
        # The graph counts program in RMS volts per full-scale sine; a sample of 1.0 is that
        # sine's peak, so a DAC column turns samples into volts with √2 times its RMS gain.
        stream_gains = resp.gains * np.where(program_channel >= 0, np.sqrt(2), 1.0)
        noise_sigma = np.sqrt(stage_noise_v2(graph, positions) * (F_MAX_HZ - F_MIN_HZ))
        input_clip = np.array([graph.sense_limit.get(s, np.inf) for s in graph.input_senses])
        hum_in, hum_ear = _hum_tables(graph, samplerate)
        ear_scale = np.array([units.from_db(graph.sensitivity_db_per_v[who] - 94.0)
                              / PA_PER_SAMPLE for who, _ in graph.ears])
        listener_ears = _listener_ears(graph)
        listener_columns = {who: _columns_heard(graph, resp, pair)
                            for who, pair in listener_ears.items()}
        recorder = (Recorder.from_graph(graph, positions, samplerate, seed)
                    if graph.preamps else None)
        voices = Voices(graph, samplerate) if graph.talkers else None
        # clip limits are RMS limits of sines; samples are peaks
        return cls(graph, samplerate, _levels(graph, g_in, paths_in), stream_gains,
                   program_channel, graph.input_map * graph.input_scale(positions)[None, :],
                   g_in, g_ear, PathBank(paths_in),
                   PathBank(paths_ear), noise_sigma, _drive_clip(graph) * np.sqrt(2),
                   input_clip * np.sqrt(2), hum_in, hum_ear, ear_scale, listener_ears,
                   listener_columns, recorder, voices, seed,
                   {who: [EarStats(), EarStats()] for who in listener_ears})

    def __post_init__(self) -> None:
        base = band_noise_tables(self.samplerate, np.random.default_rng(self.seed),
                                 NOISE_TABLES)
        # one pre-scaled table per noisy column: adding noise is then a single pass
        self._noisy = np.flatnonzero(self.noise_sigma > 0)
        # columns of the same stage type share a level: one scaled table per (level, table)
        scaled: dict[tuple[float, int], Float32Array] = {}
        self._noise: dict[int, Float32Array] = {}
        for j in map(int, self._noisy):
            key = (float(self.noise_sigma[j]), (j * 5) % NOISE_TABLES)
            if key not in scaled:
                scaled[key] = (key[0] * base[key[1]]).astype(np.float32)
            self._noise[j] = scaled[key]
        self._offsets = np.random.default_rng(self.seed + 1)
        # columns no ear hears (an unplugged output) are not computed at all
        reach = np.abs(self.g_ear).sum(axis=0) + np.abs(self.g_in).sum(axis=0)
        for _, j, _ in self.paths_ear.paths + self.paths_in.paths:
            reach[j] += 1.0
        self._active = [_as_slice(lvl[reach[lvl] > 0]) for lvl in self.levels]
        self._gains32 = self.gains.astype(np.float32)
        self._g_in32 = sparse.csr_matrix(self.g_in.astype(np.float32))
        # volts at each driver -> WAV samples (Pa / 20) folded into everything that reaches it
        scale = self.ear_scale[:, None]
        self._g_ear32 = sparse.csr_matrix((self.g_ear * scale).astype(np.float32))
        self.paths_ear = self.paths_ear.scaled(self.ear_scale)
        # each amp column reads one internal channel: a gather, not a matrix product
        self._sense_of = np.array([int(np.argmax(r)) if r.any() else -1
                                   for r in self.input_map])
        # hum that would land below -140 dB SPL everywhere is not worth adding sample by sample
        floor = 10 ** (-140 / 20) * 20e-6 / PA_PER_SAMPLE
        ear_hum = np.abs(self.hum_ear).max(initial=0) * self.ear_scale.max(initial=0)
        via_inputs = np.abs(self.hum_in).max(initial=0) * np.abs(self.gains).max(initial=0) * \
            np.abs(self.g_ear).max(initial=0) * self.ear_scale.max(initial=0)
        self._hum_any = bool(max(ear_hum, via_inputs) > floor)
        period = self.hum_in.shape[1] if self.hum_in.size else self.hum_ear.shape[1]
        self._period = max(period, 1)
        reps = int(np.ceil((self.samplerate + self._period) / self._period))
        # a second of hum per input and ear, tiled in float32 (at 64 listeners a float64
        # tile would be a 50 MB peak on its way)
        self._hum_in = (np.tile(self.hum_in.astype(np.float32), reps) if self._hum_any
                        else None)
        self._hum_ear = (np.tile((self.hum_ear * self.ear_scale[:, None]).astype(np.float32),
                                 reps) if self._hum_any else None)
        self._map_gain32 = (self.gains[:, None] * self.input_map).astype(np.float32)
        self._rows = np.arange(len(self.gains))
        # microphones: a talker's voice (Pa) times the sensitivity; direct monitoring: a DAC
        # column's RMS gain times what it takes from the inputs (full-scale units per volt)
        self._voice_of = (np.array([int(np.argmax(r)) if r.any() else -1
                                    for r in self.graph.voice_map])
                          if self.graph.voice_map.size else np.full(len(self.gains), -1))
        monitored = (self.program_channel >= 0) & self.input_map.any(axis=1)
        self._dm_rows = np.flatnonzero(monitored)
        rms_gain = self.gains / np.where(self.program_channel >= 0, np.sqrt(2), 1.0)
        self._dm_gain32 = (rms_gain[self._dm_rows, None]
                           * self.input_map[self._dm_rows]).astype(np.float32)
        # each level of amps reads only its own inputs: with no input filters or recorder
        # (which run on every input), those rows alone are computed at that level
        self._level_inputs = [self._inputs_read(cols) for cols in self._active]
        # the block buffer, made again only when the block length changes
        self._x = np.zeros((len(self.gains), 0), dtype=np.float32)
        # a bound on each column's noise peak, so clip scans can be skipped when nothing clips
        self._noise_peak = np.array([float(np.abs(self._noise[j]).max()) if j in self._noise
                                     else 0.0 for j in range(len(self.gains))])

    def _add_noise(self, x: Float32Array, rows: IntArray, frames: int) -> None:
        """Add each row's stage noise: a slice of its table at a seeded random offset."""
        noisy = [int(j) for j in rows if int(j) in self._noise]
        if not noisy:
            return
        chunks = -(-frames // NOISE_TABLE)
        starts = self._offsets.integers(NOISE_TABLE, size=(len(noisy), chunks))
        for r, j in enumerate(noisy):
            table = self._noise[j]
            for c in range(chunks):
                done = c * NOISE_TABLE
                count = min(frames - done, NOISE_TABLE)
                start = starts[r, c]
                x[j, done:done + count] += table[start:start + count]

    def _senses(self, x: Float32Array, hum: slice, final: bool = False,
                only: tuple[IntArray, sparse.csr_matrix] | None = None) -> Float32Array:
        """What every input senses from the driven columns (hum added, clipped).

        Read once per level of the block as its columns are driven; only the ``final`` read,
        once every column is, moves the input filters' tails on to the next block. ``only``
        (some inputs and their rows of the input gains) reads just those; it is for rigs
        without input filters or a recorder, which run on every input.
        """
        rows: IntArray | slice = slice(None)
        gains = self._g_in32
        if only is not None:
            rows, gains = only
        senses: Float32Array = gains @ x
        if self._hum_in is not None:
            senses += self._hum_in[rows, hum]
        if only is None:
            self.paths_in.process(x, senses, commit=final)
            if self.recorder is not None:
                self.recorder.add_noise(senses)
        lim = self.input_clip[rows, None]
        np.clip(senses, -lim, lim, out=senses)
        return senses

    def _inputs_read(self, cols: IntArray | slice
                     ) -> tuple[IntArray, sparse.csr_matrix, IntArray] | None:
        """What a level reads, when each of its columns amplifies one input.

        The inputs read, their rows of the input gains and each column's row among them;
        None where the level must read every input (input filters, a recorder, mixes).
        """
        rows = self._rows[cols]
        if (self.recorder is not None or self.paths_in or not self.graph.input_senses
                or not ((self.input_map[rows] != 0).sum(axis=1) == 1).all()
                or not (self.input_map[rows].sum(axis=1) == 1).all()):
            return None
        read = np.unique(self._sense_of[rows])
        return read, self._g_in32[read], np.searchsorted(read, self._sense_of[rows])

    def _amplify_level(self, x: Float32Array, cols: IntArray | slice, frames: int,
                       hum: slice, level: int) -> FloatArray:
        """Drive a level's amp columns from their inputs; returns each input's peak."""
        plan = self._level_inputs[level]
        if plan is None:
            return self._amplify_inputs(x, cols, frames, hum)
        read, g_read, pick = plan
        senses = self._senses(x, hum, only=(read, g_read))
        self._amplify(x, cols, senses[pick])
        peak = np.zeros(len(self.input_clip))
        peak[read] = np.abs(senses).max(axis=1)
        return peak

    def _amplify(self, x: Float32Array, cols: IntArray | slice, sources: Float32Array) -> None:
        """Each column's gain times its source row (``sources`` in the columns' order)."""
        gains = self._gains32[self._rows[cols], None]
        if isinstance(cols, slice):  # a view: write in place
            np.multiply(gains, sources, out=x[cols])
        else:
            x[cols] = gains * sources

    def _amplify_inputs(self, x: Float32Array, cols: IntArray | slice, frames: int,
                        hum: slice) -> FloatArray:
        """Drive amp columns from what their inputs sense; returns each input's peak."""
        senses = self._senses(x, hum)
        if not len(senses):  # amps with no input at all: they amplify silence
            senses = np.zeros((1, frames), dtype=np.float32)
        rows = self._rows[cols]
        if (self.input_map[rows].sum(axis=1) <= 1).all():
            self._amplify(x, cols, senses[np.maximum(self._sense_of[rows], 0)])
            x[rows[self._sense_of[rows] < 0]] = 0.0
        else:  # a channel summed from several inputs
            x[cols] = self._map_gain32[cols] @ senses
        peak: FloatArray = np.abs(senses).max(axis=1)
        return peak

    def _clip(self, x: Float32Array, cols: IntArray | slice, chans: IntArray,
              prog_peak: FloatArray, sense_peak: FloatArray) -> BoolArray | None:
        """Clip the columns at their stages' limits; the clipped samples, if any."""
        lim = self.drive_clip[cols, None]
        if not np.isfinite(lim).any():
            return None
        rows = self._rows[cols]
        # |x| <= |gain| * peak(source) + noise peak for a row fed by the program alone or by
        # one input alone: if no such row can reach its limit, the samples are not scanned.
        # Rows that speak a voice, add a monitor mix or sum inputs are always scanned.
        from_prog = chans >= 0
        one_input = ((self.input_map[rows] != 0).sum(axis=1) == 1) & (self._sense_of[rows] >= 0)
        plain = ((from_prog & ~self.input_map[rows].any(axis=1)) | (~from_prog & one_input)) \
            & (self._voice_of[rows] < 0)
        if plain.all():
            by_input = (sense_peak[np.maximum(self._sense_of[rows], 0)] if sense_peak.size
                        else np.zeros(len(rows)))
            peak_src = np.where(from_prog, prog_peak[np.maximum(chans, 0)], by_input)
            bound = np.abs(self._gains32[rows]) * peak_src + self._noise_peak[rows]
            if not (bound > lim[:, 0]).any():
                return None
        block = x[cols]
        over: BoolArray = np.abs(block) > lim
        if not over.any():
            return None
        x[cols] = np.clip(block, -lim, lim)
        return over

    def _to_ears(self, x: Float32Array, hum: slice, frames: int,
                 clip_rows: list[tuple[IntArray | slice, BoolArray]]
                 ) -> dict[str, Float32Array]:
        """Each listener's ears (frames × 2) from the driven columns; updates the stats."""
        ears = self._g_ear32 @ x
        if self._hum_ear is not None:
            ears += self._hum_ear[:, hum]
        self.paths_ear.process(x, ears)
        sum_sq = np.einsum("ij,ij->i", ears, ears)
        peaks = np.maximum(ears.max(axis=1), -ears.min(axis=1)) if frames else \
            np.zeros(len(ears))
        clipped = None
        if clip_rows:
            clipped = np.zeros((len(self.gains), frames), dtype=bool)
            for cols, over in clip_rows:
                clipped[cols] |= over
        out = {}
        for who, (el, er) in self.listener_ears.items():
            n_clip = 0
            if clipped is not None:
                n_clip = int(clipped[self.listener_columns[who]].any(axis=0).sum())
            for side, e in ((0, el), (1, er)):
                self.stats[who][side].add(float(sum_sq[e]), frames, float(peaks[e]), n_clip)
            out[who] = ears[el:el + 2].T if er == el + 1 else np.stack([ears[el], ears[er]], 1)
        return out

    def process(self, program: Float32Array) -> dict[str, Float32Array]:
        """Render one block of the program (frames × 2) into each listener's ears (frames × 2).

        Blocks of any length are accepted; those longer than one second are worked
        through in one-second pieces.
        """
        frames = len(program)
        if frames == 0:
            return {who: np.zeros((0, 2), dtype=np.float32) for who in self.listener_ears}
        if frames > self.samplerate:  # the hum tables hold one second: work in pieces
            parts = [self.process(program[i:i + self.samplerate])
                     for i in range(0, frames, self.samplerate)]
            return {who: np.concatenate([p[who] for p in parts]) for who in parts[0]}
        prog = np.ascontiguousarray(np.asarray(program, dtype=np.float32).T)
        prog_peak = np.abs(prog).max(axis=1) if frames else np.zeros(2)
        sense_peak = np.zeros(0)
        if self._x.shape[1] != frames:
            self._x = np.zeros((len(self.gains), frames), dtype=np.float32)
        x = self._x  # rows no ear hears stay zero; every other row is rewritten each block
        clip_rows: list[tuple[IntArray | slice, BoolArray]] = []
        p0 = self._pos % self._period
        hum = slice(p0, p0 + frames)
        voices = self.voices.block(frames) if self.voices is not None else None
        if self.recorder is not None:
            self.recorder.begin(frames)
        for level, cols in enumerate(self._active):
            if isinstance(cols, np.ndarray) and not len(cols):
                continue
            chans = self.program_channel[cols]
            from_prog = chans >= 0
            if from_prog.all():
                np.multiply(self._gains32[cols, None], prog[chans], out=x[cols])
            else:
                sense_peak = self._amplify_level(x, cols, frames, hum, level)
                if from_prog.any():
                    pc = self._rows[cols][from_prog]
                    x[pc] = self._gains32[pc, None] * prog[chans[from_prog]]
            self._talk_and_monitor(x, self._rows[cols], voices, hum)
            self._add_noise(x, self._rows[cols], frames)
            over = self._clip(x, cols, chans, prog_peak, sense_peak)
            if over is not None:
                clip_rows.append((cols, over))
        out = self._to_ears(x, hum, frames, clip_rows)
        if self.recorder is not None or self.paths_in:
            final = self._senses(x, hum, final=True)
            if self.recorder is not None:
                self.recorder.record(final)
        self._pos = (self._pos + frames) % self.samplerate
        return out

    def _talk_and_monitor(self, x: Float32Array, rows: IntArray, voices: Float32Array | None,
                          hum: slice) -> None:
        """Microphone rows speak their talker's voice; DAC rows add the direct-monitor mix."""
        if voices is not None:
            talking = rows[self._voice_of[rows] >= 0]
            if len(talking):
                x[talking] = self._gains32[talking, None] * voices[self._voice_of[talking]]
        if not len(self._dm_rows):
            return
        monitoring = np.isin(self._dm_rows, rows)
        if monitoring.any():
            senses = self._senses(x, hum)
            x[self._dm_rows[monitoring]] += self._dm_gain32[monitoring] @ senses

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

from signalchain import units
from signalchain.evaluate import stage_noise_v2
from signalchain.graph.compile import F_MAX_HZ, F_MIN_HZ, SignalGraph
from signalchain.graph.response import respond
from signalchain.render.filters import FirBank, design_path

NEGLIGIBLE = 1e-6
"""Paths below this (V/V, −120 dB) are left out."""
NOISE_TABLE = 1 << 16
NOISE_TABLES = 8
PA_PER_SAMPLE = 20.0
"""WAV calibration: sample value 1.0 = 20 Pa (DESIGN.md)."""


@dataclass
class EarStats:
    """What the render measured at one ear."""

    sum_sq: float = 0.0
    frames: int = 0
    peak: float = 0.0
    clipped: int = 0

    def summary(self) -> dict[str, float | int | None]:
        """RMS and peak in dB SPL and the clipped-sample count."""
        rms_pa = np.sqrt(self.sum_sq / self.frames) * PA_PER_SAMPLE if self.frames else 0.0
        def spl(pa: float) -> float | None:
            return round(float(units.pa_to_spl(pa)), 2) if pa > 0 else None
        return {"rms_spl_db": spl(rms_pa), "peak_spl_db": spl(self.peak * PA_PER_SAMPLE),
                "clipped_samples": self.clipped}


@dataclass
class Renderer:
    """A compiled rig ready to stream: build with :meth:`from_graph`, then call :meth:`process`."""

    graph: SignalGraph
    samplerate: int
    levels: list[np.ndarray]
    gains: np.ndarray
    program_channel: np.ndarray
    input_map: np.ndarray
    g_in: np.ndarray
    g_ear: np.ndarray
    fir_in: FirBank
    fir_ear: FirBank
    noise_sigma: np.ndarray
    drive_clip: np.ndarray
    input_clip: np.ndarray
    hum_in: np.ndarray
    hum_ear: np.ndarray
    ear_scale: np.ndarray
    listener_ears: dict[str, tuple[int, int]]
    listener_columns: dict[str, np.ndarray]
    seed: int = 0
    stats: dict[str, list[EarStats]] = field(default_factory=dict)
    _pos: int = 0
    _block: int = 0

    @classmethod
    def from_graph(cls, graph: SignalGraph, positions: dict[str, float], samplerate: int,
                   seed: int = 0) -> Renderer:
        """Derive gains, filters, noise, clip levels and hum tables from the graph."""
        resp = respond(graph, positions)
        sol = graph.solution
        n_d = graph.n_drive
        t = sol.transfer
        freqs = graph.freqs_hz
        band = (freqs >= F_MIN_HZ) & (freqs <= F_MAX_HZ)

        def paths(sense_idx: list[int]) -> tuple[np.ndarray, list[tuple[int, int, np.ndarray]]]:
            gains = np.zeros((len(sense_idx), n_d))
            firs = []
            for row, s in enumerate(sense_idx):
                for j in range(n_d):
                    h = t[band, s, j]
                    if np.abs(h).max() < NEGLIGIBLE:
                        continue
                    pf = design_path(h, freqs[band], int(np.argmin(np.abs(freqs[band] - 1e3))),
                                     samplerate)
                    if pf.taps is None:
                        gains[row, j] = pf.gain
                    else:
                        firs.append((row, j, pf.taps))
            return gains, firs

        g_in, fir_in = paths(graph.input_senses)
        g_ear, fir_ear = paths(graph.ear_senses)

        # topological levels: DAC columns first, then amps fed by earlier columns
        feeds = [set(np.flatnonzero(np.abs(g_in[i]) > 0)) | {j for r, j, _ in fir_in if r == i}
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
        levels = [np.flatnonzero(level == k) for k in range(level.max() + 1)]

        program_channel = np.array([int(np.argmax(r)) if r.any() else -1
                                    for r in graph.program_map])
        # The graph counts program in RMS volts per full-scale sine; a sample of 1.0 is that
        # sine's peak, so a DAC column turns samples into volts with √2 times its RMS gain.
        stream_gains = resp.gains * np.where(program_channel >= 0, np.sqrt(2), 1.0)
        noise_sigma = np.sqrt(stage_noise_v2(graph, positions) * (F_MAX_HZ - F_MIN_HZ))

        # clip levels: the drive at which a stage's first voltage/current limit is reached
        drive_clip = np.full(n_d, np.inf)
        for s, limit in graph.sense_limit.items():
            kind = graph.built.netlist.senses[s].kind
            if kind in ("leg", "current"):
                per_unit = np.abs(t[graph.i_ref, s, :n_d])
                for j in np.flatnonzero(per_unit > NEGLIGIBLE):
                    if graph.drive_stage[j] == graph.sense_stage[s]:
                        drive_clip[j] = min(drive_clip[j], limit / per_unit[j])
        input_clip = np.array([graph.sense_limit.get(s, np.inf) for s in graph.input_senses])
        drive_clip *= np.sqrt(2)  # RMS limits of sines -> peak sample limits
        input_clip = input_clip * np.sqrt(2)

        # hum: one-second periodic tables (whole cycles of 50/60 Hz) per input and ear
        tt = np.arange(samplerate) / samplerate
        mains = graph.built.rig.spec.environment.mains_hz

        def hum_table(sense_idx: list[int]) -> np.ndarray:
            """Hum injected straight at these senses by the ground sources (all coherent)."""
            table = np.zeros((len(sense_idx), samplerate))
            for idx, lvl in graph.hum_points:
                k = round(freqs[idx] / mains)
                amp = t[idx][sense_idx, n_d:].sum(axis=1) * lvl
                table += np.sqrt(2) * np.real(amp[:, None] * np.exp(
                    2j * np.pi * k * mains * tt[None, :]))
            return table

        # hum reaching the inputs is carried on by the stages; the rest lands at the ears
        hum_in = hum_table(graph.input_senses)
        hum_ear = hum_table(graph.ear_senses)

        ear_scale = np.array([units.from_db(graph.sensitivity_db_per_v[who] - 94.0)
                              / PA_PER_SAMPLE for who, _ in graph.ears])
        listener_ears = {}
        for e, (who, side) in enumerate(graph.ears):
            pair = listener_ears.setdefault(who, [-1, -1])
            pair[0 if side == "left" else 1] = e
        listener_columns = {}
        for who, (el, er) in listener_ears.items():
            reach = (np.abs(resp.noise[graph.i_ref][[graph.ear_senses[el],
                                                     graph.ear_senses[er]], :]).max(axis=0))
            listener_columns[who] = np.flatnonzero(reach > 1e-4)
        return cls(graph, samplerate, levels, stream_gains, program_channel, graph.input_map,
                   g_in, g_ear, FirBank(fir_in, len(graph.input_senses)),
                   FirBank(fir_ear, len(graph.ear_senses)), noise_sigma, drive_clip,
                   input_clip, hum_in, hum_ear, ear_scale,
                   {k: (v[0], v[1]) for k, v in listener_ears.items()}, listener_columns, seed,
                   {who: [EarStats(), EarStats()] for who in listener_ears})

    def __post_init__(self) -> None:
        rng = np.random.default_rng(self.seed)
        f = np.fft.rfftfreq(NOISE_TABLE, 1.0 / self.samplerate)
        band = (f >= F_MIN_HZ) & (f <= F_MAX_HZ)
        tables = []
        for _ in range(NOISE_TABLES):
            spec = np.zeros(len(f), dtype=complex)
            spec[band] = np.exp(2j * np.pi * rng.random(band.sum()))
            x = np.fft.irfft(spec, NOISE_TABLE)
            tables.append(x / np.sqrt(np.mean(x**2)))
        self._noise = np.concatenate([np.stack(tables), np.stack(tables)], axis=1)
        self._offsets = np.random.default_rng(self.seed + 1)

    def _noise_block(self, j: int, frames: int) -> np.ndarray:
        out = np.empty(frames)
        done = 0
        while done < frames:
            count = min(frames - done, NOISE_TABLE)
            table = (j * 5 + self._block) % NOISE_TABLES
            start = int(self._offsets.integers(NOISE_TABLE))
            out[done:done + count] = self._noise[table, start:start + count]
            done += count
        return out

    def process(self, program: np.ndarray) -> dict[str, np.ndarray]:
        """Render one block of the program (frames × 2) into each listener's ears (frames × 2)."""
        frames = len(program)
        n_d = len(self.gains)
        x = np.zeros((n_d, frames))
        clipped = np.zeros((n_d, frames), dtype=bool)
        hum_idx = (self._pos + np.arange(frames)) % self.samplerate
        senses = None
        for level in self.levels:
            if senses is not None or any(self.program_channel[j] < 0 for j in level):
                senses = self.g_in @ x + self.hum_in[:, hum_idx]
                self.fir_in.process(x, senses)
                np.clip(senses, -self.input_clip[:, None], self.input_clip[:, None], out=senses)
            for j in level:
                ch = self.program_channel[j]
                src = program[:, ch] if ch >= 0 else self.input_map[j] @ senses
                x[j] = self.gains[j] * src
                if self.noise_sigma[j] > 0:
                    x[j] += self.noise_sigma[j] * self._noise_block(j, frames)
                limit = self.drive_clip[j]
                if np.isfinite(limit):
                    clipped[j] = np.abs(x[j]) > limit
                    np.clip(x[j], -limit, limit, out=x[j])
        ears = self.g_ear @ x + self.hum_ear[:, hum_idx]
        self.fir_ear.process(x, ears)
        ears *= self.ear_scale[:, None]
        out = {}
        for who, (el, er) in self.listener_ears.items():
            block = np.stack([ears[el], ears[er]], axis=1).astype(np.float32)
            any_clip = int(clipped[self.listener_columns[who]].any(axis=0).sum())
            for side, col in ((0, block[:, 0]), (1, block[:, 1])):
                st = self.stats[who][side]
                st.sum_sq += float(np.dot(col, col))
                st.frames += frames
                st.peak = max(st.peak, float(np.abs(col).max()) if frames else 0.0)
                st.clipped += any_clip
            out[who] = block
        self._pos = (self._pos + frames) % self.samplerate
        self._block += 1
        return out

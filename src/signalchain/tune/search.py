"""The search behind ``tune``: figures at any knob setting, and the knobs that score best.

Each listener's own knob is solved in closed form; the other knobs are searched coordinate by
coordinate. A :class:`Problem` holds the knobs on the listeners' paths (from
:func:`signalchain.graph.paths.listener_paths`), who uses which, and scores any setting as a
:class:`Candidate`: target misses, headroom deficits and the worst listener's hiss.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from signalchain import units
from signalchain.arrays import FloatArray
from signalchain.evaluate import (
    ear_noise_v2,
    ear_program_v,
    headroom_many,
    listener_levels,
    stage_noise_v2_many,
    worst_headroom,
)
from signalchain.graph.compile import SignalGraph
from signalchain.graph.paths import listener_paths, stage_depth
from signalchain.graph.response import input_scale_many, knob_gains_many, respond_many
from signalchain.recording import preamp_ear_noise_v2
from signalchain.schema.device import Taper

TOLERANCE_DB = 0.05
"""How far from their target a listener may be and still count as on target (beyond what
the written knob resolution, :data:`WRITE_STEP`, allows)."""
COARSE_STEP = 0.04
"""Grid of the coarse pass over a searched knob."""
FINE_STEP = 0.01
"""Grid of the fine pass around the coarse optimum: whole percent, what a user can set, so
the chosen position is one that was evaluated (never rounded past a headroom limit)."""
FINE_SPAN = 0.03
"""How far either side of the coarse optimum the fine pass looks."""
WRITE_DECIMALS = 3
"""Decimals of the reported and written positions (0.1 %, as ``tune --write`` writes them)."""
WRITE_STEP = 10.0 ** -WRITE_DECIMALS
"""Resolution of the written positions: each listener's own knob is rounded to it, so a
listener counts as on target when the nearest writable position puts them there."""


def rounding_db(taper: Taper, position: float) -> float:
    """Largest level change (dB) between ``position`` and a neighbour half a write step away.

    The exact solution of a listener's own knob lies within half a :data:`WRITE_STEP` of
    the written position, so their level can be off by this much and nothing written is
    closer. A silent position has no tolerance; next to one, only the step up counts.
    """
    half = WRITE_STEP / 2
    here = float(units.taper_gain(position, taper))
    if here <= 0:
        return 0.0
    up = float(units.taper_gain(min(position + half, 1.0), taper))
    down = float(units.taper_gain(max(position - half, 0.0), taper))
    steps = [up / here] + ([here / down] if down > 0 else [])
    return float(units.db(max(steps)))


@dataclass(frozen=True)
class Figures:
    """Per-listener figures at one knob setting (arrays in listener order)."""

    spl_db: FloatArray
    noise_dba: FloatArray
    headroom_db: FloatArray
    limiting_stage: tuple[str | None, ...]


@dataclass(frozen=True)
class Candidate:
    """A complete knob setting and how it scores.

    ``short_db`` sums the listeners' target misses beyond their tolerance, ``deficit_db`` the
    stages' headroom below the required; ``missed`` flags the listeners off target.
    """

    positions: dict[str, float]
    figures: Figures
    short_db: float
    deficit_db: float
    missed: tuple[bool, ...]
    worst_noise: float

    @property
    def violation(self) -> float:
        """Target misses plus headroom deficits (dB)."""
        return self.short_db + self.deficit_db

    @property
    def feasible(self) -> bool:
        """Every target met and every stage's headroom kept."""
        return self.violation < 1e-9


def _knob_users(path_knobs: dict[str, list[str]]) -> dict[str, list[str]]:
    """Knob → the listeners whose path it is on."""
    users: dict[str, list[str]] = {}
    for who, knobs in path_knobs.items():
        for k in knobs:
            users.setdefault(k, []).append(who)
    return users


def _knob_depth(graph: SignalGraph) -> dict[str, int]:
    """Knob → the depth (:func:`stage_depth`) of the deepest stage it sets."""
    depth = stage_depth(graph)
    out: dict[str, int] = {}
    for st in graph.stages.values():
        if st.knob:
            key = f"{st.device}.{st.knob}"
            out[key] = max(out.get(key, 0), depth.get(st.id, 0))
    return out


def _ear_index(graph: SignalGraph) -> dict[str, list[int]]:
    """Listener → their ears' rows in the ear arrays."""
    index: dict[str, list[int]] = {who: [] for who in graph.built.listeners}
    for e, (who, _side) in enumerate(graph.ears):
        index.setdefault(who, []).append(e)
    return index


class Problem:
    """The knobs to set, who uses which, and the figures at any setting."""

    def __init__(self, graph: SignalGraph, targets: dict[str, float], headroom_db: float,
                 base: Mapping[str, float] | None = None):
        self.graph = graph
        self.base = {**graph.knob_positions, **(base or {})}
        """Where the search starts (the rig's knobs, input gains already set)."""
        self.targets = targets
        self.headroom_db = headroom_db
        self.listeners = list(graph.built.listeners)
        self.paths = listener_paths(graph)
        self.path_knobs: dict[str, list[str]] = {
            who: [k for k in self.paths[who].knobs if k in graph.knob_positions]
            for who in self.listeners}
        self.users = _knob_users(self.path_knobs)
        self.shared = [k for k, who in self.users.items() if len(who) > 1]
        self.knob_depth = _knob_depth(graph)
        # each listener's own knob nearest to them is solved in closed form; every other
        # knob on anyone's path (shared, or upstream of their own) is searched
        self.adjust = {who: self.nearest([k for k in knobs if k not in self.shared])
                       for who, knobs in self.path_knobs.items()}
        self.own_knobs = [k for k in dict.fromkeys(self.adjust.values()) if k]
        self.searched = sorted((k for k in self.users if k not in self.own_knobs),
                               key=lambda k: (k not in self.shared, self.knob_depth.get(k, 0)))
        self.tapers = {f"{st.device}.{st.knob}": st.taper for st in graph.stages.values()
                       if st.knob}
        self.ear_index = _ear_index(graph)
        self.ref_slot = np.array([graph.i_ref])
        self.cache: dict[tuple[float, ...], Candidate] = {}

    def nearest(self, knobs: list[str]) -> str | None:
        """The knob among ``knobs`` nearest the listener (deepest; the last one on a tie)."""
        return max(reversed(knobs), key=lambda k: self.knob_depth.get(k, 0), default=None)

    def shared_knob(self, who: str) -> str | None:
        """The knob nearest the listener that they share with others, if any."""
        return next((k for k in reversed(self.path_knobs[who]) if k in self.shared), None)

    def levels_many(self, points: Sequence[Mapping[str, float]]) -> FloatArray:
        """Each listener's program SPL at each setting (P, listeners): 1 kHz only."""
        g = self.graph
        ref = respond_many(g, knob_gains_many(g, points), input_scale_many(g, points),
                           self.ref_slot)
        return listener_levels(g, ear_program_v(g, ref, 0))

    def figures_many(self, points: Sequence[Mapping[str, float]]) -> list[Figures]:
        """Every listener's level, hiss and worst headroom on their path, at each setting.

        Solved as one batch, at the ears over the grid and at 1 kHz everywhere: the only
        senses the figures read.
        """
        g = self.graph
        gains, scale = knob_gains_many(g, points), input_scale_many(g, points)
        ears = respond_many(g, gains, scale, senses=g.ear_senses)
        ref = respond_many(g, gains, scale, self.ref_slot)
        every = slice(None)
        nv2 = (ear_noise_v2(g, ears, stage_noise_v2_many(g, gains), every)
               + preamp_ear_noise_v2(g, ears, every))
        levels = listener_levels(g, ear_program_v(g, ref, 0))
        table = headroom_many(g, ref.program[:, 0])
        sens = np.array([g.sensitivity_db_per_v[who] for who in self.listeners])
        worst_n2 = np.stack([nv2[:, self.ear_index[who]].max(axis=1) for who in self.listeners],
                            axis=1)
        with np.errstate(divide="ignore"):
            noise = np.where(worst_n2 > 0, sens + units.db_power(worst_n2), -math.inf)
        out = []
        for p in range(len(points)):
            hr = table.at(p)
            rooms = [worst_headroom(hr, self.paths[who].ids) for who in self.listeners]
            out.append(Figures(levels[p], noise[p], np.array([r for r, _s in rooms]),
                               tuple(s for _r, s in rooms)))
        return out

    def solve_private_many(self, points: Sequence[Mapping[str, float]]
                           ) -> list[dict[str, float]]:
        """Set each listener's own knob so their level hits the target (closed form)."""
        out = []
        for positions in points:
            pos = dict(positions)
            for own in self.own_knobs:
                if pos[own] <= 0:
                    pos[own] = 0.5  # a closed knob has no level to scale from
            out.append(pos)
        # the chain is linear, so one closed-form step lands on the target (to within the
        # tiny feedback through shared grounds)
        levels = self.levels_many(out)
        for pos, at in zip(out, levels, strict=True):
            for i, who in enumerate(self.listeners):
                key = self.adjust[who]
                if key is None or not math.isfinite(at[i]):
                    continue
                taper = self.tapers[key]
                gain = float(units.taper_gain(pos[key], taper)) * units.from_db(
                    self.targets[who] - float(at[i]))
                pos[key] = units.taper_position(float(gain), taper)
        return out

    def tolerance_db(self, who: str, pos: dict[str, float]) -> float:
        """How far off target a listener counts as on it at these positions."""
        key = self.adjust[who]
        return TOLERANCE_DB + (rounding_db(self.tapers[key], pos[key]) if key else 0.0)

    def score(self, pos: dict[str, float]) -> Candidate:
        """How a complete setting does: target misses and headroom deficits, worst hiss."""
        return self.score_many([pos])[0]

    def score_many(self, points: Sequence[dict[str, float]]) -> list[Candidate]:
        """:meth:`score` for many settings, solved as one batch."""
        out = []
        for pos, fig in zip(points, self.figures_many(points), strict=True):
            short = []
            for i, who in enumerate(self.listeners):
                spl = fig.spl_db[i]
                miss = abs(spl - self.targets[who]) if math.isfinite(spl) else 100.0
                short.append(max(miss - self.tolerance_db(who, pos), 0.0))
            deficit = np.maximum(self.headroom_db - fig.headroom_db, 0.0)
            out.append(Candidate(pos, fig, float(sum(short)),
                                 float(deficit[np.isfinite(deficit)].sum()),
                                 tuple(s > 0 for s in short), float(np.max(fig.noise_dba))))
        return out

    def candidate(self, positions: dict[str, float]) -> Candidate:
        """The searched knobs as given, each listener's own knob solved for their target."""
        return self.candidates([positions])[0]

    def candidates(self, points: Sequence[dict[str, float]]) -> list[Candidate]:
        """:meth:`candidate` for many settings; the new ones solved as one batch."""
        keys = [tuple(round(p[k], 6) for k in self.searched) for p in points]
        new = {key: p for key, p in zip(keys, points, strict=True) if key not in self.cache}
        if new:
            scored = self.score_many(self.solve_private_many(list(new.values())))
            self.cache.update(zip(new, scored, strict=True))
        return [self.cache[key] for key in keys]

    def search(self) -> tuple[Candidate, list[Candidate]]:
        """Coordinate search over the searched knobs (two rounds when there are several)."""
        best = self.candidate(dict(self.base))
        if not self.searched:
            return best, [best]
        seen: list[Candidate] = []
        for _round in range(2 if len(self.searched) > 1 else 1):
            for key in self.searched:
                best = self._line_search(best.positions, key, seen)
        return best, seen

    def _line_search(self, start: dict[str, float], key: str, seen: list[Candidate]
                     ) -> Candidate:
        def at(xs: Sequence[float]) -> list[Candidate]:
            found = self.candidates([{**start, key: round(float(np.clip(x, FINE_STEP, 1.0)), 6)}
                                     for x in xs])
            seen.extend(c for c in found if not any(x is c for x in seen))
            return found

        n = int(round(1.0 / COARSE_STEP))
        best = min(at([i * COARSE_STEP for i in range(1, n + 1)]), key=rank)
        centre = best.positions[key]
        k = int(round(FINE_SPAN / FINE_STEP))
        fine = at([centre + i * FINE_STEP for i in range(-k, k + 1)])
        return min([best, *fine], key=rank)


def rank(c: Candidate) -> tuple[float, tuple[float, ...]]:
    """Fewest violations, then least worst-listener hiss, then the next-worst listener's ..."""
    noise = sorted((round(float(n), 6) for n in c.figures.noise_dba), reverse=True)
    return (round(c.violation, 6), tuple(noise))

"""``tune``: knob positions that put every listener at their target with the least hiss.

Every knob on a listener's path is a gain in a linear chain, so the program
level at each ear moves by exactly the knob's change in dB. The knob nearest
each listener (their own amp output, by the rig's signal flow) is solved in
closed form for the target; every other knob on a listener's path -- shared by
several listeners (the interface's headphone knob) or upstream of one
listener's own knob -- is searched (coarse grid, then whole percent) for the
lowest worst-listener hiss that keeps every stage's headroom. The explanation
compares the optimum with the extremes of the searched knob's feasible range,
in numbers, all read from the same rounded setting that is printed and
written.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from signalchain import thresholds as th
from signalchain import units
from signalchain.errors import RigTopologyError, error_at
from signalchain.evaluate import (
    Evaluation,
    ear_noise_v2,
    ear_program_v,
    evaluate,
    headroom,
    listener_program_spl,
    stage_noise_v2,
)
from signalchain.graph.compile import SignalGraph
from signalchain.graph.response import respond

TOLERANCE_DB = 0.05
COARSE_STEP = 0.04
"""Grid of the coarse pass over a searched knob."""
FINE_STEP = 0.01
"""Grid of the fine pass around the coarse optimum: whole percent, what a user can set, so
the chosen position is one that was evaluated (never rounded past a headroom limit)."""
FINE_SPAN = 0.03
"""How far either side of the coarse optimum the fine pass looks."""


def format_knob(position: float) -> str:
    """A knob position as printed everywhere (table and explanation): whole percent."""
    return f"{position:.0%}"


@dataclass
class Figures:
    """Per-listener figures at one knob setting (arrays in listener order)."""

    spl_db: np.ndarray
    noise_dba: np.ndarray
    headroom_db: np.ndarray
    limiting_stage: list[str | None]


@dataclass
class Candidate:
    """A complete knob setting and how it scores."""

    positions: dict[str, float]
    figures: Figures
    violation: float
    worst_noise: float

    @property
    def feasible(self) -> bool:
        """Every target met and every stage's headroom kept."""
        return self.violation < 1e-9


@dataclass
class TuneResult:
    """What ``tune`` found."""

    knobs: dict[str, float]
    targets: dict[str, float]
    headroom_db: float
    feasible: bool
    evaluation: Evaluation
    explanation: list[str] = field(default_factory=list)
    comparison: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """The ``tune --json`` object (DESIGN.md, plus feasibility and the explanation)."""
        sim = self.evaluation.to_json()
        targets = set(self.targets.values())
        return {
            "knobs": {k: round(v, 2) for k, v in self.knobs.items()},
            "target_spl_db": targets.pop() if len(targets) == 1 else self.targets,
            "targets": self.targets, "headroom_db": self.headroom_db,
            "feasible": self.feasible, "listeners": sim["listeners"], "stages": sim["stages"],
            "explanation": self.explanation, "comparison": self.comparison,
            "assumptions": sim["assumptions"],
        }


def stage_depth(graph: SignalGraph) -> dict[str, int]:
    """How many active stages precede each stage in the rig's signal flow (0: a DAC)."""
    upstream: dict[str, set[str]] = {sid: set() for sid in graph.stages}
    for src, dsts in graph.built.signal_flow.items():
        for dst in dsts:
            upstream.setdefault(dst, set()).add(src)
    depth = {sid: 0 for sid in upstream}
    for _ in range(len(depth)):  # longest path in a DAG (build refuses loops)
        changed = False
        for sid, ups in upstream.items():
            d = max((depth.get(u, 0) + 1 for u in ups), default=0)
            if d > depth[sid]:
                depth[sid], changed = d, True
        if not changed:
            break
    return depth


class _Problem:
    """The knobs to set, who uses which, and the figures at any setting."""

    def __init__(self, graph: SignalGraph, targets: dict[str, float], headroom_db: float):
        self.graph = graph
        self.targets = targets
        self.headroom_db = headroom_db
        self.listeners = list(graph.built.listeners)
        probe = dict(graph.knob_positions)
        for key in probe:
            probe[key] = max(probe[key], 0.5)  # every path open, to see who is on it
        ev = evaluate(graph, probe)
        self.path_knobs = {lf.id: [c["knob"] for c in lf.volume_controls
                                   if c["knob"] in graph.knob_positions]
                           for lf in ev.listeners}
        self.path_ids = {lf.id: lf.stages_on_path + lf.inputs_on_path + [f"{lf.id}.drivers"]
                         for lf in ev.listeners}
        users: dict[str, int] = {}
        for knobs in self.path_knobs.values():
            for k in knobs:
                users[k] = users.get(k, 0) + 1
        self.shared = [k for k in users if users[k] > 1]
        depth = stage_depth(graph)
        knob_depth: dict[str, int] = {}
        for st in graph.stages.values():
            if st.knob:
                key = f"{st.device}.{st.knob}"
                knob_depth[key] = max(knob_depth.get(key, 0), depth.get(st.id, 0))
        # each listener's own knob nearest to them is solved in closed form; every other
        # knob on anyone's path (shared, or upstream of their own) is searched
        self.adjust: dict[str, str | None] = {}
        for who, knobs in self.path_knobs.items():
            private = [k for k in knobs if users[k] == 1]
            self.adjust[who] = max(reversed(private), key=lambda k: knob_depth.get(k, 0),
                                   default=None)
        own = {k for k in self.adjust.values() if k}
        searched = [k for k in users if k not in own]
        self.searched = sorted(searched, key=lambda k: (k not in self.shared,
                                                        knob_depth.get(k, 0)))
        self.tapers = {f"{st.device}.{st.knob}": st.taper for st in graph.stages.values()
                       if st.knob}
        self.ear_index = {who: [e for e, (w, _s) in enumerate(graph.ears) if w == who]
                          for who in self.listeners}
        self.ref_slot = np.array([graph.i_ref])
        self.cache: dict[tuple[float, ...], Candidate] = {}

    def levels(self, positions: dict[str, float]) -> dict[str, float]:
        """Each listener's program SPL (1 kHz only: one small solve)."""
        g = self.graph
        return listener_program_spl(g, ear_program_v(g, respond(g, positions, self.ref_slot),
                                                     0))

    def figures(self, positions: dict[str, float]) -> Figures:
        g = self.graph
        resp = respond(g, positions)
        nv2 = ear_noise_v2(g, resp, stage_noise_v2(g, positions))
        levels = listener_program_spl(g, ear_program_v(g, resp))
        hr = headroom(g, resp)
        spl, noise, room, limiting = [], [], [], []
        for who in self.listeners:
            sens = g.sensitivity_db_per_v[who]
            ears = self.ear_index[who]
            spl.append(levels[who])
            n2 = nv2[ears].max()
            noise.append(sens + float(units.db_power(n2)) if n2 > 0 else -math.inf)
            limits = [(hr[s][0], s) for s in self.path_ids[who] if s in hr]
            worst = min(limits) if limits else (math.inf, None)
            room.append(worst[0])
            limiting.append(worst[1])
        return Figures(np.array(spl), np.array(noise), np.array(room), limiting)

    def solve_private(self, positions: dict[str, float]) -> dict[str, float]:
        """Set each listener's own knob so their level hits the target (closed form)."""
        pos = dict(positions)
        for key in (k for k in self.adjust.values() if k):
            if pos[key] <= 0:
                pos[key] = 0.5  # a closed knob has no level to scale from
        # the chain is linear, so one closed-form step lands on the target (to within the
        # tiny feedback through shared grounds)
        levels = self.levels(pos)
        for who in self.listeners:
            key = self.adjust[who]
            if key is None or not math.isfinite(levels[who]):
                continue
            taper = self.tapers[key]
            gain = float(units.taper_gain(pos[key], taper)) * units.from_db(
                self.targets[who] - levels[who])
            pos[key] = units.taper_position(gain, taper)
        return pos

    def score(self, pos: dict[str, float]) -> Candidate:
        """How a complete setting does: target misses and headroom deficits, worst hiss."""
        fig = self.figures(pos)
        miss = np.array([abs(fig.spl_db[i] - self.targets[w]) if math.isfinite(fig.spl_db[i])
                         else 100.0 for i, w in enumerate(self.listeners)])
        short = np.maximum(miss - TOLERANCE_DB, 0.0).sum()
        deficit = np.maximum(self.headroom_db - fig.headroom_db, 0.0)
        violation = float(short + deficit[np.isfinite(deficit)].sum())
        return Candidate(pos, fig, violation, float(np.max(fig.noise_dba)))

    def candidate(self, positions: dict[str, float]) -> Candidate:
        """The searched knobs as given, each listener's own knob solved for their target."""
        key = tuple(round(positions[k], 6) for k in self.searched)
        if key not in self.cache:
            self.cache[key] = self.score(self.solve_private(positions))
        return self.cache[key]

    def search(self) -> tuple[Candidate, list[Candidate]]:
        """Coordinate search over the searched knobs (two rounds when there are several)."""
        base = dict(self.graph.knob_positions)
        best = self.candidate(base)
        if not self.searched:
            return best, [best]
        seen: list[Candidate] = []
        for _round in range(2 if len(self.searched) > 1 else 1):
            for key in self.searched:
                best = self._line_search(best.positions, key, seen)
        return best, seen

    def _line_search(self, start: dict[str, float], key: str, seen: list[Candidate]
                     ) -> Candidate:
        def at(x: float) -> Candidate:
            c = self.candidate({**start, key: round(float(np.clip(x, FINE_STEP, 1.0)), 6)})
            if not any(x is c for x in seen):
                seen.append(c)
            return c

        n = int(round(1.0 / COARSE_STEP))
        coarse = [at(i * COARSE_STEP) for i in range(1, n + 1)]
        best = min(coarse, key=_rank)
        centre = best.positions[key]
        k = int(round(FINE_SPAN / FINE_STEP))
        fine = [at(centre + i * FINE_STEP) for i in range(-k, k + 1)]
        return min([best, *fine], key=_rank)


def _rank(c: Candidate) -> tuple[float, tuple[float, ...]]:
    """Fewest violations, then least worst-listener hiss, then the next-worst listener's ..."""
    noise = sorted((round(float(n), 6) for n in c.figures.noise_dba), reverse=True)
    return (round(c.violation, 6), tuple(noise))


def tune(graph: SignalGraph, target_spl_db: float = th.DEFAULT_TARGET_SPL_DB,
         listener_targets: dict[str, float] | None = None, headroom_db: float = 3.0
         ) -> TuneResult:
    """Find knob positions for every knob on the listeners' paths.

    Every knob on a listener's path is free: the one nearest each listener (their own amp
    output) is solved in closed form for the target, every other one (shared between
    listeners, or upstream of a listener's own knob) is searched on a whole-percent grid
    for the lowest worst-listener hiss that keeps every stage's headroom.

    Parameters
    ----------
    graph : SignalGraph
        The compiled rig.
    target_spl_db : float
        Program level (1 kHz at −18 dBFS RMS) each listener should hear. The default is 80.
    listener_targets : dict, optional
        Per-listener targets overriding ``target_spl_db``.
    headroom_db : float
        Required headroom: no stage may clip below ``0 dBFS − headroom_db``. The default is 3.
    """
    if not graph.built.listeners:
        raise RigTopologyError([error_at("the rig has no listeners (headphones) to tune for",
                                         graph.built.rig.location("devices"),
                                         hint="add headphones under 'devices:' and plug them "
                                         "in", code="no-listeners")])
    targets = {who: target_spl_db for who in graph.built.listeners}
    targets.update(listener_targets or {})
    problem = _Problem(graph, targets, headroom_db)
    best, seen = problem.search()
    tuned_keys = sorted({k for ks in problem.path_knobs.values() for k in ks})
    # what is reported, printed and written: the searched knobs are on the whole-percent
    # grid already; each listener's own knob to 0.1 %
    final_positions = {k: round(best.positions[k], 3) for k in tuned_keys}
    final = problem.score({**best.positions, **final_positions})
    ev = evaluate(graph, final_positions)
    result = TuneResult(final_positions, targets, headroom_db, final.feasible, ev)
    result.explanation, result.comparison = _explain(problem, final, seen, ev)
    # the same count simulate prints: the listeners' device assumptions and the environment's
    n_assumed = len({a for lf in ev.listeners for a in lf.assumptions}) + len(ev.assumptions)
    if n_assumed:
        rig = graph.built.rig.doc.filename
        rig = rig if rig.endswith((".yaml", ".yml")) else "RIG"
        result.explanation.append(
            f"These figures rest on {n_assumed} assumed values (e.g. output noise no "
            f"manufacturer publishes): 'signalchain simulate {rig}' lists them, and its "
            "--json output has them in its 'assumptions' lists.")
    return result


def _fmt_knobs(positions: dict[str, float], keys: list[str]) -> str:
    return ", ".join(f"{k} {format_knob(positions[k])}" for k in keys)


def _explain(problem: _Problem, final: Candidate, seen: list[Candidate], ev: Evaluation
             ) -> tuple[list[str], list[dict[str, Any]]]:
    """Numbers behind the choice; every figure of the tuned setting is read from ``ev``."""
    lines: list[str] = []
    comparison: list[dict[str, Any]] = []
    private = [k for k in dict.fromkeys(problem.adjust.values()) if k]
    worst_now = max(lf.noise_spl_dba for lf in ev.listeners)
    for i, who in enumerate(problem.listeners):
        lf = ev.listener(who)
        target = problem.targets[who]
        if abs(lf.program_spl_db - target) > 0.5:
            key = problem.adjust[who]
            why = _limit_reason(problem, key, lf.program_spl_db, target, final, i)
            lines.append(f"{who} cannot reach {target:g} dB SPL: {why}")
    if not problem.searched:
        lines.append("No knob is shared between listeners or sits upstream of a listener's "
                     "own: each listener's own knob is set for their target.")
        return lines, comparison
    key = problem.searched[0]
    label = "shared knob" if key in problem.shared else "upstream knob"
    others = [k for k in problem.searched if k != key]
    along = [c for c in seen if all(abs(c.positions[k] - final.positions[k]) < 1e-9
                                     for k in others)]
    feasible = sorted((c for c in along if c.feasible), key=lambda c: c.positions[key])
    if not feasible:
        lines.append(f"No setting of {key} lets every listener reach the target with "
                     f"{problem.headroom_db:g} dB headroom; the closest is shown.")
        return lines, comparison
    lo, hi = feasible[0], feasible[-1]
    at_key = final.positions[key]
    for case, c, noise in (("tuned", final, worst_now), (f"{label} lowest", lo, lo.worst_noise),
                           (f"{label} highest", hi, hi.worst_noise)):
        comparison.append({"case": case, "knobs": {k: round(c.positions[k], 3)
                                                    for k in problem.searched + private},
                           "worst_noise_spl_dba": round(noise, 1)})
    lines.append(f"Tuned: {_fmt_knobs(final.positions, problem.searched + private)} — worst "
                 f"hiss {worst_now:.1f} dBA with every listener at target.")
    if hi.positions[key] - at_key > 0.02:
        diff = hi.worst_noise - worst_now
        lines.append(f"With {key} at {format_knob(hi.positions[key])} instead (and the "
                     f"listeners' knobs lowered to {_range(hi, private)}) the worst hiss would "
                     f"be {hi.worst_noise:.1f} dBA, {diff:.1f} dB more.")
    if at_key - lo.positions[key] > 0.02:
        diff = lo.worst_noise - worst_now
        lines.append(f"With {key} at {format_knob(lo.positions[key])} (listeners' knobs "
                     f"raised to {_range(lo, private)}) it would be {lo.worst_noise:.1f} dBA, "
                     f"{diff:.1f} dB more: "
                     + ("lowering it further adds more of the later stages' own hiss than it "
                        "removes." if diff > 0.05 else "no better."))
    gain_hi = hi.worst_noise - worst_now
    if at_key < hi.positions[key] - 0.02 and gain_hi >= 1.0:
        lines.append(f"The seed article's advice ('lower the interface, raise the amp') holds "
                     f"here: backing {key} off from {format_knob(hi.positions[key])} to "
                     f"{format_knob(at_key)} and raising the amp lowers the hiss by "
                     f"{gain_hi:.1f} dB.")
    elif hi.positions[key] - at_key <= 0.02:
        lines.append(f"The seed article's advice ('lower the interface, raise the amp') does "
                     f"not hold for this gear: {key} is best near the top of its usable range, "
                     f"because the amp after it hisses more than {key.split('.')[0]} does.")
    else:
        lines.append(f"Lowering {key} and raising the amp changes the hiss by less than 1 dB "
                     f"here ({gain_hi:.1f} dB), so the seed article's advice makes little "
                     "difference with this gear.")
    return lines, comparison


def _range(c: Candidate, keys: list[str]) -> str:
    vals = [c.positions[k] for k in keys]
    if not vals:
        return "—"
    lo, hi = format_knob(min(vals)), format_knob(max(vals))
    return lo if lo == hi else f"{lo}–{hi}"


def _limit_reason(problem: _Problem, key: str | None, spl: float, target: float,
                  final: Candidate, i: int) -> str:
    if not math.isfinite(spl):
        return "no program reaches them: nothing on their path is fed by the computer"
    if spl < target:
        if key and final.positions.get(key, 0) >= 0.999:
            return (f"with {key} fully up it reaches {spl:.1f} dB SPL — the amp's gain and the "
                    "headphones' sensitivity limit it")
        stage = final.figures.limiting_stage[i]
        return (f"it reaches {spl:.1f} dB SPL before {stage} runs out of the required "
                f"{problem.headroom_db:g} dB headroom (clipping limits it)")
    return (f"even with its knob at the bottom it gets {spl:.1f} dB SPL; the shared knob "
            "sets a floor")

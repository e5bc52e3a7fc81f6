"""``tune``: knob positions that put every listener at their target with the least hiss.

Every knob on a listener's path is a gain in a linear chain, so the program
level at each ear moves by exactly the knob's change in dB. The knob nearest
each listener (their own amp output) is solved in closed form for the target;
knobs shared by several listeners (the interface's headphone knob) are searched
(coarse grid, then refined) for the lowest worst-listener hiss that keeps every
stage's headroom. The explanation compares the optimum with the extremes of
the shared knob's feasible range, in numbers.
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
COARSE_STEP = 0.02
FINE_STEP = 0.002
ROUND_TO = 0.01


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
        }


class _Problem:
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
        self.adjust = {}
        for who, knobs in self.path_knobs.items():
            private = [k for k in knobs if users[k] == 1]
            self.adjust[who] = private[-1] if private else None
        self.tapers = {f"{st.device}.{st.knob}": st.taper for st in graph.stages.values()
                       if st.knob}
        self.ear_index = {who: [e for e, (w, _s) in enumerate(graph.ears) if w == who]
                          for who in self.listeners}

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
        fig = self.figures(pos)
        for i, who in enumerate(self.listeners):
            key = self.adjust[who]
            if key is None or not math.isfinite(fig.spl_db[i]):
                continue
            taper = self.tapers[key]
            gain = float(units.taper_gain(pos[key], taper)) * units.from_db(
                self.targets[who] - fig.spl_db[i])
            pos[key] = units.taper_position(gain, taper)
        return pos

    def candidate(self, positions: dict[str, float]) -> Candidate:
        pos = self.solve_private(positions)
        fig = self.figures(pos)
        miss = np.array([abs(fig.spl_db[i] - self.targets[w]) if math.isfinite(fig.spl_db[i])
                         else 100.0 for i, w in enumerate(self.listeners)])
        short = np.maximum(miss - TOLERANCE_DB, 0.0).sum()
        deficit = np.maximum(self.headroom_db - fig.headroom_db, 0.0)
        violation = float(short + deficit[np.isfinite(deficit)].sum())
        return Candidate(pos, fig, violation, float(np.max(fig.noise_dba)))

    def search(self) -> tuple[Candidate, list[Candidate]]:
        base = dict(self.graph.knob_positions)
        if not self.shared:
            best = self.candidate(base)
            return best, [best]
        seen: list[Candidate] = []
        best = self.candidate(base)
        for _round in range(2 if len(self.shared) > 1 else 1):
            for key in self.shared:
                best = self._line_search(best.positions, key, seen)
        return best, seen

    def _line_search(self, start: dict[str, float], key: str, seen: list[Candidate]
                     ) -> Candidate:
        def at(x: float) -> Candidate:
            c = self.candidate({**start, key: float(np.clip(x, 0.0, 1.0))})
            seen.append(c)
            return c

        coarse = [at(x) for x in np.arange(COARSE_STEP, 1.0 + 1e-9, COARSE_STEP)]
        best = min(coarse, key=_rank)
        centre = best.positions[key]
        fine = [at(x) for x in np.arange(centre - COARSE_STEP, centre + COARSE_STEP + 1e-9,
                                         FINE_STEP)]
        return min([best, *fine], key=_rank)


def _rank(c: Candidate) -> tuple[float, float]:
    return (round(c.violation, 6), c.worst_noise)


def tune(graph: SignalGraph, target_spl_db: float = th.DEFAULT_TARGET_SPL_DB,
         listener_targets: dict[str, float] | None = None, headroom_db: float = 3.0
         ) -> TuneResult:
    """Find knob positions for every knob on the listeners' paths.

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
    # shared knobs to whole percent (what a user can set), then each listener's own knob
    # re-solved for that setting
    shared = {k: round(best.positions[k] / ROUND_TO) * ROUND_TO for k in problem.shared}
    chosen = problem.candidate({**best.positions, **shared})
    final_positions = {k: round(chosen.positions[k], 3) for k in tuned_keys}
    ev = evaluate(graph, final_positions)
    result = TuneResult({k: final_positions[k] for k in tuned_keys}, targets, headroom_db,
                        best.feasible, ev)
    result.explanation, result.comparison = _explain(problem, best, seen, ev)
    n_assumed = len({a for lf in ev.listeners for a in lf.assumptions})
    if n_assumed:
        result.explanation.append(f"These figures rest on {n_assumed} assumed values (e.g. "
                                  "output noise no manufacturer publishes); see 'assumptions'.")
    return result


def _fmt_knobs(problem: _Problem, positions: dict[str, float], keys: list[str]) -> str:
    parts = []
    for k in keys:
        parts.append(f"{k} {positions[k]:.0%}")
    return ", ".join(parts)


def _explain(problem: _Problem, best: Candidate, seen: list[Candidate], ev: Evaluation
             ) -> tuple[list[str], list[dict[str, Any]]]:
    lines: list[str] = []
    comparison: list[dict[str, Any]] = []
    private = [k for k in problem.adjust.values() if k]
    for i, who in enumerate(problem.listeners):
        lf = ev.listener(who)
        target = problem.targets[who]
        if abs(lf.program_spl_db - target) > 0.5:
            key = problem.adjust[who]
            why = _limit_reason(problem, who, key, lf.program_spl_db, target, best, i)
            lines.append(f"{who} cannot reach {target:g} dB SPL: {why}")
    if not problem.shared:
        lines.append("No knob is shared between listeners: each listener's own knob is set "
                     "for their target.")
        return lines, comparison
    key = problem.shared[0]
    along = [c for c in seen if all(abs(c.positions[k] - best.positions[k]) < 1e-9
                                     for k in problem.shared if k != key)]
    feasible = sorted((c for c in along if c.feasible), key=lambda c: c.positions[key])
    if not feasible:
        lines.append(f"No setting of {key} lets every listener reach the target with "
                     f"{problem.headroom_db:g} dB headroom; the closest is shown.")
        return lines, comparison
    lo, hi = feasible[0], feasible[-1]
    opt = best
    for label, c in (("tuned", opt), ("shared knob lowest", lo), ("shared knob highest", hi)):
        comparison.append({"case": label, "knobs": {k: round(c.positions[k], 3)
                                                      for k in problem.shared + private},
                           "worst_noise_spl_dba": round(c.worst_noise, 1)})
    lines.append(f"Tuned: {_fmt_knobs(problem, opt.positions, [key] + private)} — worst hiss "
                 f"{opt.worst_noise:.1f} dBA with every listener at target.")
    if hi.positions[key] - opt.positions[key] > 0.02:
        diff = hi.worst_noise - opt.worst_noise
        lines.append(f"With {key} at {hi.positions[key]:.0%} instead (and the listeners' knobs "
                     f"lowered to {_range(hi, private)}) the worst hiss would be "
                     f"{hi.worst_noise:.1f} dBA, {diff:.1f} dB more.")
    if opt.positions[key] - lo.positions[key] > 0.02:
        diff = lo.worst_noise - opt.worst_noise
        lines.append(f"With {key} at {lo.positions[key]:.0%} (listeners' knobs raised to "
                     f"{_range(lo, private)}) it would be {lo.worst_noise:.1f} dBA, "
                     f"{diff:.1f} dB more: "
                     + ("lowering it further adds more of the later stages' own hiss than it "
                        "removes." if diff > 0.05 else "no better."))
    gain_hi = hi.worst_noise - opt.worst_noise
    if opt.positions[key] < hi.positions[key] - 0.02 and gain_hi >= 1.0:
        lines.append(f"The seed article's advice ('lower the interface, raise the amp') holds "
                     f"here: backing {key} off from {hi.positions[key]:.0%} to "
                     f"{opt.positions[key]:.0%} and raising the amp lowers the hiss by "
                     f"{gain_hi:.1f} dB.")
    elif hi.positions[key] - opt.positions[key] <= 0.02:
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
    return f"{min(vals):.0%}" if max(vals) - min(vals) < 0.005 else \
        f"{min(vals):.0%}–{max(vals):.0%}"


def _limit_reason(problem: _Problem, who: str, key: str | None, spl: float, target: float,
                  best: Candidate, i: int) -> str:
    if spl < target:
        if key and best.positions.get(key, 0) >= 0.999:
            return (f"with {key} fully up it reaches {spl:.1f} dB SPL — the amp's gain and the "
                    "headphones' sensitivity limit it")
        stage = best.figures.limiting_stage[i]
        return (f"it reaches {spl:.1f} dB SPL before {stage} runs out of the required "
                f"{problem.headroom_db:g} dB headroom (clipping limits it)")
    return (f"even with its knob at the bottom it gets {spl:.1f} dB SPL; the shared knob "
            "sets a floor")

"""Judging tuned candidates: their facts, pros and cons, score, rank and verdict, as data.

Pros, cons and the verdict come from the simulated and tuned figures; a method that loses
a channel, swaps polarity or shorts an output never ranks above a stereo one, and one that
cannot put every listener at the target level never ranks above one that can. The score
is points per component under the priority (:data:`WEIGHTS`); lower is better.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from signalchain import thresholds as th
from signalchain.advise.ears import sensitivity_db_per_v
from signalchain.advise.model import Facts, Method, Point, Verdict, Volume
from signalchain.bom import BomItem, items_to_buy
from signalchain.findings import Finding
from signalchain.results import Evaluation, ListenerFigures, VolumeControl
from signalchain.wiring.resolve import ResolvedDevice

if TYPE_CHECKING:
    from signalchain.advise.search import Tuned
    from signalchain.tune import TuneResult

BAD_CODES = frozenset({"one-ear", "antiphase", "missing-channel", "shorted-output"})
"""Finding codes that make a method not recommended (a channel lost, swapped or shorted)."""
WEIGHTS: Mapping[str, Mapping[str, float]] = {
    "quality": {"hiss": 1.0, "items_to_buy": 1.0, "no_master_knob": 3.0,
                "line_outputs_used": 0.5},
    "convenience": {"hiss": 0.3, "items_to_buy": 4.0, "no_master_knob": 10.0,
                    "line_outputs_used": 2.0},
}
"""Points per score component under each priority: per dB of worst-listener hiss, per item
to buy, for no physical master knob, for occupying the line outputs."""
LEVEL_TOLERANCE_DB = 1.0
"""A listener within this of the target counts as at the target: about the smallest level
change a listener notices, and the most two listeners sharing one output through a Y
splitter may differ by before one knob cannot serve both."""
QUIETEST_TIE_DB = 0.05
"""Methods whose worst hiss differs by less than this are tied (it rounds to 0.0 dB)."""
HEADROOM_SLACK_DB = 0.05
"""A stage this close to the headroom asked counts as keeping it (tune's rounding)."""

Devices = Mapping[str, ResolvedDevice]


def stereo(lf: ListenerFigures) -> bool:
    """L in the left ear and R in the right, in phase, with no channel-loss finding."""
    codes = {w.code for w in lf.warnings}
    return ("left" in lf.ears and "right" in lf.ears
            and any(c.channel == "L" for c in lf.program_at("left"))
            and any(c.channel == "R" for c in lf.program_at("right"))
            and not ({"one-ear", "antiphase", "missing-channel"} & codes))


def _physical_knobs(ev: Evaluation) -> dict[str, list[str]]:
    """Listener → the physical knobs on their path (listeners without any left out)."""
    per_listener: dict[str, list[str]] = {}
    for lf in ev.listeners:
        for c in lf.volume_controls:
            if c.physical:
                per_listener.setdefault(lf.id, []).append(c.knob)
    return per_listener


def _master(ev: Evaluation, source: str, per_listener: Mapping[str, list[str]]
            ) -> tuple[tuple[VolumeControl, ...], bool]:
    """The master volume, and whether it is on the interface (``source``).

    The master is the interface's knobs that serve several listeners (or the one listener);
    without any, the computer's software volume.
    """
    shared: dict[str, VolumeControl] = {}
    controls = [c for lf in ev.listeners for c in lf.volume_controls]
    for c in controls:
        users = sum(c.knob in v for v in per_listener.values())
        if c.knob.startswith(f"{source}.") and (users > 1 or len(ev.listeners) == 1):
            shared[c.knob] = c
    if shared:
        return tuple(shared.values()), True
    software = next((c for c in controls if not c.physical), None)
    return ((software,) if software is not None else ()), False


def _volume(ev: Evaluation, source: str) -> tuple[Volume, tuple[str, ...], bool]:
    """The master and per-listener knobs, and the listeners with a knob of their own.

    The third value is whether the master is a knob on the interface (``source``) rather
    than the computer's software volume.
    """
    per_listener = _physical_knobs(ev)
    master, on_interface = _master(ev, source, per_listener)
    users = Counter(k for ks in per_listener.values() for k in ks)
    own = tuple(w for w, ks in per_listener.items() if any(users[k] == 1 for k in ks))
    volume = Volume(master, {w: tuple(k for k in ks if not k.startswith(f"{source}."))
                             for w, ks in per_listener.items()})
    return volume, own, on_interface


def facts_of(tuned: TuneResult, source: str, bom: Sequence[BomItem], devices: Devices,
             target_spl_db: float, headroom_db: float) -> Facts:
    """The figures a tuned candidate is judged on (``source``: the interface's id)."""
    ev = tuned.evaluation
    volume, own, physical_master = _volume(ev, source)
    worst = max(ev.listeners, key=lambda lf: lf.noise_spl_dba)
    levels = {lf.id: lf.program_spl_db for lf in ev.listeners}
    off = {}
    for w, spl in levels.items():
        target = tuned.targets.get(w, target_spl_db)
        if not math.isfinite(spl) or abs(spl - target) > LEVEL_TOLERANCE_DB:
            off[w] = spl - target
    short = {s.id: s.headroom_db for s in ev.stages
             if math.isfinite(s.headroom_db) and s.headroom_db < headroom_db - HEADROOM_SLACK_DB}
    return Facts(
        stereo=all(stereo(lf) for lf in ev.listeners),
        codes=tuple(sorted({w.code for lf in ev.listeners for w in lf.warnings})),
        volume=volume, noise_spl_dba=worst.noise_spl_dba, noise_listener=worst.id,
        hum_spl_dba=max(lf.hum_spl_dba for lf in ev.listeners), levels_spl_db=levels,
        off_target_db=off, own_knob=own, short_headroom_db=short,
        feasible=not off and not short, physical_master=physical_master,
        to_buy=items_to_buy(bom), items=sum(i.count for i in bom),
        listeners={w: devices[w].spec.name for w in levels})


def bad_codes(facts: Facts) -> tuple[str, ...]:
    """The facts' codes that make a method not recommended, sorted."""
    return tuple(c for c in facts.codes if c in BAD_CODES)


def tier_of(facts: Facts) -> int:
    """0 stereo and at target, 1 stereo but off target or short of headroom, 2 not stereo."""
    if bad_codes(facts) or not facts.stereo:
        return 2
    return 1 if facts.off_target_db or facts.short_headroom_db else 0


def rank_key(tier: int, facts: Facts) -> tuple[int, float, float]:
    """Order of candidates for one pairing choice: tier, total distance off target, hiss."""
    off = sum(abs(d) if math.isfinite(d) else 100.0 for d in facts.off_target_db.values())
    return tier, off, facts.noise_spl_dba


# ---------------------------------------------------------------------------------------------
# pros and cons


def _who(facts: Facts, listener: str) -> dict[str, str]:
    return {"listener": listener, "name": facts.listeners.get(listener, "")}


@dataclass(frozen=True)
class _Standing:
    """Where a method's hiss stands among all methods'."""

    best_noise_dba: float
    tied: frozenset[Tuned]
    """The candidates tied for quietest in the best tier."""


def _hiss(t: Tuned, standing: _Standing) -> tuple[Point, bool]:
    """The hiss point, and whether it is a pro."""
    facts = t.facts
    delta = facts.noise_spl_dba - standing.best_noise_dba
    if t in standing.tied:
        rank = "tied" if len(standing.tied) > 1 else "quietest"
    elif delta <= 0.5:
        rank = "close" if delta >= QUIETEST_TIE_DB else "even"
    else:
        rank = "behind"
    target = t.tuned.targets[t.tuned.evaluation.listeners[0].id]
    return Point("hiss", {"noise_spl_dba": facts.noise_spl_dba, "target_spl_db": target,
                          **_who(facts, facts.noise_listener), "standing": rank,
                          "more_db": delta}), rank != "behind"


def _finding(ev: Evaluation, code: str) -> Finding | None:
    return next((w for lf in ev.listeners for w in lf.warnings if w.code == code), None)


def _volume_points(t: Tuned) -> tuple[list[Point], list[Point]]:
    facts = t.facts
    pros: list[Point] = []
    cons: list[Point] = []
    knobs = tuple(str(c.knob) for c in facts.volume.master)
    if facts.physical_master:
        pros.append(Point("physical-master", {"knobs": knobs}))
        if t.candidate.cable.uses_line_outputs:
            pros.append(Point("line-outputs-knob", {"knobs": knobs}))
    else:
        cons.append(Point("no-master-knob", {"knob": knobs[0] if knobs else None}))
    if t.candidate.cable.uses_line_outputs:
        cons.append(Point("line-outputs-used"))
    if facts.own_knob:
        pros.append(Point("own-knob", {"listeners": len(facts.own_knob),
                                       "of": len(facts.levels_spl_db)}))
    return pros, cons


def _sharing_points(t: Tuned, devices: Devices) -> list[Point]:
    points = []
    for out, names in t.candidate.ears.shared.items():
        sens = [sensitivity_db_per_v(devices[w].spec) for w in names]
        points.append(Point("shared-output", {
            "output": out, "listeners": tuple((w, devices[w].spec.name) for w in names),
            "spread_db": max(sens) - min(sens)}))
    return points


def _level_points(t: Tuned) -> list[Point]:
    facts = t.facts
    target = t.tuned.targets[t.tuned.evaluation.listeners[0].id]
    cons = []
    if facts.noise_spl_dba >= th.HISS_AUDIBLE_DBA:
        cons.append(Point("hiss-audible", {"threshold_dba": th.HISS_AUDIBLE_DBA}))
    if facts.hum_spl_dba >= th.HUM_AUDIBLE_DBA:
        cons.append(Point("hum-audible", {"hum_spl_dba": facts.hum_spl_dba}))
    for w, off in facts.off_target_db.items():
        cons.append(Point("off-target", {**_who(facts, w), "off_db": off,
                                         "level_spl_db": facts.levels_spl_db[w],
                                         "target_spl_db": target}))
    for stage, room in facts.short_headroom_db.items():
        cons.append(Point("short-headroom", {"stage": stage, "headroom_db": room,
                                             "asked_db": t.tuned.headroom_db}))
    return cons


def _points(t: Tuned, standing: _Standing, devices: Devices
            ) -> tuple[tuple[Point, ...], tuple[Point, ...]]:
    """A candidate's pros and cons, in the order they are shown."""
    ev = t.tuned.evaluation
    pros = [Point("stereo")] if t.facts.stereo else []
    cons = [Point("bad-signal", {"code": c, "finding": _finding(ev, c)})
            for c in bad_codes(t.facts)]
    volume_pros, volume_cons = _volume_points(t)
    pros += volume_pros
    cons += volume_cons + _sharing_points(t, devices)
    hiss, good = _hiss(t, standing)
    (pros if good else cons).append(hiss)
    cons += _level_points(t)
    buy = tuple((i.to_buy, i.item) for i in t.bom if i.to_buy)
    boxed = tuple((i.in_box, i.item) for i in t.bom if i.in_box)
    if buy:
        cons.append(Point("to-buy", {"items": buy}))
    if boxed:
        pros.append(Point("in-box", {"items": boxed}))
    return tuple(pros), tuple(cons)


# ---------------------------------------------------------------------------------------------
# verdicts and ranking


def _problem(t: Tuned) -> Point | None:
    """Why a candidate is not recommended, or None if it works."""
    facts = t.facts
    bad = bad_codes(facts)
    if bad:
        return Point("bad-signals", {"codes": bad})
    if not facts.stereo:
        return Point("not-stereo")
    if facts.off_target_db:
        target = t.tuned.targets[t.tuned.evaluation.listeners[0].id]
        return Point("listeners-off-target", {"listeners": len(facts.off_target_db),
                                              "tolerance_db": LEVEL_TOLERANCE_DB,
                                              "target_spl_db": target})
    if facts.short_headroom_db:
        return Point("stages-short", {"stages": tuple(facts.short_headroom_db),
                                      "headroom_db": t.tuned.headroom_db})
    return None


def _breakdown(t: Tuned, weights: Mapping[str, float]) -> dict[str, float]:
    facts = t.facts
    return {"hiss": weights["hiss"] * facts.noise_spl_dba,
            "items_to_buy": weights["items_to_buy"] * facts.to_buy,
            "no_master_knob": weights["no_master_knob"] * (not facts.physical_master),
            "line_outputs_used": weights["line_outputs_used"]
            * t.candidate.cable.uses_line_outputs}


def _standing(tuned: Sequence[Tuned]) -> _Standing:
    best_tier = min(t.tier for t in tuned)
    pool = [t for t in tuned if t.tier == best_tier]
    best = min(t.facts.noise_spl_dba for t in pool)
    return _Standing(best, frozenset(t for t in pool
                                     if t.facts.noise_spl_dba - best < QUIETEST_TIE_DB))


def _verdict(rank: int, problem: Point | None, breakdown: Mapping[str, float],
             first: tuple[str, Mapping[str, float]], priority: str) -> tuple[Verdict, Point]:
    """The verdict and its reason.

    The first working method is recommended; the others say how far behind it they are.
    """
    if problem is not None:
        return "not-recommended", problem
    if rank == 0:
        return "recommended", Point("best", {"priority": priority})
    name, best = first
    differences = tuple((k, v - best[k]) for k, v in breakdown.items()
                        if abs(v - best[k]) > 0.05)
    return "works", Point("behind", {"points": sum(breakdown.values()) - sum(best.values()),
                                     "method": name, "priority": priority,
                                     "differences": differences})


def judge(tuned: Sequence[Tuned], priority: str, devices: Devices) -> tuple[Method, ...]:
    """Rank the tuned candidates (tier, then score) and make them methods with verdicts."""
    if not tuned:
        return ()
    standing = _standing(tuned)
    breakdowns = {t: _breakdown(t, WEIGHTS[priority]) for t in tuned}
    ranked = sorted(tuned, key=lambda t: (t.tier, sum(breakdowns[t].values())))
    first = (ranked[0].candidate.name, breakdowns[ranked[0]])
    methods = []
    for rank, t in enumerate(ranked):
        pros, cons = _points(t, standing, devices)
        verdict, reason = _verdict(rank, _problem(t), breakdowns[t], first, priority)
        methods.append(t.method(pros, cons, verdict, reason, breakdowns[t]))
    return tuple(methods)

"""The notes behind a ``tune`` result, as numbers (sentences: :mod:`signalchain.report.tune`).

Why a listener misses their target, and how the searched knob trades hiss across its feasible
range.
"""

from __future__ import annotations

import math
from types import MappingProxyType
from typing import Any

from signalchain.results import Evaluation
from signalchain.tune.result import (
    CaseName,
    ComparisonRow,
    KnobRole,
    MissReason,
    NoteCode,
    TuneNote,
    Verdict,
)
from signalchain.tune.search import WRITE_DECIMALS, Candidate, Problem

FULL_UP = 0.999
"""A knob at or above this position is fully up."""
SAME_POSITION = 0.02
"""Positions of the searched knob closer than this are the same setting in the notes."""
ADVICE_MATTERS_DB = 1.0
"""Hiss saved by lowering the searched knob, below which the seed advice 'makes little
difference'."""


def note(code: NoteCode, **data: Any) -> TuneNote:
    """A note with these data (read-only)."""
    return TuneNote(code, MappingProxyType(data))


def reach_notes(problem: Problem, final: Candidate) -> list[TuneNote]:
    """A ``cannot-reach`` or ``short-headroom`` note per listener who needs one."""
    notes = []
    fig = final.figures
    for i, who in enumerate(problem.listeners):
        spl, room = float(fig.spl_db[i]), float(fig.headroom_db[i])
        common = {"listener": who, "target_spl_db": problem.targets[who],
                  "stage": fig.limiting_stage[i], "stage_headroom_db": room,
                  "headroom_db": problem.headroom_db}
        if final.missed[i]:
            reason, knob = _miss_reason(problem, final, i)
            shared = problem.shared_knob(who)
            others = (tuple(w for w in problem.users[shared] if w != who)
                      if shared and reason in ("shared-knob", "floor") else ())
            notes.append(note("cannot-reach", **common, reason=reason, knob=knob,
                              spl_db=spl if math.isfinite(spl) else None, shared_with=others))
        elif room < problem.headroom_db:
            notes.append(note("short-headroom", **common))
    return notes


def _miss_reason(problem: Problem, final: Candidate, i: int) -> tuple[MissReason, str | None]:
    """Why listener ``i`` is off target, and the knob that says so."""
    who = problem.listeners[i]
    spl = float(final.figures.spl_db[i])
    knobs = problem.path_knobs[who]
    own = problem.adjust[who]
    shared = problem.shared_knob(who)
    nearest = own or problem.nearest(knobs)
    if not math.isfinite(spl):
        return "no-program", None
    if nearest is None:
        return "no-knob", None
    if spl > problem.targets[who]:
        return ("floor", own) if own else ("shared-knob", shared)
    if all(final.positions[k] >= FULL_UP for k in knobs):
        return "full-gain", nearest
    # more level raises every stage on the path by as much: clipping, if the worst
    # headroom on it would fall below the required
    short = problem.targets[who] - spl
    if final.figures.headroom_db[i] - short < problem.headroom_db or shared is None:
        return "headroom", nearest
    return "shared-knob", shared


def trade_off(problem: Problem, final: Candidate, seen: list[Candidate], ev: Evaluation
              ) -> tuple[list[TuneNote], tuple[ComparisonRow, ...]]:
    """How the first searched knob trades hiss across its feasible range (figures from ev)."""
    if not problem.searched:
        return [note("own-knobs-only")], ()
    key = problem.searched[0]
    others = [k for k in problem.searched if k != key]
    along = [c for c in seen if all(abs(c.positions[k] - final.positions[k]) < 1e-9
                                     for k in others)]
    feasible = sorted((c for c in along if c.feasible), key=lambda c: c.positions[key])
    if not feasible:
        cause = "headroom" if any(not any(c.missed) for c in along) else "targets"
        return [note("no-feasible-setting", knob=key, headroom_db=problem.headroom_db,
                     cause=cause)], ()
    worst_now = max(lf.noise_spl_dba for lf in ev.listeners)
    cases = (final, feasible[0], feasible[-1])
    return (_range_notes(problem, key, cases, worst_now),
            _comparison(problem, key, cases, worst_now))


def _comparison(problem: Problem, key: str, cases: tuple[Candidate, Candidate, Candidate],
                worst_now: float) -> tuple[ComparisonRow, ...]:
    """The tuned setting and the ends of the searched knob's feasible range, side by side."""
    final, lo, hi = cases
    role: KnobRole = "shared" if key in problem.shared else "upstream"
    rows: tuple[tuple[CaseName, Candidate, float], ...] = (
        ("tuned", final, worst_now), ("lowest", lo, lo.worst_noise),
        ("highest", hi, hi.worst_noise))
    shown = problem.searched + problem.own_knobs
    return tuple(
        ComparisonRow(case, role, MappingProxyType(
            {k: round(c.positions[k], WRITE_DECIMALS) for k in shown}), noise)
        for case, c, noise in rows)


def _range_notes(problem: Problem, key: str, cases: tuple[Candidate, Candidate, Candidate],
                 worst_now: float) -> list[TuneNote]:
    """``tuned``, the ``alternative`` ends of the feasible range and the ``trade-off``."""
    final, lo, hi = cases
    own = problem.own_knobs
    notes = [note("tuned", knobs={k: final.positions[k] for k in problem.searched + own},
                  worst_noise_spl_dba=worst_now)]
    at_key = final.positions[key]
    for direction, c, far in (("higher", hi, hi.positions[key] - at_key),
                              ("lower", lo, at_key - lo.positions[key])):
        if far > SAME_POSITION:
            vals = [c.positions[k] for k in own]
            notes.append(note("alternative", knob=key, direction=direction,
                              position=c.positions[key], own_min=min(vals, default=None),
                              own_max=max(vals, default=None), worst_noise_spl_dba=c.worst_noise,
                              more_db=c.worst_noise - worst_now))
    gain_db = hi.worst_noise - worst_now
    notes.append(note("trade-off", knob=key, position=at_key, highest=hi.positions[key],
                       gain_db=gain_db, verdict=seed_verdict(at_key, hi.positions[key], gain_db)))
    return notes


def seed_verdict(position: float, highest: float, gain_db: float) -> Verdict:
    """Whether 'lower the interface, raise the amp' pays for the searched knob.

    ``holds`` when the tuned ``position`` is clearly below the ``highest`` feasible one and
    that saves at least :data:`ADVICE_MATTERS_DB` of hiss (``gain_db``); ``does-not-hold``
    when the tuned position is the top of the range; ``small`` otherwise.
    """
    if highest - position <= SAME_POSITION:
        return "does-not-hold"
    return "holds" if gain_db >= ADVICE_MATTERS_DB else "small"

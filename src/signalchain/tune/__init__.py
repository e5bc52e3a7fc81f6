"""``tune``: knob positions that put every listener at their target with the least hiss.

Every knob on a listener's path is a gain in a linear chain, so the program
level at each ear moves by exactly the knob's change in dB. A listener's path
is found from the rig's structure, whatever the knobs are set to: the stages
whose outputs reach their ears through the passive network, and every stage
upstream of those in the signal flow. The knob nearest each listener (their
own amp output) is solved in closed form for the target; every other knob on a
listener's path -- shared by several listeners (the interface's headphone
knob) or upstream of one listener's own knob -- is searched (coarse grid, then
whole percent) for the lowest worst-listener hiss that keeps every stage's
headroom.

The result is data: :class:`TuneResult` with :class:`TuneNote` s (why a target
cannot be reached, how the searched knob trades hiss, ...) and
:class:`ComparisonRow` s, all read from the same rounded setting that is
reported and written. The sentences are made in :mod:`signalchain.report.tune`.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from signalchain import thresholds as th
from signalchain.errors import RigTopologyError, error_at
from signalchain.evaluate import evaluate, stage_noise_v2
from signalchain.graph.compile import SignalGraph
from signalchain.graph.response import respond
from signalchain.recording import DEFAULT_RECORD_TARGET_DBFS, input_figures
from signalchain.tune.notes import ADVICE_MATTERS_DB, reach_notes, seed_verdict, trade_off
from signalchain.tune.result import (
    ComparisonRow,
    MissReason,
    NoteCode,
    TuneNote,
    TuneResult,
    Verdict,
)
from signalchain.tune.search import WRITE_DECIMALS, Problem

__all__ = ["ADVICE_MATTERS_DB", "ComparisonRow", "MissReason", "NoteCode", "TuneNote",
           "TuneResult", "Verdict", "input_gains", "seed_verdict", "tune"]


def input_gains(graph: SignalGraph, target_dbfs: float = DEFAULT_RECORD_TARGET_DBFS
                ) -> tuple[dict[str, float], list[TuneNote]]:
    """Gain knob positions that put each input's loudest talker at ``target_dbfs``.

    A preamp's gain changes only its own input's recording (and what direct monitoring
    takes from it), so each is set on its own, in closed form, before the monitoring knobs.
    """
    positions: dict[str, float] = {}
    notes: list[TuneNote] = []
    if not graph.preamps:
        return positions, notes
    knobs = dict(graph.knob_positions)
    inputs = input_figures(graph, respond(graph, knobs), knobs, stage_noise_v2(graph, knobs),
                           target_dbfs)
    for f in inputs:
        if f.target_position is None or not f.voices:
            continue
        position = round(f.target_position, WRITE_DECIMALS)
        positions[f.knob] = position
        loudest = max(f.voices, key=lambda v: v.average_dbfs)
        gain_db = min(f.target_gain_db or 0.0, f.gain_range_db)
        notes.append(TuneNote("input-gain", MappingProxyType({
            "input": f.id, "knob": f.knob, "position": position, "gain_db": gain_db,
            "talker": loudest.talker, "target_dbfs": target_dbfs,
            "average_dbfs": loudest.average_dbfs + gain_db - f.gain_db,
            "missing_db": f.missing_gain_db})))
    return positions, notes


def tune(graph: SignalGraph, target_spl_db: float = th.DEFAULT_TARGET_SPL_DB,
         listener_targets: Mapping[str, float] | None = None,
         headroom_db: float = th.DEFAULT_HEADROOM_DB,
         record_target_dbfs: float = DEFAULT_RECORD_TARGET_DBFS) -> TuneResult:
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
        Program level (1 kHz at −18 dBFS RMS) each listener should hear
        (:data:`~signalchain.thresholds.DEFAULT_TARGET_SPL_DB` by default).
    listener_targets : Mapping, optional
        Per-listener targets overriding ``target_spl_db``.
    headroom_db : float
        Required headroom: no stage may clip below ``0 dBFS − headroom_db``
        (:data:`~signalchain.thresholds.DEFAULT_HEADROOM_DB` by default).
    record_target_dbfs : float
        The recording inputs' gains are set first, for the loudest talker's average speech
        at this level (−18 dBFS by default; :func:`input_gains`).

    Returns
    -------
    TuneResult
        The positions (each listener's own knob to 0.1 %, searched knobs to whole percent),
        the simulation there, and the notes behind them.

    Raises
    ------
    RigTopologyError
        If the rig has no listeners.
    """
    if not graph.built.listeners:
        raise RigTopologyError([error_at("the rig has no listeners (headphones) to tune for",
                                         graph.built.rig.location("devices"),
                                         hint="add headphones under 'devices:' and plug them "
                                         "in", code="no-listeners")])
    targets = {who: target_spl_db for who in graph.built.listeners}
    targets.update(listener_targets or {})
    gains, gain_notes = input_gains(graph, record_target_dbfs)
    problem = Problem(graph, targets, headroom_db, gains)
    best, seen = problem.search()
    tuned_keys = sorted({k for ks in problem.path_knobs.values() for k in ks})
    # what is reported, printed and written: the searched knobs are on the whole-percent
    # grid already; each listener's own knob to the write step
    final_positions = {**gains, **{k: round(best.positions[k], WRITE_DECIMALS)
                                   for k in tuned_keys}}
    final = problem.score({**best.positions, **final_positions})
    ev = evaluate(graph, final_positions, record_target_dbfs)
    notes = reach_notes(problem, final)
    trade, comparison = trade_off(problem, final, seen, ev)
    # the same count simulate prints: the listeners' device assumptions and the environment's
    n_assumed = len({a for lf in ev.listeners for a in lf.assumptions}) + len(ev.assumptions)
    if n_assumed:
        trade.append(TuneNote("assumptions", MappingProxyType(
            {"count": n_assumed, "rig_file": graph.built.rig.doc.filename})))
    return TuneResult(final_positions, targets, headroom_db, final.feasible, ev,
                      (*gain_notes, *notes, *trade), comparison)

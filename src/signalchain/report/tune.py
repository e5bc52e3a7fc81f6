"""``tune`` for people and programs: the explanation's sentences, the tables and the JSON.

Every sentence is made from a :class:`~signalchain.tune.TuneNote` (a code and its numbers);
nothing here computes a figure.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from rich.console import Console
from rich.table import Table

from signalchain import thresholds as th
from signalchain.evaluate import worst_headroom
from signalchain.refs import KnobRef
from signalchain.report.common import cells, level_text
from signalchain.report.simulate import evaluation_json
from signalchain.tune import ADVICE_MATTERS_DB, ComparisonRow, TuneNote, TuneResult
from signalchain.units import clock_position

Data = Mapping[str, Any]

SEED_ADVICE = "The seed article's advice ('lower the interface, raise the amp')"
NOTICEABLE_DB = 0.05
"""A hiss difference below this (dB) is 'no better' rather than 'more'."""


def format_knob(position: float) -> str:
    """A knob position as printed everywhere (table and explanation): whole percent."""
    return f"{position:.0%}"


def _own_range(d: Data) -> str:
    """The listeners' own knobs in one alternative: ``74%–97%``, ``74%`` or ``—``."""
    if d["own_min"] is None:
        return "—"
    lo, hi = format_knob(d["own_min"]), format_knob(d["own_max"])
    return lo if lo == hi else f"{lo}–{hi}"


def _names(ids: tuple[str, ...]) -> str:
    return ids[0] if len(ids) == 1 else ", ".join(ids[:-1]) + f" and {ids[-1]}"


_REASONS: dict[str, Callable[[Data], str]] = {
    "no-program": lambda d: "no program reaches them: nothing on their path is fed by the "
                            "computer",
    "no-knob": lambda d: f"it gets {d['spl_db']:.1f} dB SPL and no knob on its path sets its "
                         "level",
    "full-gain": lambda d: f"with {d['knob']} fully up it reaches {d['spl_db']:.1f} dB SPL — "
                           "the amp's gain and the headphones' sensitivity limit it",
    "headroom": lambda d: f"it reaches {d['spl_db']:.1f} dB SPL before {d['stage']} runs out "
                          f"of the required {d['headroom_db']:g} dB headroom (clipping limits "
                          "it)",
    "floor": lambda d: f"even with its knob at the bottom it gets {d['spl_db']:.1f} dB SPL; the "
                       "shared knob sets a floor" if d["shared_with"] else
                       f"even with its knob ({d['knob']}) at the bottom it gets "
                       f"{d['spl_db']:.1f} dB SPL",
    "shared-knob": lambda d: f"{d['knob']} also sets the level of {_names(d['shared_with'])}, "
                             "and no one setting of it puts all of them at their targets: it "
                             f"gets {d['spl_db']:.1f} dB SPL",
}


def _alternative(d: Data) -> str:
    knob, where = d["knob"], format_knob(d["position"])
    if d["direction"] == "higher":
        return (f"With {knob} at {where} instead (and the listeners' knobs lowered to "
                f"{_own_range(d)}) the worst hiss would be {d['worst_noise_spl_dba']:.1f} dBA, "
                f"{d['more_db']:.1f} dB more.")
    why = ("lowering it further adds more of the later stages' own hiss than it removes."
           if d["more_db"] > NOTICEABLE_DB else "no better.")
    return (f"With {knob} at {where} (listeners' knobs raised to {_own_range(d)}) it would be "
            f"{d['worst_noise_spl_dba']:.1f} dBA, {d['more_db']:.1f} dB more: {why}")


def _trade_off(d: Data) -> str:
    knob = d["knob"]
    if d["verdict"] == "holds":
        return (f"{SEED_ADVICE} holds here: backing {knob} off from "
                f"{format_knob(d['highest'])} to {format_knob(d['position'])} and raising the "
                f"amp lowers the hiss by {d['gain_db']:.1f} dB.")
    if d["verdict"] == "does-not-hold":
        return (f"{SEED_ADVICE} does not hold for this gear: {knob} is best near the top of its "
                f"usable range, because the amp after it hisses more than "
                f"{KnobRef(knob).device} does.")
    return (f"Lowering {knob} and raising the amp changes the hiss by less than "
            f"{ADVICE_MATTERS_DB:g} dB here ({d['gain_db']:.1f} dB), so the seed article's "
            "advice makes little difference with this gear.")


def _no_feasible(d: Data) -> str:
    if d["cause"] == "headroom":
        return (f"No setting of {d['knob']} lets every listener reach the target with "
                f"{d['headroom_db']:g} dB headroom; the closest is shown.")
    return (f"No setting of {d['knob']} puts every listener at their target, whatever the "
            "headroom; the closest is shown.")


def _assumptions(d: Data) -> str:
    rig = d["rig_file"] if d["rig_file"].endswith((".yaml", ".yml")) else "RIG"
    return (f"These figures rest on {d['count']} assumed values (e.g. output noise no "
            f"manufacturer publishes): 'signalchain simulate {rig}' lists them, and its --json "
            "output has them in its 'assumptions' lists.")


_TEXT: dict[str, Callable[[Data], str]] = {
    "cannot-reach": lambda d: f"{d['listener']} cannot reach {d['target_spl_db']:g} dB SPL: "
                              + _REASONS[d["reason"]](d),
    "short-headroom": lambda d: f"{d['listener']} reaches {d['target_spl_db']:g} dB SPL only "
                                f"with {d['stage']} at {d['stage_headroom_db']:.1f} dB "
                                f"headroom, less than the required {d['headroom_db']:g} dB",
    "own-knobs-only": lambda d: "No knob is shared between listeners or sits upstream of a "
                                "listener's own: each listener's own knob is set for their "
                                "target.",
    "no-feasible-setting": _no_feasible,
    "tuned": lambda d: "Tuned: " + ", ".join(f"{k} {format_knob(v)}"
                                             for k, v in d["knobs"].items())
                       + f" — worst hiss {d['worst_noise_spl_dba']:.1f} dBA with every listener "
                       "at target.",
    "alternative": _alternative,
    "trade-off": _trade_off,
    "assumptions": _assumptions,
    "input-gain": lambda d: (
        f"{d['input']}: {d['knob']} at {format_knob(d['position'])} ({d['gain_db']:.1f} dB) "
        f"puts {d['talker']}'s average speech at {d['average_dbfs']:.1f} dBFS"
        + (f", {d['missing_db']:.1f} dB short of {d['target_dbfs']:g} dBFS at full gain "
           "(speak closer, or add an inline booster)" if d["missing_db"] > 0 else
           f" (the target: {d['target_dbfs']:g} dBFS)")),
}


def note_text(note: TuneNote) -> str:
    """One note as an English sentence."""
    return _TEXT[note.code](note.data)


def explanation_lines(result: TuneResult) -> list[str]:
    """The explanation of a tune result, one sentence per note."""
    return [note_text(n) for n in result.notes]


def print_tune(console: Console, result: TuneResult) -> None:
    """Print tune's knob settings, the predicted figures and the explanation."""
    ev = result.evaluation
    physical = {c.knob: c.physical for lf in ev.listeners for c in lf.volume_controls}
    table = Table(title="knob settings", title_justify="left")
    for col in ("knob", "position", "on the dial"):
        table.add_column(col)
    for key, pos in result.knobs.items():
        dial = clock_position(pos) if physical.get(KnobRef(key), True) else "software"
        table.add_row(*cells(key, format_knob(pos), dial))
    console.print(table)
    by_stage = {s.id: (s.headroom_db, s.limit) for s in ev.stages}
    rows = Table(title="predicted at these settings", title_justify="left")
    for col in ("listener", "target", "program", "hiss", "hum", "headroom"):
        rows.add_column(col)
    for lf in ev.listeners:
        room, stage = worst_headroom(by_stage, lf.path_ids)
        rows.add_row(*cells(lf.id, f"{result.targets[lf.id]:g} dB SPL",
                            (f"{lf.program_spl_db:.1f} dB SPL" if lf.program_spl_db > -1e9
                             else "no program"),
                            level_text(lf.noise_spl_dba, th.HISS_AUDIBLE_DBA, "dBA"),
                            level_text(lf.hum_spl_dba, th.HUM_AUDIBLE_DBA, "dBA"),
                            f"{room:.1f} dB" if stage is not None else "—"))
    console.print(rows)
    console.print("[green]all targets met[/green]" if result.feasible else
                  "[red]not every target can be met[/red]")
    for line in explanation_lines(result):
        console.print(f"• {line}", markup=False)


def comparison_json(row: ComparisonRow) -> dict[str, Any]:
    """One comparison row as in ``tune --json``."""
    return {"case": "tuned" if row.case == "tuned" else f"{row.role} knob {row.case}",
            "knobs": {k: round(v, 3) for k, v in row.knobs.items()},
            "worst_noise_spl_dba": round(row.worst_noise_spl_dba, 1)}


def tune_json(result: TuneResult) -> dict[str, Any]:
    """The ``tune --json`` object.

    The knobs, feasibility, simulate's figures at the knobs, the explanation and the
    comparison, after ``"signalchain": 1``.
    """
    sim = evaluation_json(result.evaluation)
    targets = set(result.targets.values())
    return {
        "signalchain": 1,
        "knobs": {k: round(v, 2) for k, v in result.knobs.items()},
        "target_spl_db": targets.pop() if len(targets) == 1 else dict(result.targets),
        "targets": dict(result.targets), "headroom_db": result.headroom_db,
        "feasible": result.feasible, "listeners": sim["listeners"], "stages": sim["stages"],
        "explanation": explanation_lines(result),
        "comparison": [comparison_json(r) for r in result.comparison],
        "assumptions": sim["assumptions"],
    }

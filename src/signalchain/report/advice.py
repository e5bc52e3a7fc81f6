"""``advise`` for people and programs: the ranked methods, their pros and cons, as text and JSON.

Every sentence about a method is made here from its data: :func:`point_text` for pros,
cons and verdict reasons (:class:`~signalchain.advise.Point`), :func:`skipped_text` for what
could not be built, :func:`bom_note_text` for the BOM's notes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from signalchain.advise import Advice, Method, Point, Skipped
from signalchain.bom import BomItem, BomNote
from signalchain.report.common import cells, named
from signalchain.report.tables import add_columns, new_table

RANKING_TEXT = {
    "quality": "1 point per dB of worst-listener hiss at the target level, 1 per item to buy, "
               "3 for no physical master knob, 0.5 for occupying the line outputs",
    "convenience": "10 points for no physical master knob, 4 per item to buy, 2 for occupying "
                   "the line outputs (studio monitors), 0.3 per dB of hiss",
}
"""How each priority scores a method, in words (the points are ``advise.WEIGHTS``)."""


def _r(x: float | None, nd: int = 1) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), nd)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def _who(device_id: str, name: str) -> str:
    return named(device_id, name.strip())


def _items(items: tuple[tuple[int, str], ...]) -> str:
    return ", ".join(f"{n}× {item}" for n, item in items)


def ranking_text(priority: str) -> str:
    """How ``priority`` scores a method, in words."""
    return RANKING_TEXT[priority]


# ---------------------------------------------------------------------------------------------
# points


def _hiss(d: Mapping[str, Any]) -> str:
    line = (f"worst hiss {d['noise_spl_dba']:.1f} dBA at {d['target_spl_db']:g} dB SPL, for "
            f"{_who(d['listener'], d['name'])}")
    return line + {
        "tied": " — tied for quietest", "quietest": " — the quietest option",
        "close": f", {d['more_db']:.1f} dB more than the quietest", "even": "",
        "behind": f", {d['more_db']:.1f} dB more than the quietest option"}[d["standing"]]


def _off_target(d: Mapping[str, Any]) -> str:
    who, off = _who(d["listener"], d["name"]), d["off_db"]
    if not math.isfinite(off):
        return f"{who} gets no program"
    return (f"{who} gets {d['level_spl_db']:.1f} dB SPL, {abs(off):.1f} dB "
            f"{'below' if off < 0 else 'above'} the {d['target_spl_db']:g} dB SPL target")


def _shared(d: Mapping[str, Any]) -> str:
    who = " and ".join(_who(w, n) for w, n in d["listeners"])
    return (f"{who} share {d['output']} through a Y splitter: one knob for "
            f"{len(d['listeners'])}, sensitivities {d['spread_db']:.1f} dB apart")


def _own_knob(d: Mapping[str, Any]) -> str:
    if d["listeners"] == d["of"]:
        return "each listener has their own physical knob"
    return f"{d['listeners']} of {d['of']} listeners have their own physical knob"


def _behind(d: Mapping[str, Any]) -> str:
    diffs = ", ".join(f"{k.replace('_', ' ')} {v:+.1f}" for k, v in d["differences"])
    return (f"{d['points']:.1f} points behind '{d['method']}' under '{d['priority']}' "
            f"({diffs or 'a tie broken by order'})")


_POINTS: dict[str, Callable[[Mapping[str, Any]], str]] = {
    "stereo": lambda d: "stereo: L in the left ear, R in the right, in phase",
    "physical-master": lambda d: f"physical master volume: {', '.join(d['knobs'])} sets the "
                                 "level for everyone",
    "line-outputs-knob": lambda d: f"{', '.join(d['knobs'])} is a physical knob on the line "
                                   "outputs, so the seed article's 'no physical volume knob' "
                                   "does not apply to this interface",
    "own-knob": _own_knob,
    "hiss": _hiss,
    "in-box": lambda d: "in the box with the headphones: " + _items(d["items"]),
    "bad-signal": lambda d: f"{d['code']}: {d['finding'].message if d['finding'] else ''}",
    "no-master-knob": lambda d: "no physical master knob: the interface output used here has "
                                "no knob, so the overall level is software only "
                                f"({d['knob']}), as the seed article warns",
    "line-outputs-used": lambda d: "occupies the interface's line outputs (normally the studio "
                                   "monitors')",
    "shared-output": _shared,
    "hiss-audible": lambda d: f"hiss is audible in a quiet room (≥ {d['threshold_dba']:g} dBA)",
    "hum-audible": lambda d: f"hum {d['hum_spl_dba']:.1f} dBA is audible",
    "off-target": _off_target,
    "short-headroom": lambda d: f"{d['stage']} has {d['headroom_db']:.1f} dB headroom, less "
                                f"than the {d['asked_db']:g} dB asked",
    "to-buy": lambda d: f"{_plural(sum(n for n, _i in d['items']), 'item')} to buy or find: "
                        + _items(d["items"]),
    "bad-signals": lambda d: ", ".join(d["codes"]),
    "not-stereo": lambda d: "not stereo for every listener",
    "listeners-off-target": lambda d: f"{_plural(d['listeners'], 'listener')} more than "
                                      f"{d['tolerance_db']:g} dB from the "
                                      f"{d['target_spl_db']:g} dB SPL target",
    "stages-short": lambda d: f"less than {d['headroom_db']:g} dB headroom at "
                              + ", ".join(d["stages"]),
    "best": lambda d: f"best under priority '{d['priority']}'",
    "behind": _behind,
}


def point_text(point: Point) -> str:
    """A pro, con or verdict reason in English."""
    return _POINTS[point.code](point.data)


# ---------------------------------------------------------------------------------------------
# what could not be built


def _too_few(d: Mapping[str, Any]) -> tuple[str, str]:
    if d.get("pairing"):
        return "not enough Y splitters for this pairing", ""
    what = "output" if d["amp"] else "headphone output"
    n, more = d["listeners"], d["listeners"] - d["outputs"] - d["extra"]
    have = ("there is no Y splitter" if not d["splitters"] else
            f"the rig's {_plural(d['splitters'], 'Y splitter')} take only {d['extra']} more")
    return (f"{n} listeners but {d['device']} has {_plural(d['outputs'], what)} and {have}",
            f"add {more} more Y splitter{'s' * (more != 1)} (e.g. splitter/y-6.35) to the "
            f"rig's devices, or use {'an' if d['amp'] else 'a headphone'} amp with {n} "
            "outputs")


def _no_output(d: Mapping[str, Any]) -> tuple[str, str]:
    who = _who(d["device"], d["name"])
    if d["what"] == "program":
        return f"{who} has no output that carries program (an 'out' port with 'feeds')", ""
    if d["amp"]:
        return f"{who} has no stereo output for headphones", ""
    return (f"{who} has no stereo headphone output for headphones and the rig has no amp",
            "add a headphone amp to the rig's devices")


def _plug(d: Mapping[str, Any]) -> tuple[str, str]:
    if "socket" in d:
        return f"no Y splitter's plug fits {d['socket']} (even with an adapter)", ""
    return (f"{_who(d['listener'], d['name'])}'s {d['connector']} {d['gender']} fits no "
            f"{d['socket_connector']} output of {d['device']}, even with an adapter", "")


_SKIPPED: dict[str, Callable[[Mapping[str, Any]], tuple[str, str]]] = {
    "too-few-outputs": _too_few,
    "no-output": _no_output,
    "plug-does-not-fit": _plug,
    "no-usb-port": lambda d: (f"{_who(d['device'], d['name'])} has no USB port for "
                              f"{d['computer']}, so no program reaches it", ""),
    "no-input": lambda d: (
        (f"{_who(d['device'], d['name'])} has no recording input left for {d['mic']}",
         "use an interface with more inputs, or fewer microphones") if "mic" in d else
        (f"{_who(d['device'], d['name'])} has no input (an 'in' port with 'senses')", "")),
    "no-cable": lambda d: ("no catalog cable (with at most one adapter per end) joins "
                           f"{d['interface']}'s outputs to {d['amp']}'s inputs", ""),
    "build-failed": lambda d: (f"{d['method']}: {d['error']}", ""),
    "same-as": lambda d: (f"{d['device']} is the same as {d['same_as']} (model, knobs and "
                          f"outlet), so its methods would be {d['same_as']}'s: only "
                          f"{d['same_as']} is tried", ""),
}


def skipped_text(skipped: Skipped) -> tuple[str, str]:
    """What could not be done, and the likely fix (may be empty)."""
    return _SKIPPED[skipped.code](skipped.data)


def bom_note_text(note: BomNote) -> str:
    """A BOM note: a cable's length, or whose headphones an adapter is for."""
    name = f" ({note.name})" if note.name.strip() else ""
    if note.code == "in-box":
        return f"comes with {note.device}'s headphones{name}"
    if note.code == "for-plug":
        return f"for {note.device}'s plug{name}"
    return note.length


def rig_header(advice: Advice, method: Method) -> str:
    """The comment at the top of a rig file ``advise --write-rig`` writes for ``method``."""
    return (f"Written by 'signalchain advise' ({advice.priority}): {method.name}\n"
            f"verdict: {method.verdict} — {point_text(method.reason)}")


# ---------------------------------------------------------------------------------------------
# JSON


def bom_json(item: BomItem) -> dict[str, Any]:
    """A BOM item as in ``advise --json``."""
    return {"item": item.item, "name": item.name, "count": item.count, "in_box": item.in_box,
            "to_buy": item.to_buy, "notes": [bom_note_text(n) for n in item.notes]}


def skipped_json(skipped: Skipped) -> dict[str, Any]:
    """What could not be built, as in ``advise --json``."""
    message, hint = skipped_text(skipped)
    return {"devices": list(skipped.devices), "code": skipped.code, "message": message,
            "hint": hint}


def method_json(m: Method) -> dict[str, Any]:
    """A method as in ``advise --json``."""
    f = m.facts
    master = [{"knob": c.knob, "physical": c.physical} for c in f.volume.master]
    volume = {"master": master or [{"knob": None, "physical": False}],
              "per_listener": {w: list(ks) for w, ks in f.volume.per_listener.items()}}
    return {"name": m.name, "connections": [dict(c) for c in m.connections],
            "bom": [bom_json(i) for i in m.bom], "stereo": f.stereo, "volume": volume,
            "knobs": dict(m.tuned.knobs), "noise_spl_dba": _r(f.noise_spl_dba),
            "hum_spl_dba": _r(f.hum_spl_dba),
            "levels_spl_db": {k: _r(v) for k, v in f.levels_spl_db.items()},
            "shared_outputs": {k: list(v) for k, v in m.shared_outputs.items()},
            "unused_devices": list(m.unused), "pros": [point_text(p) for p in m.pros],
            "cons": [point_text(c) for c in m.cons], "verdict": m.verdict,
            "reason": point_text(m.reason), "score": _r(m.score, 2),
            "score_breakdown": {k: _r(v, 2) for k, v in m.breakdown.items()}}


def advice_json(advice: Advice) -> dict[str, Any]:
    """``advise --json``: the options, the ranked methods and what could not be built."""
    return {"signalchain": 1, "priority": advice.priority,
            "ranking": ranking_text(advice.priority), "target_spl_db": advice.target_spl_db,
            "length_m": round(advice.length_m, 3),
            "methods": [method_json(m) for m in advice],
            "skipped": [skipped_json(s) for s in advice.skipped]}


# ---------------------------------------------------------------------------------------------
# rich text


ADVICE_HEADER = ("#", "verdict", "method", "stereo", "master volume", "worst hiss", "to buy")


def advice_rows(advice: Advice) -> list[tuple[str, ...]]:
    """Advise's ranking as text cells (:data:`ADVICE_HEADER`), best first."""
    rows: list[tuple[str, ...]] = []
    for i, m in enumerate(advice, 1):
        master = ", ".join(f"{c.knob}{'' if c.physical else ' (software)'}"
                           for c in m.facts.volume.master)
        rows.append((str(i), m.verdict, m.name, "yes" if m.facts.stereo else "no", master,
                     f"{m.facts.noise_spl_dba:.1f} dBA", str(m.facts.to_buy)))
    return rows


def _table(advice: Advice) -> Table:
    table = new_table()
    rows = advice_rows(advice)
    add_columns(table, ADVICE_HEADER, rows, no_wrap=("#", "verdict", "to buy"))
    for m, row in zip(advice, rows, strict=True):
        style = {"recommended": "green", "not-recommended": "red"}.get(m.verdict, "")
        table.add_row(*cells(*row), style=style)
    return table


def _lines(m: Method) -> list[str]:
    lines = [f"   + {point_text(p)}" for p in m.pros]
    lines += [f"   − {point_text(c)}" for c in m.cons]
    if m.unused:
        lines.append(f"   leaves unused: {', '.join(m.unused)}")
    knobs = ", ".join(f"{k} {v:.0%}" for k, v in m.tuned.knobs.items())
    lines.append(f"   knobs: {knobs}")
    return lines


def print_advice(console: Console, advice: Advice) -> None:
    """Print advise's ranked methods with their facts, pros and cons (and what was skipped)."""
    console.print(Text.assemble(("Ways to connect this gear", "bold"),
                                f", ranked by {advice.priority}: "
                                f"{ranking_text(advice.priority)}"))
    if advice.methods:
        names = advice.methods[0].facts.listeners
        console.print("listeners: " + ", ".join(named(w, n) for w, n in names.items()),
                      markup=False, highlight=False)
    console.print(_table(advice))
    for i, m in enumerate(advice, 1):
        console.print(Text.assemble((f"{i}. {m.name}", "bold"),
                                    f" — {m.verdict}: {point_text(m.reason)}"))
        for line in _lines(m):
            console.print(line, markup=False, highlight=False)
    for s in advice.skipped:
        console.print(f"not possible: {skipped_text(s)[0]}", markup=False, highlight=False)


__all__ = ["RANKING_TEXT", "advice_json", "bom_json", "bom_note_text", "method_json",
           "point_text", "print_advice", "ranking_text", "rig_header", "skipped_json",
           "skipped_text"]

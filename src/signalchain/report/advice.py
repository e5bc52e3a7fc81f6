"""``advise`` for people: the ranked methods with their facts, pros and cons."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from signalchain.report.common import cells, named


def describe_advice(console: Console, methods: list[Any], priority: str, ranking: str) -> None:
    """Print advise's ranked methods with their facts, pros and cons (and what was skipped)."""
    console.print(Text.assemble(("Ways to connect this gear", "bold"),
                                f", ranked by {priority}: {ranking}"))
    if methods:
        names = methods[0].facts.get("listeners", {})
        console.print("listeners: " + ", ".join(named(w, n) for w, n in names.items()),
                      markup=False, highlight=False)
    table = Table(title_justify="left")
    for col in ("#", "verdict", "method", "stereo", "master volume", "worst hiss", "to buy"):
        table.add_column(col, overflow="fold")
    for i, m in enumerate(methods, 1):
        master = ", ".join(f"{c['knob']}{'' if c['physical'] else ' (software)'}"
                           for c in m.facts["volume"]["master"])
        style = {"recommended": "green", "not-recommended": "red"}.get(m.verdict, "")
        table.add_row(*cells(i, m.verdict, m.name, "yes" if m.facts["stereo"] else "no",
                              master, f"{m.facts['noise']:.1f} dBA", m.facts["to_buy"]),
                      style=style)
    console.print(table)
    for i, m in enumerate(methods, 1):
        verdict = f"{m.verdict}: {m.reason}" if m.reason else m.verdict
        console.print(Text.assemble((f"{i}. {m.name}", "bold"), f" — {verdict}"))
        for p in m.pros:
            console.print(f"   + {p}", markup=False, highlight=False)
        for c in m.cons:
            console.print(f"   − {c}", markup=False, highlight=False)
        if m.unused:
            console.print(f"   leaves unused: {', '.join(m.unused)}", markup=False,
                          highlight=False)
        knobs = ", ".join(f"{k} {v:.0%}" for k, v in m.tuned.knobs.items())
        console.print(f"   knobs: {knobs}", markup=False, highlight=False)
    for s in getattr(methods, "skipped", []):
        console.print(f"not possible: {s.message}", markup=False, highlight=False)

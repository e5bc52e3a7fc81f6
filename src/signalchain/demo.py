"""``signalchain demo``: run the bundled example rigs (the seed articles' methods).

For every example it checks the wiring and simulates what each listener
hears, then sums up what that says about the seed articles' claims.
"""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

from rich.console import Console
from rich.table import Table

from signalchain.api import check_rig
from signalchain.errors import OutputExistsError, error_at
from signalchain.evaluate import Evaluation, evaluate
from signalchain.graph import compile_rig
from signalchain.io import write_text_atomic


def example_paths() -> list[Path]:
    """The bundled example rigs, in order."""
    root = Path(str(resources.files("signalchain") / "examples"))
    return sorted(root.glob("*.yaml"))


def _ear_text(ev: Evaluation, listener: str, side: str) -> str:
    lf = ev.listener(listener)
    ear = lf.ears[side]
    best = {}
    for e in lf.ears.values():
        for c in e.program:
            best[c.channel] = max(best.get(c.channel, c.spl_db), c.spl_db)
    parts = [f"{c.channel}{'' if c.polarity > 0 else '(−)'} {c.spl_db:.0f}"
             for c in ear.program if c.spl_db >= best[c.channel] - 40]
    return ", ".join(parts) or "silent"


def run_demo(console: Console, out_dir: Path | None = None, force: bool = False) -> list[
        Evaluation]:
    """Check and simulate every bundled example; print a summary; optionally write JSON."""
    if out_dir is not None and out_dir.exists() and any(out_dir.iterdir()) and not force:
        raise OutputExistsError([error_at(f"{out_dir} exists and is not empty", hint="choose "
                                          "another --out or pass --force", code="exists")])
    results = []
    table = Table(title="signalchain demo: the seed articles' methods, simulated",
                  title_justify="left")
    for col in ("example", "listener", "left ear (dB SPL)", "right ear (dB SPL)", "hiss dBA",
                "warnings"):
        table.add_column(col, overflow="fold")
    for path in example_paths():
        built = check_rig(path)
        ev = evaluate(compile_rig(built))
        results.append(ev)
        for i, lf in enumerate(ev.listeners):
            codes = ", ".join(w.code for w in lf.warnings) or "—"
            table.add_row(path.stem if i == 0 else "", lf.id, _ear_text(ev, lf.id, "left"),
                          _ear_text(ev, lf.id, "right"), f"{lf.noise_spl_dba:.1f}", codes)
        table.add_section()
        if out_dir is not None:
            write_text_atomic(out_dir / f"{path.stem}.json",
                              json.dumps(ev.to_json(), indent=2) + "\n", force=True)
    console.print(table)
    console.print("Reference program: 1 kHz at −18 dBFS per channel; (−) = inverted polarity. "
                  "Run 'signalchain simulate <example>' for the full figures and the assumed "
                  "values behind them.")
    for path in example_paths():
        console.print(f"  {path}", markup=False, highlight=False)
    return results

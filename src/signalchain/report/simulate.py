"""``check`` and ``simulate`` for people (rich tables) and programs (the JSON contract)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from signalchain import thresholds as th
from signalchain.findings import Finding
from signalchain.report.common import cells, level_text, named
from signalchain.report.messages import assumption_text, finding_text, limit_text
from signalchain.report.tables import add_columns, new_table
from signalchain.results import Evaluation, ListenerFigures
from signalchain.wiring.build import BuiltRig

if TYPE_CHECKING:
    from signalchain.rig import CheckResult


def _num(x: float | None, nd: int = 1) -> float | None:
    """A figure for JSON: rounded, and null when absent or not finite (no -inf in JSON)."""
    if x is None or not math.isfinite(x):
        return None
    return round(float(x), nd)


def finding_json(f: Finding) -> dict[str, Any]:
    """A finding as in every command's JSON: ``{code, severity, message}``."""
    return {"code": f.code, "severity": f.severity, "message": finding_text(f)}


def check_json(rig_name: str, result: CheckResult, failed: Sequence[Finding] = ()
               ) -> dict[str, Any]:
    """``check --json`` of a rig that plugs together (``failed``: what ``--fail-on`` chose)."""
    return {"signalchain": 1, "valid": True, "rig": rig_name,
            "listeners": list(result.listeners), "feeds": dict(result.feeds),
            "findings": [finding_json(f) for f in result.findings],
            "failed": [finding_json(f) for f in failed]}


def assumptions_of(ev: Evaluation) -> list[str]:
    """Every assumption the evaluation rests on, as sentences, without repeats."""
    return sorted({assumption_text(a) for lf in ev.listeners for a in lf.assumptions}) + [
        assumption_text(a) for a in ev.assumptions]


def _listener_json(lf: ListenerFigures) -> dict[str, Any]:
    ears = {side: {"program": [{"channel": c.channel, "spl_db": _num(c.spl_db),
                                "polarity": c.polarity, "crosstalk": c.crosstalk}
                               for c in e.program],
                   "noise_spl_dba": _num(e.noise_spl_dba), "hum_spl_dba": _num(e.hum_spl_dba),
                   "noise_audible": e.noise_audible, "hum_audible": e.hum_audible}
            for side, e in lf.ears.items()}
    return {"id": lf.id, "name": lf.name, "device": lf.device, "feed": lf.feed, "ears": ears,
            "peak_spl_db": _num(lf.peak_spl_db), "clips_at_dbfs": _num(lf.clips_at_dbfs),
            "volume_controls": [{"knob": str(c.knob), "physical": c.physical}
                                for c in lf.volume_controls],
            "warnings": [finding_json(w) for w in lf.warnings],
            "assumptions": [assumption_text(a) for a in lf.assumptions]}


def evaluation_json(ev: Evaluation) -> dict[str, Any]:
    """The ``simulate --json`` object (docs/json.md)."""
    return {
        "signalchain": 1, "rig": ev.rig,
        "reference": {"program_dbfs_rms": th.REFERENCE_DBFS, "frequency_hz": 1000},
        "thresholds": {"hiss_audible_dba": th.HISS_AUDIBLE_DBA,
                       "hum_audible_dba": th.HUM_AUDIBLE_DBA,
                       "crosstalk_db": th.CROSSTALK_DB,
                       "channel_floor_db": th.CHANNEL_FLOOR_DB},
        "knobs": {k: round(v, 3) for k, v in ev.knobs.items()},
        "listeners": [_listener_json(lf) for lf in ev.listeners],
        "stages": [{"id": s.id, "headroom_db": _num(s.headroom_db),
                    "limited_by": limit_text(s.limit)} for s in ev.stages],
        "warnings": [finding_json(w) for w in ev.warnings],
        "assumptions": [assumption_text(a) for a in ev.assumptions],
    }


def print_check(console: Console, built: BuiltRig) -> None:
    """Print a checked rig: devices, connections, listeners and what feeds them."""
    console.print(built.rig.spec.name or "rig", style="bold", markup=False)
    table = Table(title="devices", title_justify="left")
    for col in ("name", "model", "kind", "power", "knobs"):
        table.add_column(col)
    for dev in built.devices.values():
        knobs = ", ".join(f"{k} {v:.0%}" for k, v in dev.knobs.items())
        table.add_row(*cells(named(dev.name, dev.spec.name), dev.model or "(inline)",
                             dev.spec.kind, dev.spec.power, knobs))
    console.print(table)
    console.print("[bold]connections[/bold]")
    for i, line in enumerate(built.links, 1):
        console.print(f"  {i}. {line}", markup=False)
    console.print("[bold]listeners[/bold]")
    for name in built.listeners:
        dev = built.devices[name]
        feed = built.feeds.get(name) or "nothing active"
        console.print(f"  {named(name, dev.spec.name)} ({dev.model or 'inline'}) ← {feed}",
                      markup=False)


def _program_cell(lf: ListenerFigures, side: str) -> str:
    """One ear's program cell: ``L 82.1 dB``, crosstalk and inverted polarity marked."""
    ear = lf.ears[side]
    if not ear.program:
        return "silent"
    parts = [] if lf.program_at(side) else ["no program"]
    for c in ear.program:
        notes = [] if c.polarity > 0 else ["inverted"]
        if c.crosstalk:
            notes.insert(0, "crosstalk")
        parts.append(f"{c.channel} {c.spl_db:.1f} dB" + (f" ({', '.join(notes)})" if notes
                                                           else ""))
    return ", ".join(parts)


LISTENER_HEADER = ("listener", "fed by", "ear", "program (dB SPL)", "hiss dBA", "hum dBA",
                   "clips at")


def listener_rows(ev: Evaluation) -> list[tuple[str, ...]]:
    """Simulate's per-ear table as text cells, one row per ear (:data:`LISTENER_HEADER`)."""
    rows: list[tuple[str, ...]] = []
    for lf in ev.listeners:
        first = True
        for side, ear in lf.ears.items():
            clip = "" if not first else (f"{lf.clips_at_dbfs:.1f} dBFS" if lf.clips_at_dbfs
                                         is not None else "—")
            rows.append((named(lf.id, lf.name) if first else "",
                         (lf.feed or "nothing") if first else "", side,
                         _program_cell(lf, side),
                         level_text(ear.noise_spl_dba, th.HISS_AUDIBLE_DBA),
                         level_text(ear.hum_spl_dba, th.HUM_AUDIBLE_DBA), clip))
            first = False
    return rows


def _listener_table(ev: Evaluation) -> Table:
    table = new_table("what each listener hears")
    rows = listener_rows(ev)
    add_columns(table, LISTENER_HEADER, rows, no_wrap=("ear", "clips at"))
    for row in rows:
        if row[0] and table.row_count:
            table.add_section()
        table.add_row(*cells(*row))
    return table


STAGE_HEADER = ("stage", "headroom", "limited by")


def stage_rows(ev: Evaluation) -> list[tuple[str, ...]]:
    """The headroom table as text cells (:data:`STAGE_HEADER`)."""
    return [(s.id, f"{s.headroom_db:+.1f} dB", limit_text(s.limit)) for s in ev.stages]


def _stage_table(ev: Evaluation) -> Table:
    st = new_table("headroom for a 0 dBFS sine")
    rows = stage_rows(ev)
    add_columns(st, STAGE_HEADER, rows, no_wrap=("headroom",))
    for s, row in zip(ev.stages, rows, strict=True):
        st.add_row(*cells(*row), style="red" if s.headroom_db < 0 else "")
    return st


def _print_assumptions(console: Console, ev: Evaluation, show: bool) -> None:
    notes = assumptions_of(ev)
    if not notes:
        return
    if show:
        console.print(f"These results rest on {len(notes)} assumed values:", style="dim")
        for a in notes:
            console.print(f"  - {a}", style="dim", markup=False)
    else:
        console.print(f"[dim]These results rest on {len(notes)} assumed values "
                      "(see 'simulate --json' or 'catalog show').[/dim]")


def print_evaluation(console: Console, ev: Evaluation, show_assumptions: bool = True) -> None:
    """Print simulate's figures: per listener and ear, stages, findings and assumptions."""
    console.print(Text.assemble((ev.rig or "rig", "bold"), " — reference program: 1 kHz sine "
                                "at −18 dBFS RMS per channel"))
    console.print(_listener_table(ev))
    if ev.stages:
        console.print(_stage_table(ev))
    for lf in ev.listeners:
        controls = ", ".join(f"{c.knob}{'' if c.physical else ' (software)'}"
                             for c in lf.volume_controls)
        model = f" [{lf.device}]" if lf.device != lf.id else ""
        console.print(Text.assemble((named(lf.id, lf.name), "bold"), f"{model} volume: "
                                    f"{controls}"))
        for w in lf.warnings:
            console.print(Text.assemble("  ", (w.code, "yellow"), f": {finding_text(w)}"))
    for w in ev.warnings:
        console.print(Text.assemble((w.code, "yellow"), f": {finding_text(w)}"))
    _print_assumptions(console, ev, show_assumptions)

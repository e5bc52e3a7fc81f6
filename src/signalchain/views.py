"""Rich tables and text for the CLI. No computation happens here."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from signalchain import thresholds as th
from signalchain.catalog.store import Catalog, Entry
from signalchain.schema.cable import CableSpec
from signalchain.schema.device import DeviceSpec
from signalchain.schema.provenance import classify, numeric_leaves
from signalchain.units import v_to_dbu
from signalchain.wiring.build import BuiltRig


def describe_built(console: Console, built: BuiltRig) -> None:
    """Print a checked rig: devices, connections, listeners and what feeds them."""
    spec = built.rig.spec
    console.print(spec.name or "rig", style="bold", markup=False)
    table = Table(title="devices", title_justify="left")
    for col in ("name", "model", "kind", "power", "knobs"):
        table.add_column(col)
    for dev in built.devices.values():
        knobs = ", ".join(f"{k} {v:.0%}" for k, v in dev.knobs.items())
        table.add_row(*_cells(_named(dev.name, dev.spec.name), dev.model or "(inline)",
                              dev.spec.kind, dev.spec.power, knobs))
    console.print(table)
    console.print("[bold]connections[/bold]")
    for i, line in enumerate(built.links, 1):
        console.print(f"  {i}. {line}", markup=False)
    console.print("[bold]listeners[/bold]")
    for name in built.listeners:
        dev = built.devices[name]
        feed = built.feeds.get(name) or "nothing active"
        console.print(f"  {_named(name, dev.spec.name)} ({dev.model or 'inline'}) ← {feed}",
                      markup=False)


def _cells(*values: object) -> list[Text]:
    """Table cells as plain text: names from rig files are never read as rich markup."""
    return [Text(str(v)) for v in values]


def _named(device_id: str, name: str) -> str:
    """A device id with its own name when it has one: ``carol (Carol's DIY cans)``."""
    return f"{device_id} ({name})" if name and name != device_id else device_id


def level_text(value: float, audible_from: float) -> str:
    """A hiss or hum level in dBA, labelled when it is below audibility (or absent)."""
    if value == float("-inf"):
        return "none"
    text = f"{value:.1f}"
    return text + " (inaudible)" if value < audible_from else text


def _summary(entry: Entry) -> str:
    if isinstance(entry, CableSpec):
        ends = " / ".join(f"{n}: {e.connector} {e.gender}" for n, e in entry.ends.items())
        return ends
    if entry.kind == "headphones" and entry.headphones:
        hp = entry.headphones
        sens = (f"{hp.sensitivity_db_per_v:g} dB/V" if hp.sensitivity_db_per_v is not None
                else f"{hp.sensitivity_db_per_mw:g} dB/mW")
        plug = next((p.connector for p in entry.ports.values() if p.captive), "")
        return f"{hp.z_ohm:g} Ω, {sens}, {plug} plug"
    parts = []
    for name, port in entry.ports.items():
        if port.direction == "out" and port.feeds is not None:
            level = (f"{v_to_dbu(port.v_rms_at_0dbfs):+.1f} dBu FS" if port.v_rms_at_0dbfs
                     else f"{port.gain_db:+g} dB")
            kind = port.topology if port.signal == "balanced" else port.signal
            parts.append(f"{name} ({kind}, {level})")
        elif port.direction == "in" and port.senses is not None:
            kind = port.topology if port.signal == "balanced" else port.signal
            parts.append(f"in {name} ({kind})")
    return "; ".join(parts[:4]) + (" …" if len(parts) > 4 else "")


def catalog_rows(catalog: Catalog, kind: str | None = None) -> list[dict[str, Any]]:
    """One dict per catalog entry: id, kind, name, summary and provenance counts."""
    rows = []
    for entry_id in catalog.ids(kind):
        entry = catalog.get(entry_id)
        counts = {"source": 0, "assumed": 0}
        for path, _ in numeric_leaves(entry):
            status, _ = classify(path, entry.provenance)
            if status in counts:
                counts[status] += 1
        rows.append({"id": entry_id, "kind": entry.kind, "name": entry.name,
                     "summary": _summary(entry), "sourced_values": counts["source"],
                     "assumed_values": counts["assumed"]})
    return rows


def catalog_table(rows: list[dict[str, Any]]) -> Table:
    """A table of catalog rows."""
    table = Table(title=f"catalog ({len(rows)} entries)", title_justify="left")
    for col in ("id", "kind", "name", "summary", "sourced", "assumed"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(*_cells(r["id"], r["kind"], r["name"], r["summary"], r["sourced_values"],
                              r["assumed_values"]))
    return table


def show_entry(console: Console, entry: Entry) -> None:
    """Print one catalog entry: its ports, knobs and every value's provenance."""
    console.print(Text.assemble((str(entry.id), "bold"), f" — {entry.name} ({entry.kind})"))
    if isinstance(entry, DeviceSpec):
        if entry.power != "none":
            console.print(f"power: {entry.power}")
        if entry.ports:
            table = Table(title="ports", title_justify="left")
            for col in ("port", "connector", "dir", "signal", "feeds/senses", "knob"):
                table.add_column(col)
            for name, p in entry.ports.items():
                chan = p.feeds if p.feeds is not None else p.senses
                signal = f"{p.signal} ({p.topology})" if p.topology else p.signal
                table.add_row(*_cells(name, f"{p.connector} {p.gender}", p.direction, signal,
                                      chan or "", p.knob or ""))
            console.print(table)
        if entry.knobs:
            console.print("knobs: " + ", ".join(
                f"{k} ({kn.label or k}, {kn.taper if isinstance(kn.taper, str) else 'points'})"
                for k, kn in entry.knobs.items()), markup=False)
    else:
        console.print(_summary(entry), markup=False)
        console.print(f"per metre: {entry.r_ohm_per_m} Ω, shield {entry.shield_r_ohm_per_m} Ω, "
                      f"{entry.c_pf_per_m} pF")
    table = Table(title="values and where they come from", title_justify="left")
    for col in ("value", "", "provenance"):
        table.add_column(col, overflow="fold")
    for path, value in numeric_leaves(entry):
        status, detail = classify(path, entry.provenance)
        table.add_row(*_cells(path, f"{value:g}", f"{status}: {detail}"))
    console.print(table)
    for note in entry.notes:
        console.print(f"note: {note}", markup=False)


def _fmt_program(lf: Any, side: str) -> str:
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


def describe_evaluation(console: Console, ev: Any, show_assumptions: bool = True) -> None:
    """Print simulate's figures: per listener and ear, stages, warnings and assumptions."""
    console.print(Text.assemble((ev.rig or "rig", "bold"), " — reference program: 1 kHz sine "
                                "at −18 dBFS RMS per channel"))
    table = Table(title="what each listener hears", title_justify="left")
    for col in ("listener", "fed by", "ear", "program (dB SPL)", "hiss dBA", "hum dBA",
                "clips at"):
        table.add_column(col)
    for lf in ev.listeners:
        first = True
        for side, ear in lf.ears.items():
            clip = "" if not first else (f"{lf.clips_at_dbfs:.1f} dBFS" if lf.clips_at_dbfs
                                         is not None else "—")
            table.add_row(*_cells(_named(lf.id, lf.name) if first else "",
                                  (lf.feed or "nothing") if first else "",
                                  side, _fmt_program(lf, side),
                                  level_text(ear.noise_spl_dba, th.HISS_AUDIBLE_DBA),
                                  level_text(ear.hum_spl_dba, th.HUM_AUDIBLE_DBA), clip))
            first = False
        table.add_section()
    console.print(table)
    if ev.stages:
        st = Table(title="headroom for a 0 dBFS sine", title_justify="left")
        for col in ("stage", "headroom", "limited by"):
            st.add_column(col)
        for s in ev.stages:
            style = "red" if s["headroom_db"] < 0 else ""
            st.add_row(*_cells(s["id"], f"{s['headroom_db']:+.1f} dB", s["limited_by"]),
                       style=style)
        console.print(st)
    for lf in ev.listeners:
        controls = ", ".join(f"{c['knob']}{'' if c['physical'] else ' (software)'}"
                             for c in lf.volume_controls)
        model = f" [{lf.device}]" if lf.device != lf.id else ""
        console.print(Text.assemble((_named(lf.id, lf.name), "bold"), f"{model} volume: "
                                    f"{controls}"))
        for w in lf.warnings:
            console.print(Text.assemble("  ", (w.code, "yellow"), f": {w.message}"))
    for w in ev.warnings:
        console.print(Text.assemble((w.code, "yellow"), f": {w.message}"))
    notes = sorted({a for lf in ev.listeners for a in lf.assumptions}) + list(ev.assumptions)
    if notes:
        if show_assumptions:
            console.print(f"These results rest on {len(notes)} assumed values:", style="dim")
            for a in notes:
                console.print(f"  - {a}", style="dim", markup=False)
        else:
            console.print(f"[dim]These results rest on {len(notes)} assumed values "
                          "(see 'simulate --json' or 'catalog show').[/dim]")


def describe_tune(console: Console, result: Any) -> None:
    """Print tune's knob settings, the predicted figures and the explanation."""
    from signalchain.tune import format_knob
    from signalchain.units import clock_position

    def dba(value: float, audible_from: float) -> str:
        """``9.6 dBA (inaudible)``, ``11.1 dBA`` or ``none``."""
        text = level_text(value, audible_from)
        if text == "none":
            return text
        number, _, note = text.partition(" ")
        return f"{number} dBA" + (f" {note}" if note else "")

    ev = result.evaluation
    physical = {c["knob"]: c["physical"] for lf in ev.listeners for c in lf.volume_controls}
    table = Table(title="knob settings", title_justify="left")
    for col in ("knob", "position", "on the dial"):
        table.add_column(col)
    for key, pos in result.knobs.items():
        dial = clock_position(pos) if physical.get(key, True) else "software"
        table.add_row(*_cells(key, format_knob(pos), dial))
    console.print(table)
    rows = Table(title="predicted at these settings", title_justify="left")
    for col in ("listener", "target", "program", "hiss", "hum", "headroom"):
        rows.add_column(col)
    for lf in ev.listeners:
        limits = [s["headroom_db"] for s in ev.stages
                  if s["id"] in lf.stages_on_path + lf.inputs_on_path]
        room = f"{min(limits):.1f} dB" if limits else "—"
        rows.add_row(*_cells(lf.id, f"{result.targets[lf.id]:g} dB SPL",
                             (f"{lf.program_spl_db:.1f} dB SPL" if lf.program_spl_db > -1e9
                              else "no program"),
                             dba(lf.noise_spl_dba, th.HISS_AUDIBLE_DBA),
                             dba(lf.hum_spl_dba, th.HUM_AUDIBLE_DBA), room))
    console.print(rows)
    status = "[green]all targets met[/green]" if result.feasible else \
        "[red]not every target can be met[/red]"
    console.print(status)
    for line in result.explanation:
        console.print(f"• {line}", markup=False)


def describe_advice(console: Console, methods: list[Any], priority: str, ranking: str) -> None:
    """Print advise's ranked methods with their facts, pros and cons (and what was skipped)."""
    console.print(Text.assemble(("Ways to connect this gear", "bold"),
                                f", ranked by {priority}: {ranking}"))
    if methods:
        names = methods[0].facts.get("listeners", {})
        console.print("listeners: " + ", ".join(_named(w, n) for w, n in names.items()),
                      markup=False, highlight=False)
    table = Table(title_justify="left")
    for col in ("#", "verdict", "method", "stereo", "master volume", "worst hiss", "to buy"):
        table.add_column(col, overflow="fold")
    for i, m in enumerate(methods, 1):
        master = ", ".join(f"{c['knob']}{'' if c['physical'] else ' (software)'}"
                           for c in m.facts["volume"]["master"])
        style = {"recommended": "green", "not-recommended": "red"}.get(m.verdict, "")
        table.add_row(*_cells(i, m.verdict, m.name, "yes" if m.facts["stereo"] else "no",
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

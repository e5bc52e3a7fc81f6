"""Rich tables and text for the CLI. No computation happens here."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from signalchain.catalog.store import Catalog, Entry
from signalchain.schema.cable import CableSpec
from signalchain.schema.device import DeviceSpec
from signalchain.schema.provenance import classify, numeric_leaves
from signalchain.units import v_to_dbu


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

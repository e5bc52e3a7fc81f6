"""Rich tables and text for the CLI. No computation happens here."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.table import Table

from signalchain.catalog.store import Catalog, Entry
from signalchain.schema.cable import CableSpec
from signalchain.schema.device import DeviceSpec
from signalchain.schema.provenance import classify, numeric_leaves
from signalchain.units import v_to_dbu
from signalchain.wiring.build import BuiltRig


def describe_built(console: Console, built: BuiltRig) -> None:
    """Print a checked rig: devices, connections, listeners and what feeds them."""
    spec = built.rig.spec
    console.print(f"[bold]{spec.name or 'rig'}[/bold]")
    table = Table(title="devices", title_justify="left")
    for col in ("name", "model", "kind", "power", "knobs"):
        table.add_column(col)
    for dev in built.devices.values():
        knobs = ", ".join(f"{k} {v:.0%}" for k, v in dev.knobs.items())
        table.add_row(dev.name, dev.model or "(inline)", dev.spec.kind, dev.spec.power, knobs)
    console.print(table)
    console.print("[bold]connections[/bold]")
    for i, line in enumerate(built.links, 1):
        console.print(f"  {i}. {line}", markup=False)
    console.print("[bold]listeners[/bold]")
    for name in built.listeners:
        dev = built.devices[name]
        feed = built.feeds.get(name) or "nothing active"
        console.print(f"  {name} ({dev.model or 'inline'}) ← {feed}", markup=False)


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
        table.add_row(r["id"], r["kind"], r["name"], r["summary"], str(r["sourced_values"]),
                      str(r["assumed_values"]))
    return table


def show_entry(console: Console, entry: Entry) -> None:
    """Print one catalog entry: its ports, knobs and every value's provenance."""
    console.print(f"[bold]{entry.id}[/bold] — {entry.name} ({entry.kind})")
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
                table.add_row(name, f"{p.connector} {p.gender}", p.direction, signal,
                              str(chan or ""), p.knob or "")
            console.print(table)
        if entry.knobs:
            console.print("knobs: " + ", ".join(
                f"{k} ({kn.label or k}, {kn.taper if isinstance(kn.taper, str) else 'points'})"
                for k, kn in entry.knobs.items()))
    else:
        console.print(_summary(entry))
        console.print(f"per metre: {entry.r_ohm_per_m} Ω, shield {entry.shield_r_ohm_per_m} Ω, "
                      f"{entry.c_pf_per_m} pF")
    table = Table(title="values and where they come from", title_justify="left")
    for col in ("value", "", "provenance"):
        table.add_column(col, overflow="fold")
    for path, value in numeric_leaves(entry):
        status, detail = classify(path, entry.provenance)
        table.add_row(path, f"{value:g}", f"{status}: {detail}")
    console.print(table)
    for note in entry.notes:
        console.print(f"note: {note}", markup=False)

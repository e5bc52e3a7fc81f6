"""The catalog for people and programs: list rows, the list table, one entry, override notices."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table
from rich.text import Text

from signalchain.catalog.files import Entry
from signalchain.catalog.store import BUNDLED, Catalog, Override
from signalchain.report.common import cells
from signalchain.report.tables import to_rich
from signalchain.schema.cable import CableSpec
from signalchain.schema.device import DeviceSpec, PortSpec
from signalchain.schema.provenance import classify, numeric_leaves
from signalchain.units import v_to_dbu


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
    parts = [part for name, port in entry.ports.items() if (part := _port_summary(name, port))]
    return "; ".join(parts[:4]) + (" …" if len(parts) > 4 else "")


def _port_summary(name: str, port: PortSpec) -> str:
    """``'out1 (stereo, +12 dB)'``, ``'in input (differential)'``, or '' for other ports."""
    kind = port.topology if port.signal == "balanced" else port.signal
    if port.direction == "out" and port.feeds is not None:
        level = (f"{v_to_dbu(port.v_rms_at_0dbfs):+.1f} dBu FS" if port.v_rms_at_0dbfs
                 else f"{port.mv_per_pa:g} mV/Pa" if port.mv_per_pa is not None
                 else f"{port.gain_db:+g} dB")
        return f"{name} ({kind}, {level})"
    if port.direction == "in" and port.preamp is not None:
        return f"in {name} (mic preamp, {port.preamp.gain_range_db:g} dB)"
    if port.direction == "in" and port.senses is not None:
        return f"in {name} ({kind})"
    return ""


def catalog_rows(catalog: Catalog, kind: str | None = None) -> list[dict[str, Any]]:
    """One dict per catalog entry: id, kind, name, summary, provenance counts and origin.

    ``origin`` is ``'bundled'`` or the user file the entry came from.
    """
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
                     "assumed_values": counts["assumed"], "origin": catalog.origin(entry_id)})
    return rows


def catalog_cells(rows: list[dict[str, Any]]) -> tuple[tuple[str, ...], list[tuple[str, ...]]]:
    """Header and text cells of catalog rows (an origin column if any entry is not bundled)."""
    # the origin column appears once there is something besides the bundled catalog
    mine = any(r["origin"] != BUNDLED for r in rows)
    header = ("id", "kind", "name", "summary", "sourced", "assumed", *(["origin"] * mine))
    cells_ = [tuple(str(v) for v in (r["id"], r["kind"], r["name"], r["summary"],
                                     r["sourced_values"], r["assumed_values"],
                                     *([r["origin"]] if mine else [])))
              for r in rows]
    return header, cells_


WIDE_COLUMNS = 120
"""From this terminal width on, ``catalog list`` shows each entry's summary too."""


def catalog_table(rows: list[dict[str, Any]], width: int = WIDE_COLUMNS) -> Table:
    """A terminal table of catalog rows (ids and counts never broken across lines).

    Narrower than :data:`WIDE_COLUMNS`, the summary is left out (``catalog show`` and
    ``--format`` have it).
    """
    header, cells_ = catalog_cells(rows)
    if width < WIDE_COLUMNS:  # narrow: no summary, "3 of 5" values sourced, file names
        at = {h: i for i, h in enumerate(header)}
        header = ("id", "kind", "name", "sourced", *header[at["assumed"] + 1:])
        cells_ = [(r[0], r[1], r[2],
                   f"{r[at['sourced']]} of {int(r[at['sourced']]) + int(r[at['assumed']])}",
                   *(Path(o).name for o in r[at["assumed"] + 1:])) for r in cells_]
    return to_rich(header, cells_, f"catalog ({len(rows)} entries)",
                   no_wrap=("id", "kind", "sourced", "assumed", "origin"))


def _show_device(console: Console, entry: DeviceSpec) -> None:
    if entry.power != "none":
        console.print(f"power: {entry.power}")
    if entry.ports:
        table = Table(title="ports", title_justify="left")
        for col in ("port", "connector", "dir", "signal", "feeds/senses", "knob"):
            table.add_column(col)
        for name, p in entry.ports.items():
            chan = p.feeds if p.feeds is not None else p.senses
            signal = f"{p.signal} ({p.topology})" if p.topology else p.signal
            table.add_row(*cells(name, f"{p.connector} {p.gender}", p.direction, signal,
                                 chan or "", p.knob or ""))
        console.print(table)
    if entry.knobs:
        console.print("knobs: " + ", ".join(
            f"{k} ({kn.label or k}, {kn.taper if isinstance(kn.taper, str) else 'points'})"
            for k, kn in entry.knobs.items()), markup=False)


def show_entry(console: Console, entry: Entry, origin: str = "") -> None:
    """Print one catalog entry: where it comes from, its ports, knobs and every value's provenance.

    Parameters
    ----------
    console : Console
        Where to print.
    entry : DeviceSpec or CableSpec
        The entry.
    origin : str
        ``'bundled'`` or the user file it came from (not printed if empty).
    """
    console.print(Text.assemble((str(entry.id), "bold"), f" — {entry.name} ({entry.kind})"))
    if origin:
        console.print(f"origin: {origin}", markup=False)
    if isinstance(entry, DeviceSpec):
        _show_device(console, entry)
    else:
        console.print(_summary(entry), markup=False)
        console.print(f"per metre: {entry.r_ohm_per_m} Ω, shield {entry.shield_r_ohm_per_m} Ω, "
                      f"{entry.c_pf_per_m} pF")
    console.print("values and where they come from:", style="italic")
    for path, value in numeric_leaves(entry):
        status, detail = classify(path, entry.provenance)
        # one line each, wrapped by the terminal: a URL is never broken by a line break
        console.print(f"  {path} = {value:g} ({status}: {detail})", markup=False,
                      soft_wrap=True)
    for note in entry.notes:
        console.print(f"note: {note}", markup=False)


def override_notice(override: Override) -> str:
    """One line saying a user entry replaced an earlier one with the same id."""
    replaced = ("the bundled entry" if override.replaced_origin == BUNDLED
                else f"the entry in {override.replaced_origin}")
    return f"catalog entry {override.id!r} from {override.origin} replaces {replaced}"

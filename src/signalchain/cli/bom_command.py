"""``bom``: the cable schedule and bill of materials of the rig as written."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from signalchain.cli.app import app
from signalchain.cli.common import (
    CatalogOpt,
    RigArg,
    catalog_for,
    guarded,
    out,
    print_diagnostics,
)
from signalchain.errors import Diagnostic, UsageError

if TYPE_CHECKING:
    pass

BOM_FORMATS = ("table", "md", "csv", "tsv", "json")
TERMINAL_COLUMNS = ("ID", "from", "to", "type", "length", "adapters")
"""The schedule's columns in a terminal table; --format md|csv|tsv|json have them all."""


@app.command()
@guarded
def bom(
    rig: RigArg,
    fmt: Annotated[str, typer.Option("--format", help="table (default), md, csv, tsv or "
                                     "json")] = "table",
    out_file: Annotated[Path | None, typer.Option(
        "--out", help="write to this file instead of printing")] = None,
    force: Annotated[bool, typer.Option("--force", help="overwrite --out")] = False,
    catalog: CatalogOpt = None,
) -> None:
    """List every cable and adapter of the rig (cable schedule) and what to buy (BOM)."""
    from signalchain.bom import cable_schedule
    from signalchain.io import check_output_file, write_text_atomic
    from signalchain.report.bom import BOM_HEADER, SCHEDULE_HEADER, bom_rows, schedule_rows
    from signalchain.report.tables import to_rich
    from signalchain.rig import Rig

    if fmt not in BOM_FORMATS:
        raise UsageError([Diagnostic("error", f"--format {fmt!r}: valid are "
                                     f"{', '.join(BOM_FORMATS)}", code="bad-option")])
    if out_file is not None:
        check_output_file(out_file, force=force)
    loaded = Rig.from_path(rig, catalog_for(catalog))
    print_diagnostics(loaded.built.warnings)
    schedule = cable_schedule(loaded)
    rows, items = schedule_rows(schedule), bom_rows(schedule.bom)
    if fmt == "table" and out_file is None:  # the terminal: the columns that fit 80 wide
        keep = [SCHEDULE_HEADER.index(h) for h in TERMINAL_COLUMNS]
        out.print(to_rich(TERMINAL_COLUMNS, [[r[i] for i in keep] for r in rows],
                          "Cable schedule", no_wrap=("ID", "length")))
        out.print(to_rich(BOM_HEADER, items, "Bill of materials",
                          no_wrap=("count", "in the box", "to buy")))
        return
    from signalchain.report.bom import schedule_text

    text = schedule_text(fmt, schedule)
    if out_file is None:
        sys.stdout.write(text)
    else:
        write_text_atomic(out_file, text, force=force)
        out.print(f"wrote the cable schedule and BOM to {out_file}", markup=False)

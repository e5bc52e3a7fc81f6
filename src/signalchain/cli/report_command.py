"""``report``: everything about a rig in one self-contained HTML page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from signalchain.cli.app import app
from signalchain.cli.common import (
    CatalogOpt,
    RigArg,
    catalog_for,
    finite_option,
    guarded,
    out,
    print_diagnostics,
)
from signalchain.errors import Diagnostic, UsageError

CLIP_SECONDS_RANGE = (1.0, 60.0)
"""Clips are embedded in the page: a minute each at most keeps the file small."""


@app.command()
@guarded
def report(
    rig: RigArg,
    out_file: Annotated[Path, typer.Option("--out", help="the HTML file to write")],
    tune: Annotated[bool, typer.Option("--tune", help="also show where tune would set the "
                                       "knobs")] = False,
    advise: Annotated[bool, typer.Option("--advise", help="also rank the ways to wire this "
                                         "gear, as cards with small diagrams")] = False,
    program: Annotated[str, typer.Option(help="what the listening clips play: an audio file or "
                                         "builtin:NAME")] = "builtin:music",
    seconds: Annotated[float, typer.Option(help="length of each listening clip")] = 10.0,
    listen: Annotated[bool, typer.Option("--listen/--no-listen", help="embed the listening "
                                         "clips (most of the file's size)")] = True,
    target_spl: Annotated[float, typer.Option(help="listening level for --tune and --advise, "
                                              "dB SPL")] = 80.0,
    stamp: Annotated[bool, typer.Option("--stamp", help="print the time the report was made "
                                        "(off by default, so a rig gives the same bytes)")
                     ] = False,
    force: Annotated[bool, typer.Option("--force", help="overwrite --out")] = False,
    catalog: CatalogOpt = None,
) -> None:
    """Write a one-file HTML report: diagram, what each ear hears, levels, knobs, cables, audio."""
    from signalchain.io import check_output_file, write_text_atomic
    from signalchain.report.html import ReportOptions, build_report
    from signalchain.rig import Rig

    if out_file.suffix.lower() not in (".html", ".htm"):
        raise UsageError([Diagnostic("error", f"--out {str(out_file)!r}: the report is HTML; "
                                     "name the file *.html", code="bad-option")])
    finite_option("--seconds", seconds, *CLIP_SECONDS_RANGE, "s")
    finite_option("--target-spl", target_spl, 20.0, 130.0, "dB SPL")
    check_output_file(out_file, force=force)  # before any work
    loaded = Rig.from_path(rig, catalog_for(catalog))
    print_diagnostics(loaded.built.warnings)
    when = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC") if stamp else None
    options = ReportOptions(tune=tune, advise=advise, listen=listen, program=program,
                            seconds=seconds, target_spl_db=target_spl, stamp=when)
    html = build_report(loaded, options)
    write_text_atomic(out_file, html, force=force)
    out.print(f"wrote {out_file} ({len(html.encode()) / 1e6:.2f} MB)", markup=False)

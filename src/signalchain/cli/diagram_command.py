"""``diagram``: the signal-flow diagram of a rig as SVG, PNG or PDF."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

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


@app.command()
@guarded
def diagram(
    rig: RigArg,
    out_file: Annotated[Path, typer.Option("--out", help="the picture to write: .svg, .png "
                                           "or .pdf")],
    force: Annotated[bool, typer.Option("--force", help="overwrite --out")] = False,
    catalog: CatalogOpt = None,
) -> None:
    """Draw the rig: devices, ports, cables by ID, adapters, and L and R to every ear."""
    from signalchain.draw.diagram import write_diagram
    from signalchain.rig import Rig

    loaded = Rig.from_path(rig, catalog_for(catalog))
    print_diagnostics(loaded.built.warnings)
    write_diagram(loaded, out_file, force=force)
    out.print(f"wrote {out_file}", markup=False)

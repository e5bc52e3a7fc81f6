"""``sweep``: the rig simulated at many points; a table and a plot."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from signalchain.cli.app import app
from signalchain.cli.common import CatalogOpt, RigArg, catalog_for, finite_option, guarded, out

if TYPE_CHECKING:
    from signalchain.rig import Rig
    from signalchain.sweep import SweepResult, Variable


def _on_dask(rig: Rig, variables: list[Variable], workers: int, scheduler: str | None,
             **options: Any) -> SweepResult:
    """The sweep on a Dask cluster: a LocalCluster, or the one at ``scheduler``."""
    from signalchain.errors import Diagnostic, UsageError
    from signalchain.extras import require
    from signalchain.sweep import sweep as run_sweep

    distributed = require("distributed", "scale")
    if scheduler is not None and not re.fullmatch(r"(tcp|tls)://[A-Za-z0-9.\-\[\]:]{1,200}",
                                                  scheduler):
        raise UsageError([Diagnostic("error", f"--scheduler {scheduler[:80]!r} is not a Dask "
                                     "scheduler address", hint="e.g. tcp://10.0.0.5:8786",
                                     code="bad-option")])
    if scheduler is not None:
        try:
            client = distributed.Client(scheduler, timeout="10s")
        except OSError as exc:
            raise UsageError([Diagnostic("error", f"cannot reach the Dask scheduler at "
                                         f"{scheduler}: {exc}", code="bad-option")]) from None
        with client:
            return run_sweep(rig, variables, executor=client.get_executor(), **options)
    with distributed.LocalCluster(n_workers=workers, threads_per_worker=1,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        return run_sweep(rig, variables, executor=client.get_executor(), **options)


@app.command()
@guarded
def sweep(
    rig: RigArg,
    vary: Annotated[list[str], typer.Option(
        help="what varies: DEVICE.KNOB=0..1:21, C01.length=1m..30m:12[:log], "
             "environment.ground_offset_v=1mV..1V:7:log, environment.mains_hz=50,60, "
             "DEVICE=model1,model2; repeatable (a grid over all of them)")],
    random: Annotated[int | None, typer.Option(help="draw N random points instead of the "
                                               "grid")] = None,
    seed: Annotated[int, typer.Option(help="seed of --random")] = 0,
    listener: Annotated[list[str] | None, typer.Option(
        help="report only this listener; repeatable")] = None,
    out_file: Annotated[Path | None, typer.Option(
        "--out", help="write the table here: .csv, .json or .parquet (the 'parquet' extra; "
        "default: CSV on stdout)")] = None,
    plot: Annotated[Path | None, typer.Option(help="also draw it: an .svg file")] = None,
    metric: Annotated[str, typer.Option(help="what --plot draws: noise_spl_dba, "
                                        "program_spl_db, peak_spl_db, hum_spl_dba, "
                                        "clips_at_dbfs")] = "noise_spl_dba",
    workers: Annotated[int, typer.Option(help="run on this many local processes (1: in this "
                                         "one)")] = 1,
    dask: Annotated[bool, typer.Option("--dask", help="run on a Dask LocalCluster of "
                                       "--workers processes (the 'scale' extra)")] = False,
    scheduler: Annotated[str | None, typer.Option(
        help="run on an existing Dask cluster: its scheduler's address, "
             "tcp://HOST:8786 (the 'scale' extra)")] = None,
    force: Annotated[bool, typer.Option("--force", help="overwrite --out and --plot")] = False,
    catalog: CatalogOpt = None,
) -> None:
    """Simulate the rig at many points: every figure per listener, as a table and a plot."""
    from signalchain.errors import Diagnostic, UsageError
    from signalchain.extras import require
    from signalchain.io import check_output_file, write_bytes_atomic, write_text_atomic
    from signalchain.report.sweep import parquet_bytes, row_cells
    from signalchain.rig import Rig
    from signalchain.sweep import parse_vary
    from signalchain.sweep import sweep as run_sweep
    from signalchain.sweep.plot import sweep_svg

    for path, suffixes in ((out_file, (".csv", ".json", ".parquet")), (plot, (".svg",))):
        if path is not None and path.suffix.lower() not in suffixes:
            raise UsageError([Diagnostic("error", f"{path}: write {' or '.join(suffixes)}",
                                         code="bad-option")])
        if path is not None:
            check_output_file(path, force=force)
    if out_file is not None and out_file.suffix.lower() == ".parquet":
        require("pyarrow", "parquet")  # before the sweep, not after it
    finite_option("--workers", float(workers), 1, 64)
    loaded = Rig.from_path(rig, catalog_for(catalog))
    variables = [parse_vary(v, loaded) for v in vary]
    if dask or scheduler is not None:
        result = _on_dask(loaded, variables, workers, scheduler, random=random, seed=seed,
                          listeners=listener)
    elif workers > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # spawn: a fresh interpreter per worker, whatever threads this process has
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")
                                 ) as pool:
            result = run_sweep(loaded, variables, random=random, seed=seed,
                               listeners=listener, executor=pool)
    else:
        result = run_sweep(loaded, variables, random=random, seed=seed, listeners=listener)
    table = [row_cells(result, r) for r in result.rows]
    svg = (sweep_svg(result, metric, listener[0] if listener else None) if plot is not None
           else None)
    suffix = out_file.suffix.lower() if out_file is not None else ".csv"
    if suffix == ".parquet":
        data = parquet_bytes(table)
    elif suffix == ".json":
        data = json.dumps({"signalchain": 1, "rig": loaded.name, "rows": table},
                          indent=1).encode() + b"\n"
    else:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=list(table[0]) if table else ["point"],
                                lineterminator="\n")
        writer.writeheader()
        writer.writerows(table)
        data = buffer.getvalue().encode()
    if out_file is None:
        out.file.write(data.decode())
    else:
        write_bytes_atomic(out_file, data, force=force)
        out.print(f"wrote {len(table)} rows ({len(set(r.point for r in result.rows))} points) "
                  f"to {out_file}", markup=False)
    if plot is not None and svg is not None:
        write_text_atomic(plot, svg, force=force)
        out.print(f"wrote {plot}", markup=False)

"""``shop``: which catalog device to buy in place of one of the rig's, or which headphones."""

from __future__ import annotations

from typing import Annotated

import typer

from signalchain.cli.app import app
from signalchain.cli.common import (
    CatalogOpt,
    JsonOpt,
    RigArg,
    catalog_for,
    finite_option,
    guarded,
    out,
    print_json,
)


@app.command()
@guarded
def shop(
    rig: RigArg,
    replace: Annotated[str | None, typer.Option(help="the device to replace (its id in the "
                                                "rig)")] = None,
    kind: Annotated[str | None, typer.Option(help="the kind of candidate: interface, amp or "
                                             "headphones (default: the replaced one's)")
                    ] = None,
    for_listeners: Annotated[bool, typer.Option(
        "--for-listeners", help="rank headphones for every listener instead")] = False,
    priority: Annotated[str, typer.Option(help="quality (least hiss) or convenience")
                        ] = "quality",
    target_spl: Annotated[float, typer.Option(help="listening level every listener is tuned "
                                              "to, dB SPL")] = 80.0,
    limit: Annotated[int, typer.Option(help="show the best N")] = 10,
    workers: Annotated[int, typer.Option(help="run on this many local processes")] = 1,
    as_json: JsonOpt = False,
    catalog: CatalogOpt = None,
) -> None:
    """Rank every catalog candidate for one device (or the headphones), with the numbers."""
    from signalchain.report.shop import offers_rows, shop_json
    from signalchain.report.tables import add_columns, new_table
    from signalchain.rig import Rig
    from signalchain.shop import shop as run_shop

    finite_option("--target-spl", target_spl, 20, 130, "dB SPL")
    finite_option("--limit", float(limit), 1, 10_000)
    finite_option("--workers", float(workers), 1, 64)
    loaded = Rig.from_path(rig, catalog_for(catalog))
    options = {"kind": kind, "for_listeners": for_listeners, "priority": priority,
               "target_spl_db": target_spl}
    if workers > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")
                                 ) as pool:
            result = run_shop(loaded, replace, executor=pool, **options)  # type: ignore[arg-type]
    else:
        result = run_shop(loaded, replace, **options)  # type: ignore[arg-type]
    if as_json:
        print_json(shop_json(result))
        return
    article = "an" if result.kind[0] in "aeiou" else "a"
    what = "headphones for every listener" if for_listeners else \
        f"{article} {result.kind} in place of {result.replace}"
    table = new_table(f"{what}: {len(result.offers)} candidates, priority {priority}, "
                      f"everyone at {target_spl:g} dB SPL")
    rows = offers_rows(result, limit)
    add_columns(table, ("#", "candidate", "worst hiss", "stereo", "to buy", "how"), rows,
                no_wrap=("#", "worst hiss"))
    for row in rows:
        table.add_row(*row)
    out.print(table)

"""``catalog list|show|new``, ``schema`` and ``demo``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from signalchain.cli.app import app, catalog_app
from signalchain.cli.common import (
    CatalogOpt,
    FormatOpt,
    JsonOpt,
    catalog_for,
    guarded,
    out,
    print_json,
    print_table,
)
from signalchain.errors import Diagnostic, UsageError


@catalog_app.callback(invoke_without_command=True)
def catalog_main(ctx: typer.Context) -> None:
    """List or show catalog gear."""
    if ctx.invoked_subcommand is None:
        ctx.invoke(catalog_list)


@catalog_app.command("list")
@guarded
def catalog_list(
    kind: Annotated[str | None, typer.Option(help="interface, amp, headphones, computer, "
                                             "splitter, cable or adapter")] = None,
    as_json: JsonOpt = False,
    fmt: FormatOpt = "table",
    catalog: CatalogOpt = None,
) -> None:
    """List catalog entries (bundled and your own, with where each comes from)."""
    from signalchain.report.catalog import catalog_cells, catalog_rows, catalog_table

    cat = catalog_for(catalog)
    kinds = sorted({e.kind for e in cat.entries.values()})
    if kind is not None and kind not in kinds:
        raise UsageError([Diagnostic("error", f"unknown kind {kind!r}; valid kinds: "
                                     f"{', '.join(kinds)}")])
    rows = catalog_rows(cat, kind)
    if as_json:
        print_json(rows)
    elif fmt != "table":
        print_table(fmt, *catalog_cells(rows))
    else:
        out.print(catalog_table(rows, out.width))


@catalog_app.command("show")
@guarded
def catalog_show(entry_id: Annotated[str, typer.Argument(metavar="ID")],
                 as_json: JsonOpt = False, catalog: CatalogOpt = None) -> None:
    """Show one catalog entry with its sources and assumptions."""
    from signalchain.report.catalog import show_entry

    cat = catalog_for(catalog)
    if entry_id not in cat:
        close = cat.close_matches(entry_id)
        hint = f"did you mean {' or '.join(close)}?" if close else "see 'signalchain catalog list'"
        raise UsageError([Diagnostic("error", f"unknown catalog id {entry_id!r}", hint=hint)])
    entry = cat.get(entry_id)
    if as_json:
        print_json({**entry.model_dump(mode="json", exclude_none=True),
                    "origin": cat.origin(entry_id)})
    else:
        show_entry(out, entry, cat.origin(entry_id))


@catalog_app.command("new")
@guarded
def catalog_new(
    kind: Annotated[str, typer.Argument(metavar="KIND", help="headphones, amp or interface")],
    out_file: Annotated[Path | None, typer.Option(
        "--out", help="write the template to this file (default: print it)")] = None,
    force: Annotated[bool, typer.Option("--force", help="overwrite --out")] = False,
) -> None:
    """Write a commented template of a catalog file (fill it in, use it with --catalog DIR)."""
    from signalchain.catalog import TEMPLATE_KINDS, template
    from signalchain.io import write_text_atomic

    if kind not in TEMPLATE_KINDS:
        raise UsageError([Diagnostic("error", f"no template for {kind!r}; valid: "
                                     f"{', '.join(TEMPLATE_KINDS)}", code="bad-option")])
    text = template(kind)
    if out_file is None:
        sys.stdout.write(text)
        return
    write_text_atomic(out_file, text, force=force)
    out.print(f"wrote the {kind} template to {out_file}: replace its <placeholders>, then "
              "put it in a directory and pass --catalog DIR", markup=False)


@app.command()
@guarded
def schema(
    document: Annotated[str, typer.Option(
        "--for", metavar="rig|catalog", help="the schema of rig files (default) or of "
        "catalog files")] = "rig",
    catalog: CatalogOpt = None,
) -> None:
    """Print the JSON Schema of rig files (for editors: catalog ids complete as you type)."""
    from signalchain.schema.export import catalog_json_schema, rig_json_schema

    exporters = {"rig": rig_json_schema, "catalog": catalog_json_schema}
    if document not in exporters:
        raise UsageError([Diagnostic("error", f"--for {document!r}: valid are rig and catalog",
                                     code="bad-option")])
    print_json(exporters[document](catalog_for(catalog).schema_ids()))


@app.command()
@guarded
def demo(out_dir: Annotated[Path | None, typer.Option("--out", help="also write results "
                                                      "here")] = None,
         force: Annotated[bool, typer.Option("--force", help="write into a non-empty "
                                             "--out directory")] = False) -> None:
    """Run signalchain on the bundled example rigs (the seed articles' methods)."""
    from signalchain.demo import run_demo

    run_demo(out, out_dir, force=force)

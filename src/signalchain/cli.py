"""The ``signalchain`` command line: a thin typer layer over the library.

Exit codes: 0 success (warnings may be printed), 1 invalid rig or input,
2 usage error, 3 internal error.
"""

from __future__ import annotations

import functools
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.console import Console

from signalchain.errors import Diagnostic, RigError, UsageError

app = typer.Typer(add_completion=False, no_args_is_help=True, rich_markup_mode=None,
                  help="Simulate and plan audio monitoring rigs.")
catalog_app = typer.Typer(add_completion=False, no_args_is_help=False,
                          help="List or show catalog gear.")
app.add_typer(catalog_app, name="catalog")

out = Console(highlight=False, soft_wrap=False)
err = Console(stderr=True, highlight=False)
F = TypeVar("F", bound=Callable[..., Any])

RigArg = Annotated[Path, typer.Argument(help="rig file (YAML)", show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON instead of tables")]


def print_diagnostics(diags: list[Diagnostic]) -> None:
    """Print diagnostics to stderr, errors and warnings alike."""
    for d in diags:
        style = "bold red" if d.severity == "error" else "yellow"
        text = d.format()
        head, _, rest = text.partition("\n")
        err.print(head, style=style, markup=False)
        if rest:
            err.print(rest, markup=False)


def guarded(func: F) -> F:
    """Turn user errors into diagnostics and exit codes, never tracebacks."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except UsageError as exc:
            print_diagnostics(exc.diagnostics)
            raise typer.Exit(2) from None
        except RigError as exc:
            print_diagnostics(exc.diagnostics)
            raise typer.Exit(1) from None
        except typer.Exit:
            raise
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(130) from None
        except Exception as exc:  # a bug in signalchain, not the user's input
            if os.environ.get("SIGNALCHAIN_DEBUG"):
                raise
            err.print(f"internal error: {type(exc).__name__}: {exc}", markup=False)
            err.print("This is a bug in signalchain. Run again with SIGNALCHAIN_DEBUG=1 for "
                      "the traceback and report it.")
            raise typer.Exit(3) from None

    return wrapper  # type: ignore[return-value]


def print_json(data: Any) -> None:
    """Print JSON to stdout (plain, so it can be piped)."""
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


@app.command()
@guarded
def check(rig: RigArg) -> None:
    """Check that a rig plugs together; print what connects where."""
    from signalchain.api import check_rig
    from signalchain.views import describe_built

    built = check_rig(rig)
    describe_built(out, built)
    print_diagnostics(built.warnings)
    n = len(built.warnings)
    out.print(f"[green]✓ {rig} is valid[/green]" + (f" ({n} warning{'s' * (n != 1)})" if n else ""))


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
) -> None:
    """List catalog entries."""
    from signalchain.catalog import default_catalog
    from signalchain.views import catalog_rows, catalog_table

    cat = default_catalog()
    kinds = sorted({e.kind for e in cat.entries.values()})
    if kind is not None and kind not in kinds:
        raise UsageError([Diagnostic("error", f"unknown kind {kind!r}; valid kinds: "
                                     f"{', '.join(kinds)}")])
    rows = catalog_rows(cat, kind)
    if as_json:
        print_json(rows)
    else:
        out.print(catalog_table(rows))


@catalog_app.command("show")
@guarded
def catalog_show(entry_id: Annotated[str, typer.Argument(metavar="ID")],
                 as_json: JsonOpt = False) -> None:
    """Show one catalog entry with its sources and assumptions."""
    from signalchain.catalog import default_catalog
    from signalchain.views import show_entry

    cat = default_catalog()
    if entry_id not in cat:
        close = cat.close_matches(entry_id)
        hint = f"did you mean {' or '.join(close)}?" if close else "see 'signalchain catalog list'"
        raise UsageError([Diagnostic("error", f"unknown catalog id {entry_id!r}", hint=hint)])
    entry = cat.get(entry_id)
    if as_json:
        print_json(entry.model_dump(mode="json", exclude_none=True))
    else:
        show_entry(out, entry)


@app.command()
@guarded
def schema() -> None:
    """Print the JSON Schema of the rig file (for editor autocompletion)."""
    from signalchain.schema.rig import RigSpec

    data = RigSpec.model_json_schema()
    data["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    data["title"] = "signalchain rig file (format 1)"
    print_json(data)


@app.command()
@guarded
def demo(out_dir: Annotated[Path | None, typer.Option("--out", help="also write results "
                                                      "here")] = None) -> None:
    """Run signalchain on the bundled example rigs (the seed articles' methods)."""
    from signalchain.demo import run_demo

    run_demo(out, out_dir)


def main() -> None:
    """Console-script entry point."""
    app()

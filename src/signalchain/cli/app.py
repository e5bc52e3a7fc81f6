"""The command group, its global options and the ``limits`` command."""

from __future__ import annotations

import sys
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from signalchain.cli.common import (
    JsonOpt,
    _ClickException,
    _ClickUsageError,
    err,
    guarded,
    out,
    print_json,
)


class _Group(TyperGroup):
    """The command group, printing click's usage errors the way signalchain prints errors."""

    def main(self, *args: Any, standalone_mode: bool = True, **kwargs: Any) -> Any:
        """Run the CLI; usage errors go to stderr as ``error: ...`` with exit 2."""
        kwargs["standalone_mode"] = False
        if not standalone_mode:
            return super().main(*args, **kwargs)
        try:
            code = super().main(*args, **kwargs)
        except _ClickUsageError as exc:
            if exc.ctx is not None:
                err.print(exc.ctx.get_usage(), markup=False)
                err.print(f"Try '{exc.ctx.command_path} --help' for help.", markup=False)
            err.print(f"error: {exc.format_message()}", style="bold red", markup=False)
            sys.exit(2)
        except _ClickException as exc:
            err.print(f"error: {exc.format_message()}", style="bold red", markup=False)
            sys.exit(exc.exit_code)
        except typer.Abort:
            err.print("interrupted", markup=False)
            sys.exit(130)
        sys.exit(code if isinstance(code, int) else 0)


app = typer.Typer(cls=_Group, add_completion=False, no_args_is_help=True,
                  rich_markup_mode=None, help="Simulate and plan audio monitoring rigs.")
catalog_app = typer.Typer(add_completion=False, no_args_is_help=False,
                          help="List or show catalog gear.")
app.add_typer(catalog_app, name="catalog")

def _version(value: bool) -> None:
    if value:
        from signalchain import __version__

        typer.echo(f"signalchain {__version__}")
        raise typer.Exit()


def _limits_from(items: list[str]) -> Any:
    from signalchain import limits

    values: dict[str, str] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep:
            raise typer.BadParameter(f"{item!r}: write NAME=VALUE, e.g. render-seconds=7200",
                                     param_hint="--limit")
        values[name.strip()] = value.strip()
    try:
        return limits.current().with_values(values)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--limit") from None


@app.callback()
def main_options(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", is_eager=True, callback=_version,
                                          help="print the version and exit")] = False,
    limit: Annotated[list[str] | None, typer.Option(
        "--limit", metavar="NAME=VALUE", help="raise or lower a cost limit, e.g. "
        "render-seconds=7200; repeatable ('signalchain limits' lists them)")] = None,
) -> None:
    """Simulate and plan audio monitoring rigs."""
    if limit:
        from signalchain import limits

        # in force for this invocation only: the context exits when the command ends
        ctx.with_resource(limits.using(_limits_from(limit)))


@app.command("limits")
@guarded
def show_limits(as_json: JsonOpt = False) -> None:
    """List the cost limits on input (rig size, render length ...) and their values."""
    from rich.table import Table

    from signalchain import limits

    now = limits.current().describe()
    if as_json:
        print_json({"signalchain": 1, "limits": now})
        return
    table = Table(title="limits in force", title_justify="left")
    table.add_column("limit")
    table.add_column("value", justify="right")
    table.add_column("default", justify="right")
    defaults = limits.DEFAULT.describe()
    for name, value in now.items():
        table.add_row(name, f"{value:g}", f"{defaults[name]:g}")
    out.print(table)
    out.print("Change one for a command with 'signalchain --limit NAME=VALUE COMMAND ...'.",
              markup=False)

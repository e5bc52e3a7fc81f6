"""What every command shares: the consoles, error handling, JSON output and common options."""

from __future__ import annotations

import functools
import math
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer

from signalchain.errors import Diagnostic, RigError, UsageError
from signalchain.textsafe import SafeConsole, json_dumps

if TYPE_CHECKING:
    from signalchain.catalog import Catalog

# typer re-exports only some of click's exceptions (newer typers vendor click): take the rest
# from BadParameter's ancestry, which is the same in both
# typed Any: click's exception classes are reached at run time, not through typer's stubs
_ClickUsageError: Any = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
_ClickException: Any = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


def _piped_width() -> int | None:
    """The width of output: ``COLUMNS`` when set, else rich's own choice.

    Rich's own choice is the terminal's width, or 80 when there is no terminal.
    """
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        return None
    return columns if 20 <= columns <= 1000 else None


out = SafeConsole(highlight=False, soft_wrap=False, width=_piped_width())
err = SafeConsole(stderr=True, highlight=False, soft_wrap=True)
F = TypeVar("F", bound=Callable[..., Any])

RigArg = Annotated[Path, typer.Argument(help="rig file (YAML)", show_default=False,
                                        metavar="RIG")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print JSON instead of tables")]


class Stopped(BaseException):
    """SIGTERM or SIGHUP arrived: unwind (so temporary files are removed), then exit 128+N."""

    def __init__(self, signo: int):
        super().__init__(signo)
        self.signo = signo


def _raise_stopped(signo: int, _frame: Any) -> None:
    raise Stopped(signo)


@contextmanager
def stop_on_signals() -> Iterator[None]:
    """Turn SIGTERM and SIGHUP into :class:`Stopped` while a command runs (main thread only)."""
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = {s: signal.signal(s, _raise_stopped) for s in (signal.SIGTERM, signal.SIGHUP)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)


def print_diagnostics(diags: list[Diagnostic]) -> None:
    """Print diagnostics to stderr, errors and warnings alike."""
    for d in diags:
        style = "bold red" if d.severity == "error" else "yellow"
        text = d.format()
        head, _, rest = text.partition("\n")
        err.print(head, style=style, markup=False)
        if rest:
            err.print(rest, markup=False)


def _os_error(exc: OSError) -> Diagnostic:
    """An operating-system error (unreadable, unwritable, disk full ...) as a user error."""
    where = " -> ".join(str(f) for f in (exc.filename, exc.filename2) if f is not None)
    reason = exc.strerror or str(exc)
    return Diagnostic("error", f"{where}: {reason}" if where else reason, code="os-error",
                      hint="check the path, its permissions and the free disk space")


def guarded(func: F) -> F:
    """Turn user errors into diagnostics and exit codes, never tracebacks."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            with stop_on_signals():
                return func(*args, **kwargs)
        except UsageError as exc:
            print_diagnostics(exc.diagnostics)
            raise typer.Exit(2) from None
        except RigError as exc:
            print_diagnostics(exc.diagnostics)
            raise typer.Exit(1) from None
        except (typer.Exit, _ClickException):
            raise
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(130) from None
        except Stopped as exc:
            err.print(f"stopped by signal {signal.Signals(exc.signo).name}", markup=False)
            raise typer.Exit(128 + exc.signo) from None
        except BrokenPipeError:
            raise typer.Exit(1) from None
        except OSError as exc:
            print_diagnostics([_os_error(exc)])
            raise typer.Exit(1) from None
        except Exception as exc:  # a bug in signalchain, not the user's input
            if os.environ.get("SIGNALCHAIN_DEBUG"):
                raise
            err.print(f"internal error: {type(exc).__name__}: {exc}", markup=False)
            err.print("This is a bug in signalchain. Run again with SIGNALCHAIN_DEBUG=1 for "
                      "the traceback and report it.")
            raise typer.Exit(3) from None

    return wrapper  # type: ignore[return-value]


def print_json(data: Any) -> None:
    """Print JSON to stdout (plain, so it can be piped; control characters escaped)."""
    sys.stdout.write(json_dumps(data) + "\n")


def finite_option(name: str, value: float, low: float, high: float, unit: str = "") -> float:
    """Check a numeric option is finite and within ``low..high``; a usage error otherwise."""
    if not (math.isfinite(value) and low <= value <= high):
        raise UsageError([Diagnostic("error", f"{name}={value:g} is outside {low:g}..{high:g}"
                                     f"{' ' + unit if unit else ''}", code="bad-option")])
    return value


RecordTargetOpt = Annotated[float, typer.Option(
    "--record-target", metavar="DBFS", help="average speech level the recording inputs aim "
    "for, dBFS (-40..-1)")]


def record_target(value: float) -> float:
    """``--record-target`` checked."""
    return finite_option("--record-target", value, -40.0, -1.0, "dBFS")


CatalogOpt = Annotated[list[Path] | None, typer.Option(
    "--catalog", metavar="DIR", help="also read your own catalog files (YAML) from DIR; "
    "repeatable, read after the directories listed in SIGNALCHAIN_CATALOG (separated by "
    f"'{os.pathsep}'); a later entry with the same id wins")]


def catalog_for(dirs: list[Path] | None) -> Catalog:
    """The bundled catalog plus the user's directories; prints a notice for each override."""
    from signalchain.catalog import load_catalog
    from signalchain.report.catalog import override_notice

    cat = load_catalog(dirs or [])
    for override in cat.overrides:
        err.print(f"notice: {override_notice(override)}", markup=False)
    return cat


FailOnOpt = Annotated[list[str] | None, typer.Option(
    "--fail-on", metavar="SEVERITY|CODE[,…]",
    help="exit 1 if a finding matches: error, warning (and errors), info (everything), or "
    "finding codes such as one-ear; repeatable")]
JunitOpt = Annotated[Path | None, typer.Option(
    "--junit", metavar="FILE", help="also write a JUnit XML report (one case per listener)")]
SetOpt = Annotated[list[str] | None, typer.Option(
    "--set", metavar="DEVICE.KNOB=VALUE",
    help="override a knob: device.knob=value (0..1 or 60%); repeatable")]


@contextmanager
def reported_invalid(rig: Path, as_json: bool, junit: Path | None) -> Iterator[None]:
    """An invalid rig's diagnostics also as JSON on stdout (``--json``) and in ``--junit``."""
    from signalchain.gate import diagnostics_json, junit_invalid, write_junit

    try:
        yield
    except UsageError:
        raise
    except RigError as exc:
        if junit is not None:
            write_junit(junit, junit_invalid(str(rig), exc.diagnostics))
        if as_json:
            print_json(diagnostics_json(exc.diagnostics))
            raise typer.Exit(1) from None
        raise


FormatOpt = Annotated[str, typer.Option(
    "--format", metavar="table|md|csv|tsv", help="the table for a terminal (default), or as "
    "Markdown, CSV or TSV for documents and spreadsheets")]


def print_table(fmt: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print a table as Markdown, CSV or TSV (``--format``); a usage error for others."""
    from signalchain.report.tables import TABLE_FORMATS, render_text

    plain = next((f for f in TABLE_FORMATS if f == fmt and f != "table"), None)
    if plain is None:
        raise UsageError([Diagnostic("error", f"--format {fmt!r}: valid are "
                                     f"{', '.join(TABLE_FORMATS)}", code="bad-option")])
    sys.stdout.write(render_text(plain, header, rows))

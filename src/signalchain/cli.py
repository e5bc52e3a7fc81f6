"""The ``signalchain`` command line: a thin typer layer over the library.

Exit codes: 0 success (warnings may be printed), 1 invalid rig or input (including
files that cannot be read or written), 2 usage error, 3 internal error (a bug),
128+N when stopped by signal N (SIGINT: 130, SIGTERM: 143).
"""

from __future__ import annotations

import functools
import math
import os
import signal
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar

import typer
from typer.core import TyperGroup

from signalchain.errors import Diagnostic, RigError, UsageError
from signalchain.textsafe import SafeConsole, json_dumps

if TYPE_CHECKING:
    from signalchain.catalog import Catalog
    from signalchain.findings import Finding

# typer re-exports only some of click's exceptions (newer typers vendor click): take the rest
# from BadParameter's ancestry, which is the same in both
# typed Any: click's exception classes are reached at run time, not through typer's stubs
_ClickUsageError: Any = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "UsageError")
_ClickException: Any = next(
    c for c in typer.BadParameter.__mro__ if c.__name__ == "ClickException")


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

out = SafeConsole(highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 120)
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


def _gate(rig_name: str, check_findings: Sequence[Finding],
          listeners: Mapping[str, Sequence[Finding]], selectors: frozenset[str],
          junit: Path | None) -> list[Finding]:
    """Write the JUnit report if asked; return the findings that fail the run."""
    from signalchain.gate import failing, junit_xml, write_junit

    if junit is not None:
        write_junit(junit, junit_xml(rig_name, check_findings, listeners, selectors))
    every = [*check_findings, *(f for fs in listeners.values() for f in fs)]
    return failing(every, selectors)


def _fail(failed: list[Finding], as_json: bool) -> None:
    if not failed:
        return
    if not as_json:
        err.print(f"failed: {len(failed)} finding{'s' * (len(failed) != 1)} match --fail-on "
                  f"({', '.join(sorted({f.code for f in failed}))})", style="bold red",
                  markup=False)
    raise typer.Exit(1)


@app.command()
@guarded
def check(rig: RigArg, as_json: JsonOpt = False, fail_on: FailOnOpt = None,
          junit: JunitOpt = None, catalog: CatalogOpt = None) -> None:
    """Check that a rig plugs together; print what connects where."""
    from signalchain.gate import grouped, needs_simulation, parse_fail_on
    from signalchain.report.simulate import finding_json, print_check
    from signalchain.rig import Rig

    selectors = parse_fail_on(fail_on or [])
    with reported_invalid(rig, as_json, junit):
        loaded = Rig.from_path(rig, catalog_for(catalog))
        result = loaded.check()
        simulated = needs_simulation(selectors) or junit is not None
        rig_findings, listeners = (grouped(result.findings, loaded.simulate()) if simulated
                                   else (result.findings, {}))
    failed = _gate(str(rig), rig_findings, listeners, selectors, junit)
    if as_json:
        print_json({"signalchain": 1, "valid": True, "rig": loaded.name,
                    "listeners": list(result.listeners), "feeds": dict(result.feeds),
                    "findings": [finding_json(f) for f in result.findings],
                    "failed": [finding_json(f) for f in failed]})
        _fail(failed, as_json)
        return
    print_check(out, loaded.built)
    print_diagnostics(loaded.built.warnings)
    n = len(result.findings)
    out.print(f"✓ {rig} is valid" + (f" ({n} warning{'s' * (n != 1)})" if n else ""),
              style="green", markup=False)
    _fail(failed, as_json)


@app.command()
@guarded
def simulate(rig: RigArg, as_json: JsonOpt = False, settings: SetOpt = None,
             quiet_assumptions: Annotated[bool, typer.Option(
                 "--brief", help="do not list the assumed values")] = False,
             fail_on: FailOnOpt = None, junit: JunitOpt = None,
             catalog: CatalogOpt = None) -> None:
    """What every listener hears: channels, polarity, SPL, hiss, hum, headroom."""
    from signalchain.gate import grouped, parse_fail_on
    from signalchain.report.simulate import evaluation_json, print_evaluation
    from signalchain.rig import Rig, parse_knob_settings

    selectors = parse_fail_on(fail_on or [])
    with reported_invalid(rig, as_json, junit):
        loaded = Rig.from_path(rig, catalog_for(catalog))
        ev = loaded.simulate(parse_knob_settings(settings or [], loaded))
        check_findings = loaded.check().findings
    failed = _gate(str(rig), *grouped(check_findings, ev), selectors, junit)
    if as_json:
        print_json(evaluation_json(ev))
        _fail(failed, as_json)
        return
    print_diagnostics(loaded.built.warnings)
    print_evaluation(out, ev, show_assumptions=not quiet_assumptions)
    _fail(failed, as_json)


@app.command()
@guarded
def netlist(
    rig: RigArg,
    listener: Annotated[str, typer.Option(help="whose drivers to probe")],
    fmt: Annotated[str, typer.Option("--format", help="only 'spice' for now")] = "spice",
    channel: Annotated[str, typer.Option(help="program channel that plays (L or R)")] = "L",
    freq: Annotated[float, typer.Option(help="AC analysis frequency, Hz")] = 1000.0,
    catalog: CatalogOpt = None,
) -> None:
    """Export the rig's passive network as a SPICE netlist (runs in ngspice -b)."""
    from signalchain.rig import Rig

    if fmt != "spice":
        raise UsageError([Diagnostic("error", f"unknown format {fmt!r}; valid: spice")])
    sys.stdout.write(Rig.from_path(rig, catalog_for(catalog)).netlist(listener, channel, freq))


def _parse_channels(text: str | None) -> tuple[int, int] | None:
    if text is None:
        return None
    try:
        a, b = (int(x) for x in text.split(","))
    except ValueError:
        raise UsageError([Diagnostic("error", f"--channels {text!r}: write two channel "
                                     "numbers like 3,4")]) from None
    return a, b


@app.command()
@guarded
def render(
    rig: RigArg,
    out_dir: Annotated[Path, typer.Option("--out", help="directory for <listener>.wav and "
                                          "summary.json")],
    program: Annotated[str | None, typer.Option(help="audio file or builtin:NAME (music, "
                                                "stereo-id, pink, sine1k, sweep)")] = None,
    seconds: Annotated[float | None, typer.Option(help="render at most this long (built-ins: "
                                                  "default 20 s)")] = None,
    normalize: Annotated[bool, typer.Option("--normalize", help="scale for comfortable "
                                            "listening instead of 1.0 = 20 Pa")] = False,
    channels: Annotated[str | None, typer.Option(help="which two channels of a multichannel "
                                                 "file, e.g. 3,4")] = None,
    force: Annotated[bool, typer.Option("--force", help="overwrite files in --out")] = False,
    settings: SetOpt = None,
    seed: Annotated[int, typer.Option(help="noise seed (renders are deterministic)")] = 0,
    catalog: CatalogOpt = None,
) -> None:
    """Render what each listener hears into audio files (and summary.json)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from signalchain.render.programs import ProgramPolicy, open_program, seconds_problem
    from signalchain.render.run import RenderStopped, check_output_dir, seed_problem
    from signalchain.render.run import render as do_render

    bad = [p for p in (seconds_problem(seconds), seed_problem(seed)) if p is not None]
    if bad:
        raise UsageError(bad)
    from signalchain.rig import Rig, parse_knob_settings

    loaded = Rig.from_path(rig, catalog_for(catalog))
    built = loaded.built
    print_diagnostics(built.warnings)
    overrides = parse_knob_settings(settings or [], loaded)
    check_output_dir(out_dir, force)
    spec = built.rig.spec
    pair = _parse_channels(channels)
    if program is not None:  # the command line may name any local file
        prog = open_program(program, spec.samplerate, seconds, pair)
    else:  # the rig file's program: stays inside the rig file's folder
        prog = open_program(spec.program, spec.samplerate, seconds, pair,
                            policy=ProgramPolicy(confine_to=Path(rig).parent),
                            location=built.rig.location("program"))
    with prog:
        for note in prog.notes:
            err.print(f"warning: {note}", markup=False)
        graph = loaded.graph
        positions = {**graph.knob_positions, **overrides}
        # a progress bar when the render should take more than about a second (~150x real time)
        show = prog.frames / prog.samplerate > 150 and sys.stderr.isatty()
        try:
            with Progress(TextColumn("rendering"), BarColumn(),
                          TextColumn("{task.percentage:>3.0f}%"), TimeRemainingColumn(),
                          console=err, disable=not show, transient=True) as bar:
                task = bar.add_task("render", total=prog.frames)
                result = do_render(graph, positions, prog, out_dir, normalize=normalize,
                                   force=force, seed=seed,
                                   progress=lambda done, _t: bar.update(task, completed=done))
        except RenderStopped as exc:  # the temporary files are already gone
            err.print(f"stopped by signal {exc.name}", markup=False)
            raise typer.Exit(128 + exc.signo) from None
    rate = result.seconds_audio / max(result.seconds_wall, 1e-9)
    out.print(f"rendered {result.seconds_audio:.1f} s of {prog.name} for "
              f"{len(result.files)} listener(s) in {result.seconds_wall:.2f} s "
              f"({rate:.0f}× real time)", markup=False)
    for who, path in result.files.items():
        ears = result.summary["render"]["listeners"][who]
        out.print(f"  {path}: left {ears['left']['rms_spl_db']} dB SPL, right "
                  f"{ears['right']['rms_spl_db']} dB SPL (RMS), clipped samples "
                  f"{ears['left']['clipped_samples']}", markup=False)
    out.print(f"  {out_dir / 'summary.json'}", markup=False)


def _parse_targets(items: list[str], listeners: list[str]) -> dict[str, float]:
    targets = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or name not in listeners:
            raise UsageError([Diagnostic("error", f"--listener {item!r}: expected NAME=SPL with "
                                         f"one of {', '.join(listeners)}")])
        try:
            level = float(value.strip().removesuffix("dB").strip())
        except ValueError:
            raise UsageError([Diagnostic("error", f"--listener {item!r}: {value!r} is not a "
                                         "level in dB SPL")]) from None
        targets[name] = finite_option(f"--listener {name}", level, 20.0, 130.0, "dB SPL")
    return targets


@app.command()
@guarded
def tune(
    rig: RigArg,
    target_spl: Annotated[float, typer.Option(help="program level at every ear, dB SPL "
                                              "(1 kHz at -18 dBFS RMS)")] = 80.0,
    listener: Annotated[list[str] | None, typer.Option(
        help="per-listener target NAME=SPL; repeatable")] = None,
    headroom_db: Annotated[float, typer.Option(help="no stage may clip below 0 dBFS minus "
                                               "this")] = 3.0,
    as_json: JsonOpt = False,
    write: Annotated[bool, typer.Option("--write", help="store the settings in the rig file "
                                        "(comments are kept)")] = False,
    catalog: CatalogOpt = None,
) -> None:
    """Find where to set every knob: each listener at target, least hiss, enough headroom."""
    from signalchain.io import check_output_file
    from signalchain.report.tune import print_tune, tune_json
    from signalchain.rig import Rig
    from signalchain.rigfile import write_knob_positions

    if not 20.0 <= target_spl <= 130.0:
        raise UsageError([Diagnostic("error", f"--target-spl {target_spl:g} is outside "
                                     "20..130 dB SPL")])
    if not 0.0 <= headroom_db <= 40.0:
        raise UsageError([Diagnostic("error", f"--headroom-db {headroom_db:g} is outside "
                                     "0..40 dB")])
    if write:  # before reading: never a device, FIFO or read-only file
        check_output_file(rig, force=True)
    with reported_invalid(rig, as_json, None):
        loaded = Rig.from_path(rig, catalog_for(catalog))
        built = loaded.built
    if not as_json:
        print_diagnostics(built.warnings)
    targets = _parse_targets(listener or [], list(loaded.listeners))
    result = loaded.tune(target_spl, targets, headroom_db)
    if write:
        write_knob_positions(rig, dict(result.knobs))
    if as_json:
        print_json(tune_json(result))
        return
    print_tune(out, result)
    if write:
        out.print(f"wrote the knob positions into {rig}", markup=False)


@app.command()
@guarded
def advise(
    rig: RigArg,
    priority: Annotated[str, typer.Option(help="quality (least hiss) or convenience "
                                          "(physical knob, fewer items)")] = "quality",
    length: Annotated[str, typer.Option(help="length of the interface-to-amp cable, e.g. "
                                        "'3 m' or '10 ft'")] = "3 m",
    target_spl: Annotated[float, typer.Option(help="listening level used for tuning, dB "
                                              "SPL")] = 80.0,
    as_json: JsonOpt = False,
    write_rig: Annotated[Path | None, typer.Option("--write-rig", help="write the "
                                                   "recommended method as a rig file")] = None,
    force: Annotated[bool, typer.Option("--force", help="overwrite --write-rig's "
                                        "file")] = False,
    catalog: CatalogOpt = None,
) -> None:
    """Rank every sensible way to connect the rig's devices (its connections are ignored)."""
    from signalchain.advise import LENGTH_RANGE_M, PRIORITIES, TARGET_RANGE_DB
    from signalchain.io import check_output_file, write_text_atomic
    from signalchain.report.advice import advice_json, print_advice, rig_header
    from signalchain.rig import Rig
    from signalchain.rigfile import rig_text
    from signalchain.units import parse_length_m

    if priority not in PRIORITIES:
        raise UsageError([Diagnostic("error", f"--priority {priority!r}: valid are "
                                     f"{', '.join(PRIORITIES)}")])
    try:
        length_m = parse_length_m(length)
    except ValueError as exc:
        raise UsageError([Diagnostic("error", f"--length: {exc}")]) from None
    finite_option("--length", length_m, *LENGTH_RANGE_M, "m")
    finite_option("--target-spl", target_spl, *TARGET_RANGE_DB, "dB SPL")
    if write_rig is not None:  # never a device, FIFO, directory or read-only file; an
        check_output_file(write_rig, force=force)  # existing file only with --force
    with reported_invalid(rig, as_json, None):
        loaded = Rig.from_path(rig, catalog_for(catalog))
        loaded.resolved  # noqa: B018 -- unknown ids are reported here, as JSON with --json
    advice = loaded.advise(priority=priority, length_m=length_m, target_spl_db=target_spl)
    if write_rig is not None and advice.best is not None:
        text = rig_text(advice.rig_for(advice.best), rig_header(advice, advice.best))
        write_text_atomic(write_rig, text, force=force)
    if as_json:
        print_json(advice_json(advice))
        return
    print_advice(out, advice)
    if write_rig is not None:
        out.print(f"wrote the recommended method to {write_rig}", markup=False)


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
    catalog: CatalogOpt = None,
) -> None:
    """List catalog entries (bundled and your own, with where each comes from)."""
    from signalchain.report.catalog import catalog_rows, catalog_table

    cat = catalog_for(catalog)
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


def main() -> None:
    """Console-script entry point."""
    app()


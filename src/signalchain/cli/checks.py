"""``check``, ``simulate`` and ``netlist``: is the rig sound, what does everyone hear."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from signalchain.cli.app import app
from signalchain.cli.common import (
    CatalogOpt,
    FailOnOpt,
    FormatOpt,
    JsonOpt,
    JunitOpt,
    RecordTargetOpt,
    RigArg,
    SetOpt,
    catalog_for,
    err,
    guarded,
    out,
    print_diagnostics,
    print_json,
    print_table,
    record_target,
    reported_invalid,
)
from signalchain.errors import Diagnostic, UsageError

if TYPE_CHECKING:
    from signalchain.findings import Finding


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
    from signalchain.report.messages import finding_diagnostic
    from signalchain.report.simulate import check_json, print_check
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
        print_json(check_json(loaded.name, result, failed))
        _fail(failed, as_json)
        return
    print_check(out, loaded.built)
    print_diagnostics([finding_diagnostic(f) for f in result.findings])
    counts = Counter("error" if f.severity == "error" else "warning" for f in result.findings)
    said = ", ".join(f"{counts[s]} {s}{'s' * (counts[s] != 1)}" for s in ("error", "warning")
                     if counts[s])
    out.print(f"✓ {rig} is valid" + (f" ({said})" if said else ""), style="green",
              markup=False)
    _fail(failed, as_json)


@app.command()
@guarded
def simulate(rig: RigArg, as_json: JsonOpt = False, settings: SetOpt = None,
             quiet_assumptions: Annotated[bool, typer.Option(
                 "--brief", help="do not list the assumed values")] = False,
             fail_on: FailOnOpt = None, junit: JunitOpt = None,
             fmt: FormatOpt = "table", record_target_dbfs: RecordTargetOpt = -18.0,
             catalog: CatalogOpt = None) -> None:
    """What every listener hears (channels, SPL, hiss, hum, headroom); what inputs record."""
    from signalchain.gate import grouped, parse_fail_on
    from signalchain.report.simulate import (
        LISTENER_HEADER,
        evaluation_json,
        listener_rows,
        print_evaluation,
    )
    from signalchain.rig import Rig, parse_knob_settings

    selectors = parse_fail_on(fail_on or [])
    target = record_target(record_target_dbfs)
    with reported_invalid(rig, as_json, junit):
        loaded = Rig.from_path(rig, catalog_for(catalog))
        ev = loaded.simulate(parse_knob_settings(settings or [], loaded), record_target_dbfs=target)
        check_findings = loaded.check().findings
    failed = _gate(str(rig), *grouped(check_findings, ev), selectors, junit)
    if as_json:
        print_json(evaluation_json(ev))
        _fail(failed, as_json)
        return
    print_diagnostics(loaded.built.warnings)
    if fmt != "table":  # the per-ear table for a document or a spreadsheet
        print_table(fmt, LISTENER_HEADER, listener_rows(ev))
    else:
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

"""``tune`` and ``advise``: where to set the knobs, and which way to wire the gear."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from signalchain.cli.app import app
from signalchain.cli.common import (
    CatalogOpt,
    FormatOpt,
    JsonOpt,
    RecordTargetOpt,
    RigArg,
    catalog_for,
    finite_option,
    guarded,
    out,
    print_diagnostics,
    print_json,
    print_table,
    record_target,
    reported_invalid,
)
from signalchain.errors import Diagnostic, UsageError


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
    record_target_dbfs: RecordTargetOpt = -18.0,
    catalog: CatalogOpt = None,
) -> None:
    """Find where to set every knob: input gains, then each listener at target, least hiss."""
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
    result = loaded.tune(target_spl, targets, headroom_db, record_target(record_target_dbfs))
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
    fmt: FormatOpt = "table",
    write_rig: Annotated[Path | None, typer.Option("--write-rig", help="write the "
                                                   "recommended method as a rig file")] = None,
    force: Annotated[bool, typer.Option("--force", help="overwrite --write-rig's "
                                        "file")] = False,
    catalog: CatalogOpt = None,
) -> None:
    """Rank every sensible way to connect the rig's devices (its connections are ignored)."""
    from signalchain.advise import LENGTH_RANGE_M, PRIORITIES, TARGET_RANGE_DB
    from signalchain.io import check_output_file, write_text_atomic
    from signalchain.report.advice import (
        ADVICE_HEADER,
        advice_json,
        advice_rows,
        print_advice,
        rig_header,
    )
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
    if fmt != "table":  # the ranking for a document or a spreadsheet
        print_table(fmt, ADVICE_HEADER, advice_rows(advice))
    else:
        print_advice(out, advice)
    if write_rig is not None:
        out.print(f"wrote the recommended method to {write_rig}", markup=False)

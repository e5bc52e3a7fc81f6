"""``render``: what each listener hears, as audio files."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from signalchain.cli.app import app
from signalchain.cli.common import (
    CatalogOpt,
    RigArg,
    SetOpt,
    catalog_for,
    err,
    guarded,
    out,
    print_diagnostics,
)
from signalchain.errors import Diagnostic, UsageError


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
    program: Annotated[str | None, typer.Option(
        help="audio file or builtin:NAME (music, speech, silence, stereo-id, pink, sine1k, "
        "sweep)")] = None,
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

    from signalchain.render.output import check_output_dir
    from signalchain.render.programs import ProgramPolicy, open_program, seconds_problem
    from signalchain.render.run import RenderStopped, seed_problem
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

"""``signalchain render``: stream a program through a rig into one WAV per listener."""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf

from signalchain import thresholds as th
from signalchain import units
from signalchain.errors import OutputExistsError, error_at
from signalchain.evaluate import Evaluation, evaluate
from signalchain.graph import SignalGraph
from signalchain.io import write_text_atomic
from signalchain.render.engine import PA_PER_SAMPLE, Renderer
from signalchain.render.programs import Program

BLOCK = 48000


@dataclass
class RenderResult:
    """What a render wrote and measured."""

    files: dict[str, Path]
    summary: dict[str, Any]
    seconds_audio: float
    seconds_wall: float


def check_output_dir(out_dir: Path, force: bool) -> None:
    """Refuse to write into an existing, non-empty directory unless ``force``."""
    if out_dir.exists() and not out_dir.is_dir():
        raise OutputExistsError([error_at(f"{out_dir} exists and is not a directory",
                                          code="exists")])
    if out_dir.exists() and any(out_dir.iterdir()) and not force:
        raise OutputExistsError([error_at(f"{out_dir} already exists and is not empty",
                                          hint="choose another --out or pass --force to "
                                          "overwrite the files in it", code="exists")])


def normalise_gain(ev: Evaluation) -> float:
    """One gain for all files so the loudest listener's reference program sits at −18 dBFS."""
    loudest = max((lf.program_spl_db for lf in ev.listeners), default=-np.inf)
    if not np.isfinite(loudest):
        return 1.0
    sample_rms = float(units.spl_to_pa(loudest)) / PA_PER_SAMPLE
    return float(units.from_db(th.REFERENCE_DBFS)) / np.sqrt(2) / sample_rms


def render(graph: SignalGraph, positions: dict[str, float], program: Program, out_dir: Path,
           *, normalize: bool = False, force: bool = False, seed: int = 0,
           progress: Callable[[int, int], None] | None = None) -> RenderResult:
    """Render ``program`` through the rig; write ``<listener>.wav`` and ``summary.json``.

    Files are written to temporary names and renamed only when the render has
    finished, so an error (e.g. NaN samples in the program) leaves nothing half-done.
    """
    check_output_dir(out_dir, force)
    out_dir.mkdir(parents=True, exist_ok=True)
    ev = evaluate(graph, positions)
    engine = Renderer.from_graph(graph, positions, program.samplerate, seed=seed)
    gain = normalise_gain(ev) if normalize else 1.0
    temps: dict[str, str] = {}
    writers: dict[str, sf.SoundFile] = {}
    t0 = time.perf_counter()
    done = 0
    try:
        for who in engine.listener_ears:
            fd, tmp = tempfile.mkstemp(prefix=f".{who}.", suffix=".wav.tmp", dir=out_dir)
            os.close(fd)
            temps[who] = tmp
            writers[who] = sf.SoundFile(tmp, "w", program.samplerate, 2, subtype="FLOAT",
                                        format="WAV")
        for block in program.blocks(BLOCK):
            ears = engine.process(block)
            for who, audio in ears.items():
                writers[who].write(audio * gain if normalize else audio)
            done += len(block)
            if progress:
                progress(done, program.frames)
        for w in writers.values():
            w.close()
        files = {}
        for who, tmp in temps.items():
            final = out_dir / f"{who}.wav"
            os.replace(tmp, final)
            files[who] = final
    except BaseException:
        for w in writers.values():
            if not w.closed:
                w.close()
        for tmp in temps.values():
            Path(tmp).unlink(missing_ok=True)
        raise
    wall = time.perf_counter() - t0
    summary = ev.to_json()
    summary["render"] = {
        "program": program.name, "samplerate": program.samplerate,
        "seconds": round(done / program.samplerate, 3), "normalized": normalize,
        "normalize_gain_db": round(float(units.db(gain)), 2) if normalize else None,
        "calibration": "sample value 1.0 = 20 Pa" if not normalize else
        "scaled for listening; levels below are physical (before scaling)",
        "notes": program.notes,
        "listeners": {who: {"left": st[0].summary(), "right": st[1].summary()}
                      for who, st in engine.stats.items()},
    }
    write_text_atomic(out_dir / "summary.json", json.dumps(summary, indent=2) + "\n",
                      force=True)
    return RenderResult(files, summary, done / program.samplerate, wall)

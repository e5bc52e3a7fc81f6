"""``signalchain render``: stream a program through a rig into one WAV per listener.

The output directory is the user's: a render writes into it only under an
exclusive ``flock`` on the directory itself (so two renders cannot write into
one directory at once), refuses a non-empty directory unless forced, writes
every file under a temporary name (``.<name>.<16 hex digits>.signalchain-tmp``)
and renames the files only when all of them are complete. An error or a signal
removes the temporary files; one left behind by a render that was killed
outright (SIGKILL, a power cut) is removed by the next render into the
directory, which can tell it is stale because nobody holds the lock.
"""

from __future__ import annotations

import json
import math
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np

from signalchain import thresholds as th
from signalchain import units
from signalchain.errors import (
    Diagnostic,
    RigTopologyError,
    RigValidationError,
    UsageError,
    error_at,
)
from signalchain.evaluate import evaluate
from signalchain.graph import SignalGraph
from signalchain.render.engine import PA_PER_SAMPLE, Renderer
from signalchain.render.output import (  # noqa: F401 -- re-exported for callers of render
    MAX_NAME_BYTES,
    OutputDir,
    RenderOutputError,
    check_output_dir,
)
from signalchain.render.programs import Program
from signalchain.results import Evaluation

BLOCK = 48000
"""Frames per block at 48 kHz and above; one second at lower rates (the engine's maximum)."""
SEED_MAX = 2**63 - 1
_STOP_SIGNALS = tuple(
    getattr(signal, name) for name in (
        "SIGHUP", "SIGINT", "SIGQUIT", "SIGTERM", "SIGUSR1", "SIGUSR2", "SIGALRM",
        "SIGVTALRM", "SIGPROF", "SIGXCPU", "SIGXFSZ", "SIGIO", "SIGPWR", "SIGSTKFLT",
        "SIGPIPE") if hasattr(signal, name)
) + tuple(range(signal.SIGRTMIN, signal.SIGRTMAX + 1) if hasattr(signal, "SIGRTMIN") else ())
"""Catchable signals whose default action ends the process."""


class RenderStopped(BaseException):
    """A signal that would have ended the process arrived during a render.

    The render's temporary files are removed before this propagates; a command
    line should exit with ``128 + signo``.
    """

    def __init__(self, signo: int):
        super().__init__(signo)
        self.signo = signo

    @property
    def name(self) -> str:
        """The signal's name, e.g. ``SIGTERM``."""
        try:
            return signal.Signals(self.signo).name
        except ValueError:
            return f"signal {self.signo}"


@dataclass
class RenderResult:
    """What a render wrote and measured."""

    files: dict[str, Path]
    summary: dict[str, Any]
    seconds_audio: float
    seconds_wall: float


def seed_problem(seed: object) -> Diagnostic | None:
    """Why ``seed`` cannot seed the render's noise, or None if it can (an int in 0..2**63−1)."""
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) \
            or not 0 <= int(seed) <= SEED_MAX:
        return error_at(f"--seed {seed}: give a whole number from 0 to {SEED_MAX} (2**63-1)",
                        code="bad-seed")
    return None




# ---- signals ---------------------------------------------------------------------------------


class _StopOnSignals:
    """While rendering (main thread only), turn every catchable ending signal into an exception.

    A signal with Python's or the caller's handler (SIGINT's KeyboardInterrupt, a
    CLI's SIGTERM handler) still goes to that handler; one with the default action
    raises :class:`RenderStopped`; an ignored one stays ignored. Once one has
    raised, later signals are held off until the clean-up is done. The previous
    handlers are restored on exit.
    """

    def __init__(self) -> None:
        self.previous: dict[int, Any] = {}
        self.stopping = False

    def __enter__(self) -> _StopOnSignals:
        if threading.current_thread() is not threading.main_thread():
            return self
        for signo in _STOP_SIGNALS:
            try:
                before = signal.getsignal(signo)
                if before is None or before == signal.SIG_IGN:
                    continue  # ignored on purpose (nohup), or set outside Python
                signal.signal(signo, self._handle)
            except (OSError, ValueError):
                continue
            self.previous[signo] = before
        return self

    def _handle(self, signo: int, frame: FrameType | None) -> None:
        if self.stopping:
            return
        before = self.previous.get(signo)
        if callable(before):
            try:
                before(signo, frame)
            except BaseException:
                self.stopping = True
                raise
            return
        self.stopping = True
        raise RenderStopped(signo)

    def __exit__(self, *exc: object) -> None:
        for signo, before in self.previous.items():
            signal.signal(signo, before)
        self.previous.clear()


# ---- the render ------------------------------------------------------------------------------


def normalise_gain(ev: Evaluation) -> float:
    """One gain for all files so the loudest listener's reference program sits at −18 dBFS."""
    loudest = max((lf.program_spl_db for lf in ev.listeners), default=-np.inf)
    if not np.isfinite(loudest):
        return 1.0
    sample_rms = float(units.spl_to_pa(loudest)) / PA_PER_SAMPLE
    return float(units.from_db(th.REFERENCE_DBFS)) / math.sqrt(2) / sample_rms


def _name_problem(name: str) -> str | None:
    if not name or name in (".", ".."):
        return "it is empty or a directory name"
    if name.startswith("."):
        return "it would be a hidden file"
    if any(c in name for c in "/\\\0") or any(ord(c) < 32 or ord(c) == 127 for c in name):
        return "it contains a path separator or a control character"
    if len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        return f"it is longer than {MAX_NAME_BYTES} bytes"
    return None


RECORDING_FILE = "recording.wav"
"""What the computer records (one channel per recording input), next to the listeners'."""


def output_files(graph: SignalGraph) -> dict[str, str]:
    """Each listener's output file name (``<listener>.wav``), checked to stay inside --out.

    Raises
    ------
    RigTopologyError
        If the rig has no listeners (headphones), so there is nothing to render.
    RigValidationError
        If a listener's id cannot be a plain file name in the output directory.
    """
    rig = graph.built.rig
    listeners = list(dict.fromkeys(who for who, _ in graph.ears))
    if not listeners:
        raise RigTopologyError([error_at(
            "the rig has no listeners (headphones): there is nothing to render",
            rig.location("devices"), hint="add headphones under 'devices:' and plug them "
            "in (e.g. '- {plug: alice, into: amp.out1}' under 'connections:')",
            code="no-listeners")])
    files = {}
    for who in listeners:
        name = f"{who}.wav"
        reason = _name_problem(name)
        if reason is None and name == RECORDING_FILE and graph.preamps:
            reason = f"{RECORDING_FILE} is the recording's file"
        if reason is None and Path(name).name != name:
            reason = "it is not a plain file name"
        if reason is not None:
            raise RigValidationError([error_at(
                f"listener {who!r} cannot name its file in the output directory: {reason}",
                rig.location("devices", who), hint="rename the headphones in the rig using "
                "letters, digits, '-' and '_' (e.g. alice)", code="bad-file-name")])
        files[who] = name
    return files


def render(graph: SignalGraph, positions: dict[str, float], program: Program, out_dir: Path,
           *, normalize: bool = False, force: bool = False, seed: int = 0,
           progress: Callable[[int, int], None] | None = None) -> RenderResult:
    """Render ``program`` through the rig; write ``<listener>.wav`` and ``summary.json``.

    Files are written to temporary names in ``out_dir`` and renamed only when the
    render has finished, so an error (e.g. NaN samples in the program), an
    exception or a signal leaves nothing half-done. The directory is locked for
    the whole render.

    Parameters
    ----------
    graph : SignalGraph
        The compiled rig.
    positions : dict
        Knob positions (``device.knob`` → 0..1).
    program : Program
        What to play, at the render rate (see :func:`~signalchain.render.programs.open_program`).
        It is read once and not closed here.
    out_dir : Path
        The output directory (created if missing).
    normalize : bool
        Scale the files for listening instead of sample 1.0 = 20 Pa.
    force : bool
        Write into a non-empty directory, replacing files of the same names.
    seed : int
        Noise seed, 0..2**63−1 (renders are deterministic).
    progress : callable, optional
        Called with (frames done, frames total) after each block.

    Raises
    ------
    RigError
        Bad input: no listeners, an unusable seed, a program that cannot be read,
        an output directory that is not empty, busy or cannot be written (OS errors
        become :class:`RenderOutputError` naming the path and the reason).
    RenderStopped
        A signal that would have ended the process arrived (main thread only); the
        temporary files are gone.
    """
    problem = seed_problem(seed)
    if problem is not None:
        raise UsageError([problem])
    out_dir = Path(out_dir)
    files = output_files(graph)
    ev = evaluate(graph, positions)
    engine = Renderer.from_graph(graph, positions, program.samplerate, seed=int(seed))
    gain = normalise_gain(ev) if normalize else 1.0
    block = max(1, min(BLOCK, program.samplerate))
    need_bytes = program.frames * 8 * len(files) + program.frames * 4 * len(graph.preamps)
    t0 = time.perf_counter()
    done = 0
    with _StopOnSignals(), OutputDir(out_dir, force, create=True,
                                      need_bytes=need_bytes) as od:
        writers = {who: od.wav(files[who], program.samplerate) for who in engine.listener_ears}
        recorder = engine.recorder
        recording = (od.wav(RECORDING_FILE, program.samplerate, len(recorder.slots))
                     if recorder is not None else None)
        for chunk in program.blocks(block):
            ears = engine.process(chunk)
            for who, audio in ears.items():
                writers[who].write(audio * gain if normalize else audio)
            if recording is not None and recorder is not None:
                recording.write(recorder.last)
            done += len(chunk)
            if progress:
                progress(done, program.frames)
        wall = time.perf_counter() - t0
        from signalchain.report.simulate import evaluation_json

        summary = evaluation_json(ev)
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
        if recorder is not None:  # what the computer records (dBFS, never normalized)
            summary["render"]["recording"] = {
                "file": RECORDING_FILE, "calibration": "dBFS: sample value 1.0 = full scale",
                "inputs": [{"id": i, "channel": c, **st.summary()} for i, c, st in
                           zip(recorder.ids, recorder.channels, recorder.stats, strict=True)]}
        od.write_bytes("summary.json", (json.dumps(summary, indent=2) + "\n").encode())
        od.commit()
    return RenderResult({who: out_dir / name for who, name in files.items()}, summary,
                        done / program.samplerate, wall)

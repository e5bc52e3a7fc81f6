"""Programs: the built-in deterministic test signals and audio files, read in blocks.

Levels use the AES17 convention: a full-scale sine is 0 dBFS, so a signal at
−18 dBFS RMS has an RMS of ``10**(-18/20) / sqrt(2)`` in sample units.

A program named in a rig file is untrusted input. :func:`open_program` takes a
:class:`ProgramPolicy` saying which files may be opened: any local file (the
command line's ``--program``), files inside one folder (a rig file's
``program:``), or only an explicit allow-list (a web page). Whatever the policy,
only regular files are read: a FIFO, a device, a directory or a socket is
refused before anything is read from it.
"""

from __future__ import annotations

import fcntl
import math
import os
import stat
import weakref
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from signalchain import limits
from signalchain.arrays import Float32Array, FloatArray
from signalchain.errors import Diagnostic, Location, ProgramError, error_at
from signalchain.render import synth

REFERENCE_RMS = 10 ** (-18 / 20) / math.sqrt(2)  # -18 dBFS RMS in sample units
BUILTINS = ("music", "speech", "silence", "stereo-id", "pink", "sine1k", "sweep")
DEFAULT_BUILTIN_SECONDS = 20.0
MIN_RATE, MAX_RATE = 8000, 384000
READ_SAMPLES = 1 << 20
"""Most samples (frames × file channels) read from a file at once: 4 MB of float32."""
MAX_SAMPLE = 1000.0
"""Largest program sample accepted (+60 dBFS): beyond it a file is broken, not loud."""
LIMIT_HINT = "raise the limit with 'signalchain --limit {name}=N'"


class _Source(Protocol):
    def blocks(self, block: int, frames: int) -> Iterator[Float32Array]: ...


@dataclass
class Program:
    """A stereo program: a block iterator at ``samplerate``.

    ``frames`` is the total length (a file may turn out shorter); ``blocks(n)``
    yields float32 arrays of shape (≤n, 2) in sample units (full scale = 1.0).
    A program read from a file holds the file open until :meth:`close` (or the
    end of a ``with`` block); read it in one pass at a time.
    """

    name: str
    samplerate: int
    frames: int
    source: _Source
    notes: list[str] = field(default_factory=list)

    def blocks(self, block: int) -> Iterator[Float32Array]:
        """Yield the program in blocks of at most ``block`` frames (``block`` ≥ 1)."""
        if block < 1:
            raise ValueError(f"block size must be at least 1 frame, not {block}")
        for chunk in self.source.blocks(block, self.frames):
            for start in range(0, len(chunk), block):  # a resampler may return more
                yield chunk[start:start + block]

    def close(self) -> None:
        """Release the file behind the program, if any (idempotent)."""
        close = getattr(self.source, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> Program:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _program_error(message: str, location: Location | None = None, hint: str = "",
                   code: str = "program") -> ProgramError:
    return ProgramError([error_at(message, location, hint=hint, code=code)])


def seconds_problem(seconds: float | None, option: str = "--seconds") -> Diagnostic | None:
    """Why ``seconds`` cannot be a render length, or None if it can.

    A length must be finite, above 0 and at most ``limits.current().render_seconds``.

    Parameters
    ----------
    seconds : float or None
        The requested length in seconds; None (the program's own length) is fine.
    option : str
        How to name the value in the message.

    Returns
    -------
    Diagnostic or None
        An error naming the value, the valid range and the fix.
    """
    if seconds is None:
        return None
    cap_s = limits.current().render_seconds
    if not (math.isfinite(seconds) and seconds > 0):
        return error_at(f"{option} {seconds:g} is not a length: give a number of seconds "
                        f"above 0 and at most {cap_s:g}", code="bad-seconds")
    if seconds > cap_s:
        return error_at(f"{option} {seconds:g} is longer than the render-seconds limit "
                        f"({cap_s:g} s)", code="limit",
                        hint="render a shorter part, or "
                        + LIMIT_HINT.format(name="render-seconds"))
    return None


class _Loop:
    """A precomputed stereo table played from the start and repeated as needed."""

    def __init__(self, table: FloatArray):
        self.table = np.ascontiguousarray(table, dtype=np.float32)

    def blocks(self, block: int, frames: int) -> Iterator[Float32Array]:
        n = len(self.table)
        pos = 0
        while pos < frames:
            count = min(block, frames - pos)
            start = pos % n
            if start + count <= n:
                yield self.table[start:start + count]
            else:
                idx = (np.arange(count) + start) % n
                yield self.table[idx]
            pos += count




_TABLES = {"music": synth.music, "speech": synth.speech, "silence": synth.silence,
           "stereo-id": synth.stereo_id, "pink": synth.pink, "sine1k": synth.sine,
           "sweep": synth.sweep}


@lru_cache(maxsize=8)
def _table(name: str, samplerate: int) -> FloatArray:
    table = _TABLES[name](samplerate)
    table.setflags(write=False)
    return table


def builtin(name: str, samplerate: int, seconds: float | None = None) -> Program:
    """A built-in program (deterministic): one of :data:`BUILTINS`.

    Parameters
    ----------
    name : str
        One of :data:`BUILTINS` (without the ``builtin:`` prefix).
    samplerate : int
        Sample rate to generate at, in Hz.
    seconds : float, optional
        Length; the default is 20 s (or the render-seconds limit, if lower).

    Raises
    ------
    ProgramError
        For an unknown name or a length that :func:`seconds_problem` refuses.
    """
    if name not in _TABLES:
        raise _program_error(f"unknown built-in program {name!r}; valid: "
                             f"{', '.join('builtin:' + b for b in BUILTINS)}")
    problem = seconds_problem(seconds)
    if problem is not None:
        raise ProgramError([problem])
    if seconds is None:
        seconds = min(DEFAULT_BUILTIN_SECONDS, limits.current().render_seconds)
    table = _table(name, samplerate)
    return Program(f"builtin:{name}", samplerate, max(1, int(round(seconds * samplerate))),
                   _Loop(table), [])


def _release(snd: Any, fd: int) -> None:
    try:
        snd.close()
    finally:
        os.close(fd)


class _FileSource:
    """Reads an open audio file in bounded blocks, picks two channels, resamples with soxr."""

    def __init__(self, snd: Any, fd: int, name: str, channels: tuple[int, int] | None,
                 rate_out: int):
        self.snd = snd
        self.name = name
        self.channels = channels
        self.rate_out = rate_out
        self._release = weakref.finalize(self, _release, snd, fd)

    def close(self) -> None:
        self._release()

    def blocks(self, block: int, frames: int) -> Iterator[Float32Array]:
        import soxr

        if not self._release.alive:
            raise ValueError(f"program {self.name} is closed")
        rate_in = self.snd.samplerate
        resampler = (soxr.ResampleStream(rate_in, self.rate_out, 2, dtype="float32")
                     if rate_in != self.rate_out else None)
        produced = 0
        in_block = int(block * rate_in / self.rate_out)
        in_block = max(256, min(in_block, READ_SAMPLES // self.snd.channels))
        self._seek_start()
        while produced < frames:
            raw = self._read(in_block)
            if not len(raw):
                break
            stereo = self._select(raw)
            if not (np.abs(stereo) <= MAX_SAMPLE).all():  # NaN fails this too
                if not np.isfinite(stereo).all():
                    raise _program_error(f"{self.name} contains NaN or infinite samples",
                                         hint="re-export the file")
                raise _program_error(f"{self.name} has samples more than 60 dB above full "
                                     f"scale (|x| > {MAX_SAMPLE:g})",
                                     hint="normalize the file to full scale (1.0), or "
                                     "re-export it")
            out = resampler.resample_chunk(stereo) if resampler else stereo
            if len(out):
                out = out[:frames - produced]
                produced += len(out)
                yield out
        if resampler is not None and produced < frames:
            tail = resampler.resample_chunk(np.zeros((0, 2), np.float32), last=True)
            if len(tail):
                yield tail[:frames - produced]

    def _seek_start(self) -> None:
        try:
            if self.snd.tell() != 0:
                self.snd.seek(0)
        except (RuntimeError, ValueError) as exc:
            raise _program_error(f"cannot read {self.name} again from the start: "
                                 f"{_sf_reason(exc)}") from None

    def _read(self, frames: int) -> Float32Array:
        # our own loop, not SoundFile.blocks: a header that claims more frames than the file
        # holds would make that yield empty blocks for ever
        try:
            samples: Float32Array = self.snd.read(frames, dtype="float32", always_2d=True)
        except (RuntimeError, ValueError) as exc:
            raise _program_error(f"cannot read {self.name}: {_sf_reason(exc)}") from None
        return samples

    def _select(self, raw: Float32Array) -> Float32Array:
        if raw.shape[1] == 1:
            return np.repeat(raw, 2, axis=1)
        a, b = self.channels or (1, 2)
        return np.ascontiguousarray(raw[:, [a - 1, b - 1]])


def _sf_reason(exc: BaseException) -> str:
    text = getattr(exc, "error_string", "") or str(exc)
    return text.strip().rstrip(".") or type(exc).__name__


_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def _not_regular(mode: int) -> str | None:
    """What a non-regular file is ("a directory" ...), or None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((what for test, what in _KINDS if test(mode)), "not a regular file")


def _open_regular(path: Path, name: str, location: Location | None) -> int:
    """Open a regular file for reading without blocking on FIFOs or devices.

    The path is checked with ``stat`` first (nothing is opened if it is not a
    regular file), opened with ``O_NONBLOCK | O_NOCTTY`` and checked again with
    ``fstat`` (it may have been replaced in between).
    """
    hint = ("give an audio file (WAV, FLAC, OGG, AIFF ...) or builtin:NAME "
            f"({', '.join(BUILTINS)})")
    try:
        what = _not_regular(os.stat(path).st_mode)
        if what is None:
            fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC)
            try:
                what = _not_regular(os.fstat(fd).st_mode)
                if what is None:
                    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
                    fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~os.O_NONBLOCK)
                    return fd
            except BaseException:
                os.close(fd)
                raise
            os.close(fd)
    except FileNotFoundError:
        raise _program_error(f"program file not found: {name}", location, hint) from None
    except OSError as exc:
        raise _program_error(f"cannot open program {name}: {exc.strerror or exc}", location,
                             "check the path and its permissions") from None
    raise _program_error(f"program {name} is {what}, not a regular file", location, hint)


def from_file(path: Path | str, samplerate: int, seconds: float | None = None,
              channels: tuple[int, int] | None = None, *, name: str | None = None,
              location: Location | None = None) -> Program:
    """A program read from a regular file soundfile can open (WAV, FLAC, OGG, AIFF ...).

    The file is opened here and stays open until the program is closed. Any
    sample rate from 8 to 384 kHz is resampled (soxr, streaming) to ``samplerate``;
    a mono file feeds both channels.

    Parameters
    ----------
    path : Path or str
        The file (no policy is applied here: see :func:`open_program`).
    samplerate : int
        The render rate in Hz.
    seconds : float, optional
        Read at most this long. Without it, a file longer than the render-seconds
        limit is refused.
    channels : (int, int), optional
        Which two channels (1-based) of a multichannel file; default 1 and 2.
    name : str, optional
        How messages name the file (default: the path).
    location : Location, optional
        Where the program was named (a rig file's ``program:``), for messages.

    Raises
    ------
    ProgramError
        If the file is missing, not a regular file, not audio, empty, at an unusable
        rate, has too many channels (the program-channels limit) or is too long.
    """
    import soundfile as sf

    name = str(path) if name is None else name
    problem = seconds_problem(seconds)
    if problem is not None:
        raise ProgramError([problem])
    fd = _open_regular(Path(path), name, location)
    try:
        snd = sf.SoundFile(fd, closefd=False)
    except (RuntimeError, ValueError, TypeError, OSError) as exc:
        os.close(fd)
        raise _program_error(f"cannot read {name} as audio: {_sf_reason(exc)}", location,
                             "use WAV, FLAC, OGG or AIFF") from None
    source = _FileSource(snd, fd, name, channels, samplerate)
    try:
        return Program(name, samplerate, _file_frames(snd, name, samplerate, seconds,
                                                      channels, location),
                       source, _file_notes(snd, name, channels))
    except BaseException:
        source.close()
        raise


def _file_frames(snd: Any, name: str, samplerate: int, seconds: float | None,
                 channels: tuple[int, int] | None, location: Location | None) -> int:
    """Check a just-opened file's header; return how many frames to render."""
    lim = limits.current()
    if snd.frames <= 0:
        raise _program_error(f"{name} is empty (no samples)", location)
    if not MIN_RATE <= snd.samplerate <= MAX_RATE:
        raise _program_error(f"{name} has an unusable sample rate ({snd.samplerate} Hz); "
                             f"expected {MIN_RATE}..{MAX_RATE} Hz", location)
    if snd.channels > lim.program_channels:
        raise _program_error(f"{name} has {snd.channels} channels, more than the "
                             f"program-channels limit ({lim.program_channels})", location,
                             "export the two channels to play, or "
                             + LIMIT_HINT.format(name="program-channels"), code="limit")
    if channels is not None:
        if any(not 1 <= c <= snd.channels for c in channels):
            raise _program_error(f"--channels {channels[0]},{channels[1]}: {name} has "
                                 f"{snd.channels} channel(s)", location)
    file_s = snd.frames / snd.samplerate
    if seconds is None and file_s > lim.render_seconds:
        raise _program_error(f"{name} is {_duration(file_s)} long, longer than the "
                             f"render-seconds limit ({lim.render_seconds:g} s)", location,
                             f"render part of it with --seconds N (at most "
                             f"{lim.render_seconds:g}), or "
                             + LIMIT_HINT.format(name="render-seconds"), code="limit")
    total_s = file_s if seconds is None else min(file_s, seconds)
    return max(1, int(total_s * samplerate))


def _file_notes(snd: Any, name: str, channels: tuple[int, int] | None) -> list[str]:
    if channels is None and snd.channels > 2:
        return [f"{Path(name).name} has {snd.channels} channels; using 1 and 2 "
                "(choose others with --channels A,B)"]
    return []


def _duration(seconds: float) -> str:
    if seconds < 3600:
        return f"{seconds:.0f} s"
    return f"{seconds / 3600:.1f} h ({seconds:.0f} s)"


@dataclass(frozen=True)
class ProgramPolicy:
    """Which audio files :func:`open_program` may open (built-ins are always allowed).

    Three modes:

    ``ProgramPolicy()`` (the default)
        Trusted input, such as the command line's ``--program``: any local file;
        relative paths are relative to the working directory.
    ``ProgramPolicy(confine_to=folder)``
        A rig file's ``program:``: a relative path resolved against ``folder`` (the
        rig file's folder) that must stay inside it after ``..`` and symbolic links
        are resolved. Absolute paths are refused.
    ``ProgramPolicy(allow_files={name: path, ...})``
        Restricted mode, for a server (the web page): only ``builtin:NAME`` and the
        names in ``allow_files`` are accepted; a name opens its path. Any other name
        is refused without looking at the file system, with the same message
        whether or not a file by that name exists, so the error is no oracle for
        the server's files. Messages name the file by its key, never by its path.

    Attributes
    ----------
    allow_files : Mapping[str, Path] or None
        The allow-list of restricted mode (None: not restricted).
    confine_to : Path or None
        The folder relative paths must stay in (None: not confined).

    Examples
    --------
    >>> policy = ProgramPolicy(allow_files={"demo-song": Path("/srv/audio/demo.flac")})
    >>> open_program("demo-song", 48000, policy=policy)  # doctest: +SKIP
    """

    allow_files: Mapping[str, Path | str] | None = None
    confine_to: Path | str | None = None

    def __post_init__(self) -> None:
        if self.allow_files is not None and self.confine_to is not None:
            raise ValueError("ProgramPolicy: give allow_files or confine_to, not both")

    def resolve(self, spec: str, location: Location | None = None) -> tuple[Path, str]:
        """The file a (non-builtin) program name stands for, and how to name it in messages.

        Raises
        ------
        ProgramError
            If the policy does not allow ``spec``.
        """
        if self.allow_files is not None:
            allowed = self.allow_files.get(spec) if isinstance(spec, str) else None
            if allowed is None:
                names = ", ".join(["builtin:" + b for b in BUILTINS] + sorted(self.allow_files))
                raise _program_error(f"program {spec!r} is not available; valid: {names}",
                                     location, code="program-not-allowed")
            return Path(allowed), spec
        if not spec or "\0" in spec:
            raise _program_error(f"program {spec!r} is not a file name", location,
                                 "give an audio file or builtin:NAME "
                                 f"({', '.join(BUILTINS)})")
        if self.confine_to is None:
            return Path(spec), spec
        return self._inside(spec, location)

    def _inside(self, spec: str, location: Location | None) -> tuple[Path, str]:
        folder = str(self.confine_to)
        shown = os.path.join(folder, spec)
        norm = os.path.normpath(spec)
        if os.path.isabs(spec):
            reason = "an absolute path"
        elif norm == os.pardir or norm.startswith(os.pardir + os.sep):
            reason = "'..' leads out of the folder"
        else:
            base = os.path.realpath(folder)
            real = os.path.realpath(os.path.join(base, norm))
            if os.path.commonpath([base, real]) == base:
                return Path(real), shown
            reason = "a symbolic link leads out of the folder"
        raise _program_error(
            f"the rig's program {spec!r} is outside the rig file's folder ({folder}): "
            f"{reason}", location, "a rig file may only name audio files in its own folder "
            "or below it; to play another file, name it on the command line: --program PATH",
            code="program-outside")


def open_program(spec: str, samplerate: int, seconds: float | None = None,
                 channels: tuple[int, int] | None = None, *,
                 policy: ProgramPolicy | None = None,
                 location: Location | None = None) -> Program:
    """Open ``builtin:NAME`` or an audio file, as ``policy`` allows.

    Parameters
    ----------
    spec : str
        ``builtin:NAME`` (one of :data:`BUILTINS`) or a file name.
    samplerate : int
        The render rate in Hz; files at other rates are resampled.
    seconds : float, optional
        Render at most this long (finite, above 0, within the render-seconds
        limit). Built-ins default to 20 s; files to their length.
    channels : (int, int), optional
        Which two channels of a multichannel file (1-based).
    policy : ProgramPolicy, optional
        Which files may be opened; the default trusts ``spec`` (any local file).
        Use ``ProgramPolicy(confine_to=rig_folder)`` for a rig file's ``program:``
        and ``ProgramPolicy(allow_files={...})`` for a server.
    location : Location, optional
        Where ``spec`` was written (a rig file's ``program:``), for messages.

    Returns
    -------
    Program
        Close it (or use it in a ``with`` block) when done.

    Raises
    ------
    ProgramError
        With a message naming the program, what is wrong and the fix.
    """
    problem = seconds_problem(seconds)
    if problem is not None:
        raise ProgramError([problem])
    if spec.startswith("builtin:"):
        return builtin(spec.split(":", 1)[1], samplerate, seconds)
    path, name = (policy or ProgramPolicy()).resolve(spec, location)
    return from_file(path, samplerate, seconds, channels, name=name, location=location)

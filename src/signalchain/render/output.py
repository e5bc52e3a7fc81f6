"""The output directory of a render: locked, atomic, never overwriting without ``--force``.

A render writes into the user's directory only under an exclusive ``flock`` on the directory
itself (so two renders cannot write into one directory at once), refuses a non-empty
directory unless forced, writes every file under a temporary name
(``.<name>.<16 hex digits>.signalchain-tmp``) and renames the files only when all of them are
complete. An error or a signal removes the temporary files; one left behind by a render that
was killed outright (SIGKILL, a power cut) is removed by the next render into the directory,
which can tell it is stale because nobody holds the lock.
"""

from __future__ import annotations

import errno
import fcntl
import os
import re
import secrets
import struct
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

import numpy as np

from signalchain.errors import OutputExistsError, RigError, error_at

TEMP_SUFFIX = ".signalchain-tmp"
TEMP_NAME = re.compile(r"\.(?P<final>.+)\.[0-9a-f]{16}" + re.escape(TEMP_SUFFIX))
"""Our temporary files: ``.<final name>.<16 hex digits>.signalchain-tmp``."""
MAX_NAME_BYTES = 200
"""Longest output file name (file systems allow 255 bytes; the temporary name adds 35)."""
_RIFF_MAX = 0xFFFFFFFF
"""Largest RIFF size a plain WAV header holds; bigger files are written as RF64."""
_HEADER_BYTES = 94


class RenderOutputError(RigError):
    """The output directory cannot be used or written (permissions, disk full, busy ...)."""


# ---- the output directory ------------------------------------------------------------------

_HINTS = {
    errno.ENOSPC: "free some disk space, or choose another --out{need}",
    errno.EDQUOT: "your disk quota is used up: free some space, or choose another --out{need}",
    errno.EACCES: "choose a directory you may write to with --out, or change its permissions",
    errno.EPERM: "choose a directory you may write to with --out, or change its permissions",
    errno.EROFS: "the file system is read-only: choose another --out",
    errno.ENOTDIR: "a part of the path is a file, not a directory: choose another --out",
    errno.EFBIG: "the file is too large for this file system or your file-size limit: render "
                 "less with --seconds",
}


def _output_error(exc: OSError, what: str, path: Path | str, need_bytes: int = 0
                  ) -> RenderOutputError:
    """An OS error while writing the output, as a user error naming the path and the reason."""
    reason = exc.strerror or str(exc)
    need = f" (this render needs about {need_bytes / 1e6:,.0f} MB)" if need_bytes else ""
    hint = _HINTS.get(exc.errno or 0, "check the path, its permissions and the free disk "
                      "space").format(need=need)
    return RenderOutputError([error_at(f"cannot {what} {path}: {reason}", hint=hint,
                                       code="os-error")])


def _exists_error(message: str, hint: str = "") -> OutputExistsError:
    return OutputExistsError([error_at(message, hint=hint, code="exists")])


def _check_ancestors(out_dir: Path) -> None:
    """Refuse an --out that is, or lies under, something other than a directory."""
    path = out_dir
    while True:
        if os.path.lexists(path):
            if os.path.isdir(path):
                return
            if os.path.islink(path):
                target = os.readlink(path)
                raise _exists_error(f"{path} is a symbolic link to {target}, which does not "
                                    "exist (or is not a directory)",
                                    hint="create that directory, or choose another --out")
            if path == out_dir:
                raise _exists_error(f"{out_dir} exists and is not a directory",
                                    hint="choose another --out")
            raise RenderOutputError([error_at(
                f"cannot create the output directory {out_dir}: "
                f"{os.strerror(errno.ENOTDIR)} ({path} is a file)",
                hint="choose another --out", code="os-error")])
        parent = path.parent
        if parent == path:
            return
        path = parent


class OutputDir:
    """An output directory held under an exclusive ``flock`` while files are written into it.

    Every file is created under a temporary name next to its final one and
    renamed by :meth:`commit`; leaving the ``with`` block without a commit
    removes them (and the directory, if this render created it and it is empty).
    """

    def __init__(self, path: Path, force: bool, *, create: bool, need_bytes: int = 0):
        self.path = Path(path)
        self.force = force
        self.create = create
        self.need_bytes = need_bytes
        self.fd = -1
        self.locked = False
        self.created: list[Path] = []
        self.temps: dict[str, str] = {}  # final name -> temporary name
        self.writers: list[WavWriter] = []
        self.committed = False

    def __enter__(self) -> OutputDir:
        try:
            self._open()
        except BaseException:
            self._release()
            raise
        return self

    def _open(self) -> None:
        _check_ancestors(self.path)
        if self.create:
            missing = []
            path = self.path
            while not os.path.lexists(path) and path.parent != path:
                missing.append(path)
                path = path.parent
            for d in reversed(missing):
                try:
                    os.mkdir(d)
                except FileExistsError:
                    continue
                except OSError as exc:
                    raise _output_error(exc, "create the output directory", self.path) from None
                self.created.append(d)
        try:
            self.fd = os.open(self.path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        except OSError as exc:
            raise _output_error(exc, "open the output directory", self.path) from None
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            self.locked = True
        except BlockingIOError:
            raise RenderOutputError([error_at(
                f"another signalchain render is writing into {self.path}",
                hint="wait for it to finish, or choose another --out", code="busy")]) from None
        except OSError:
            self.locked = False  # a file system without locks: go on unprotected
        self._check_contents()

    def _check_contents(self) -> None:
        """Refuse a non-empty directory unless forced; remove our stale temporary files."""
        try:
            names = os.listdir(self.fd)
        except OSError as exc:
            raise _output_error(exc, "read the output directory", self.path) from None
        others = []
        for name in names:
            if TEMP_NAME.fullmatch(name) and self.locked and self._remove_stale(name):
                continue
            if not TEMP_NAME.fullmatch(name):
                others.append(name)
        if others and not self.force:
            raise _exists_error(f"{self.path} already exists and is not empty",
                                hint="choose another --out or pass --force to overwrite the "
                                "files in it")

    def _remove_stale(self, name: str) -> bool:
        """Remove a temporary file no live render is writing (we hold the lock)."""
        try:
            st = os.stat(name, dir_fd=self.fd, follow_symlinks=False)
            if not (st.st_mode & 0o170000 == 0o100000):  # only regular files
                return False
            os.unlink(name, dir_fd=self.fd)
        except FileNotFoundError:
            pass
        except OSError:
            return False
        return True

    def _new_temp(self, final: str) -> int:
        if final in self.temps:
            raise ValueError(f"{final} is written twice")
        tmp = f".{final}.{secrets.token_hex(8)}{TEMP_SUFFIX}"
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
                         | os.O_CLOEXEC, 0o666, dir_fd=self.fd)  # the umask applies
        except OSError as exc:
            raise self.error(exc, final) from None
        self.temps[final] = tmp
        return fd

    def error(self, exc: OSError, final: str) -> RenderOutputError:
        """An OS error while writing ``final`` in this directory, as a user error."""
        return _output_error(exc, "write", self.path / final, self.need_bytes)

    def wav(self, final: str, samplerate: int, channels: int = 2) -> WavWriter:
        """A 32-bit float WAV writer for ``final`` (a plain file name)."""
        writer = WavWriter(self._new_temp(final), samplerate, channels, self, final)
        self.writers.append(writer)
        return writer

    def write_bytes(self, final: str, data: bytes) -> None:
        """Write a small file completely (it appears at :meth:`commit`)."""
        fd = self._new_temp(final)
        try:
            _write_all(fd, memoryview(data))
            os.fsync(fd)
        except OSError as exc:
            raise self.error(exc, final) from None
        finally:
            os.close(fd)

    def commit(self) -> None:
        """Finish every file, then rename each to its final name."""
        for w in self.writers:
            w.finish()
        for final, tmp in self.temps.items():
            try:
                os.replace(tmp, final, src_dir_fd=self.fd, dst_dir_fd=self.fd)
            except OSError as exc:
                raise self.error(exc, final) from None
        self.committed = True
        try:
            os.fsync(self.fd)
        except OSError:
            pass  # some file systems cannot sync a directory; the files are complete

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._release()

    def _release(self) -> None:
        for w in self.writers:
            w.abort()
        if self.fd >= 0:
            if not self.committed:
                for tmp in self.temps.values():
                    try:
                        os.unlink(tmp, dir_fd=self.fd)
                    except OSError:
                        pass
                for d in reversed(self.created):  # the directories this render created
                    try:
                        os.rmdir(d)
                    except OSError:
                        break
            os.close(self.fd)  # releases the lock
            self.fd = -1


def _write_all(fd: int, data: memoryview) -> None:
    while len(data):
        data = data[os.write(fd, data):]


class WavWriter:
    """A 32-bit float WAV, written straight to a file descriptor (RF64 beyond 4 GiB).

    The header reserves a ``JUNK`` chunk that becomes ``ds64`` if the file outgrows
    a RIFF header; its sizes are filled in by :meth:`finish`.
    """

    def __init__(self, fd: int, samplerate: int, channels: int, owner: OutputDir, final: str):
        self.fd = fd
        self.channels = channels
        self.frames = 0
        self.owner = owner
        self.final = final
        block_align = 4 * channels
        header = (b"RIFF" + struct.pack("<I", 0) + b"WAVE"
                  + b"JUNK" + struct.pack("<I", 28) + bytes(28)
                  + b"fmt " + struct.pack("<IHHIIHHH", 18, 3, channels, samplerate,
                                          samplerate * block_align, block_align, 32, 0)
                  + b"fact" + struct.pack("<II", 4, 0)
                  + b"data" + struct.pack("<I", 0))
        assert len(header) == _HEADER_BYTES
        self._guard(lambda: _write_all(fd, memoryview(header)))

    def _guard(self, action: Callable[[], object]) -> None:
        try:
            action()
        except OSError as exc:
            raise self.owner.error(exc, self.final) from None

    def write(self, audio: np.ndarray) -> None:
        """Append frames (frames × channels, any float dtype)."""
        data = np.ascontiguousarray(audio, dtype="<f4")
        if data.ndim != 2 or data.shape[1] != self.channels:
            raise ValueError(f"expected frames × {self.channels}, got {data.shape}")
        self._guard(lambda: _write_all(self.fd, memoryview(data.tobytes())))
        self.frames += len(data)

    def finish(self) -> None:
        """Fill in the header's sizes, sync and close."""
        data_bytes = self.frames * 4 * self.channels
        riff = _HEADER_BYTES - 8 + data_bytes
        if riff <= _RIFF_MAX:
            patches = [(4, struct.pack("<I", riff)), (82, struct.pack("<I", self.frames)),
                       (90, struct.pack("<I", data_bytes))]
        else:
            patches = [(0, b"RF64" + struct.pack("<I", 0xFFFFFFFF)),
                       (12, b"ds64" + struct.pack("<IQQQI", 28, riff, data_bytes,
                                                  self.frames, 0)),
                       (82, struct.pack("<I", min(self.frames, 0xFFFFFFFF))),
                       (90, struct.pack("<I", 0xFFFFFFFF))]

        def patch_and_sync() -> None:
            for offset, raw in patches:
                if os.pwrite(self.fd, raw, offset) != len(raw):
                    raise OSError(errno.EIO, os.strerror(errno.EIO))
            os.fsync(self.fd)

        self._guard(patch_and_sync)
        fd, self.fd = self.fd, -1
        self._guard(lambda: os.close(fd))

    def abort(self) -> None:
        """Close without finishing (the file is removed by its directory)."""
        if self.fd >= 0:
            fd, self.fd = self.fd, -1
            try:
                os.close(fd)
            except OSError:
                pass


def check_output_dir(out_dir: Path, force: bool) -> None:
    """Check early that ``out_dir`` can take a render.

    Refuses a path that is not a directory (or lies under a file, or is a dangling
    symbolic link), a directory another render is writing into and, unless
    ``force``, a non-empty one. Temporary files left by a killed render are removed,
    not counted. Nothing is created; :func:`render` checks again under its lock.

    Raises
    ------
    OutputExistsError, RenderOutputError
        Naming the directory, what is wrong and the fix.
    """
    out_dir = Path(out_dir)
    if not os.path.lexists(out_dir):
        _check_ancestors(out_dir)
        return
    with OutputDir(out_dir, force, create=False):
        pass

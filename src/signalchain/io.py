"""Writing files the user owns: atomically, and never over existing files without consent.

Every write goes through :func:`write_bytes_atomic`, which

- refuses anything that is not a regular file (a device such as ``/dev/null``, a
  FIFO, a socket, a directory), with or without ``force``;
- refuses a read-only file (no write permission in its mode bits, even for root);
- follows symbolic links and replaces the real file (the link stays a link); a
  dangling link is an error, not a reason to create a file somewhere else;
- keeps an existing file's permission bits and, where the operating system
  allows, its owner and group; a new file gets ``0666`` less the umask, like any
  file the user creates;
- writes a new file under a temporary name in the real file's directory and
  renames it over the old one, so readers see the old or the new content, never a
  mix. A file with several hard links, or one owned by someone else that the
  user may write but not give away, is instead rewritten in place once the new
  content is ready and its disk space reserved: renaming would cut the other
  links or hand the file to the user. So is a writable file in a folder where
  the user may not create files;
- turns every operating-system error (permissions, read-only file system, disk
  full, a path under a file ...) into an :class:`OutputWriteError` naming the path,
  the reason and the fix.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from dataclasses import dataclass
from pathlib import Path

from signalchain.errors import OutputExistsError, RigError, error_at

TEMP_SUFFIX = ".tmp"
_WRITE_BITS = stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH


class OutputWriteError(RigError):
    """A file cannot be written: not a regular file, read-only, or the system refused."""


@dataclass(frozen=True)
class _Target:
    """Where a write really goes: the file behind any symbolic links, and its state."""

    path: Path
    """The path the user named (used in messages)."""
    real: Path
    """The file that is replaced (``path`` with symbolic links resolved)."""
    st: os.stat_result | None
    """The existing file's status, or None for a new file."""


def _kind(mode: int) -> str:
    """Describe a non-regular file type for an error message."""
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a named pipe (FIFO)"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"


def _hint(code: int | None, folder: Path) -> str:
    """The likely fix for an operating-system error while writing into ``folder``."""
    if code in (errno.EACCES, errno.EPERM):
        return f"check the permissions of {folder}, or write somewhere else"
    if code == errno.EROFS:
        return "that file system is mounted read-only; write somewhere else"
    if code in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        return "free some disk space (or quota), or write somewhere else"
    if code in (errno.ENOTDIR, errno.EEXIST):
        return "a part of the path is a file, not a folder; choose another path"
    if code == errno.ENAMETOOLONG:
        return "choose a shorter file name"
    return "check the path, its permissions and the free disk space"


def os_write_error(exc: OSError, what: str, path: Path, folder: Path | None = None
                   ) -> OutputWriteError:
    """An :class:`OutputWriteError` for ``exc`` while trying to ``what`` ``path``.

    Parameters
    ----------
    exc : OSError
        What the operating system said.
    what : str
        The action, e.g. ``'write'`` or ``'create the folder'``.
    path : Path
        The path the user named.
    folder : Path, optional
        The directory the fix is about (default: ``path``'s parent).
    """
    reason = exc.strerror or str(exc) or type(exc).__name__
    return OutputWriteError([error_at(f"cannot {what} {path}: {reason}",
                                      hint=_hint(exc.errno, folder or path.parent),
                                      code="os-error")])


def _may_write(real: Path, st: os.stat_result) -> bool:
    """Whether the user may write the existing file ``real`` (root: any write bit set)."""
    if not st.st_mode & _WRITE_BITS:
        return False
    euid = os.geteuid() if hasattr(os, "geteuid") else -1
    if euid == 0:
        return True
    if st.st_uid == euid:
        return bool(st.st_mode & stat.S_IWUSR)
    try:
        return os.access(real, os.W_OK, effective_ids=os.access in os.supports_effective_ids)
    except OSError:
        return False


def _check_ancestors(path: Path) -> None:
    """Refuse a new file whose nearest existing ancestor is not a directory."""
    parent = path.parent
    while not os.path.lexists(parent) and parent.parent != parent:
        parent = parent.parent
    if os.path.lexists(parent) and not os.path.isdir(parent):
        dangling = os.path.islink(parent) and not os.path.exists(parent)
        what = "a dangling symbolic link" if dangling else "a file"
        raise OutputWriteError([error_at(
            f"cannot write {path}: {os.strerror(errno.ENOTDIR)} ({parent} is {what}, "
            "not a folder)", hint="choose another path", code="os-error")])


def _target(path: Path, force: bool) -> _Target:
    """Resolve ``path`` and check that it may be written; see :func:`check_output_file`."""
    try:
        lst = os.lstat(path)
    except FileNotFoundError:
        lst = None
    except OSError as exc:
        if isinstance(exc, NotADirectoryError):
            _check_ancestors(path)  # names the file in the way
        raise os_write_error(exc, "write", path) from None
    if lst is None:
        _check_ancestors(path)
        return _Target(path, path, None)
    real = Path(os.path.realpath(path)) if stat.S_ISLNK(lst.st_mode) else path
    try:
        st = os.stat(path)
    except FileNotFoundError:
        target = os.readlink(path)
        raise OutputWriteError([error_at(
            f"cannot write {path}: it is a symbolic link to {target}, which does not exist "
            f"({os.strerror(errno.ENOENT)})",
            hint="create the file it points to, remove the link, or choose another path",
            code="dangling-link")]) from None
    except OSError as exc:  # a loop of links, a path under a file ...
        raise os_write_error(exc, "write", path) from None
    via = f" (the symbolic link's target {real})" if real != path else ""
    if not stat.S_ISREG(st.st_mode):
        raise OutputWriteError([error_at(
            f"refusing to write {path}{via}: it is {_kind(st.st_mode)}, not a regular file",
            hint="choose a file name; signalchain replaces only regular files, even with "
            "--force", code="not-a-file")])
    if not force:
        raise OutputExistsError([error_at(f"{path} already exists", hint="pass --force to "
                                          "overwrite it", code="exists")])
    if not _may_write(real, st):
        raise OutputWriteError([error_at(
            f"refusing to write {path}{via}: it is read-only (mode "
            f"{stat.filemode(st.st_mode)})",
            hint=f"make it writable first (chmod u+w {real}), or write somewhere else",
            code="read-only")])
    return _Target(path, real, st)


def check_output_file(path: str | Path, force: bool = False) -> None:
    """Check, before any work, that ``path`` may be written by :func:`write_bytes_atomic`.

    Nothing is created or changed.

    Raises
    ------
    OutputExistsError
        If ``path`` exists and ``force`` is False.
    OutputWriteError
        If ``path`` is not a regular file (device, FIFO, socket, directory), is
        read-only, is a dangling symbolic link, or lies under a file.
    """
    _target(Path(path), force)


def _write_all(fd: int, data: bytes) -> None:
    """Write all of ``data`` at ``fd``'s position."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def _fsync_dir(folder: Path) -> None:
    """Make a rename in ``folder`` durable (best effort: not every file system can)."""
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _write_in_place(t: _Target, data: bytes) -> None:
    """Overwrite the existing file ``t.real`` with ``data`` (same inode: links, owner kept).

    Space for the new content is reserved before the first byte changes, so a full
    disk leaves the old content intact.
    """
    try:
        fd = os.open(t.real, os.O_WRONLY | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise os_write_error(exc, "write", t.path, t.real.parent) from None
    try:
        old_size = os.fstat(fd).st_size
        if len(data) > old_size and hasattr(os, "posix_fallocate"):
            try:
                os.posix_fallocate(fd, 0, len(data))
            except OSError as exc:
                os.ftruncate(fd, old_size)
                if exc.errno not in (errno.EINVAL, errno.EOPNOTSUPP, errno.ENOSYS):
                    raise
        _write_all(fd, data)
        os.ftruncate(fd, len(data))
        os.fsync(fd)
    except OSError as exc:
        raise os_write_error(exc, "write", t.path, t.real.parent) from None
    finally:
        os.close(fd)


def _write_replacing(t: _Target, data: bytes, force: bool) -> None:
    """Write ``data`` to a temporary file beside ``t.real``, then rename it into place."""
    folder = t.real.parent
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise os_write_error(exc, "create the folder", folder, folder.parent) from None
    tmp = folder / f".{t.real.name[:100]}.{secrets.token_hex(8)}{TEMP_SUFFIX}"
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
    try:  # a new file: 0666 less the umask (the kernel applies it); else private until chmod
        fd = os.open(tmp, flags, 0o666 if t.st is None else 0o600)
    except PermissionError as exc:
        if t.st is not None:  # a writable file in a folder the user may not add files to
            _write_in_place(t, data)
            return
        raise os_write_error(exc, "write", t.path, folder) from None
    except OSError as exc:
        raise os_write_error(exc, "write", t.path, folder) from None
    try:
        try:
            if t.st is not None:
                _copy_owner_and_mode(fd, t.st)
            _write_all(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        if t.st is None and not force:
            _link_new(tmp, t)
        else:
            os.replace(tmp, t.real)
    except RigError:
        _unlink_quietly(tmp)
        raise
    except OSError as exc:
        _unlink_quietly(tmp)
        raise os_write_error(exc, "write", t.path, folder) from None
    except BaseException:
        _unlink_quietly(tmp)
        raise
    _fsync_dir(folder)


def _link_new(tmp: Path, t: _Target) -> None:
    """Put ``tmp`` in place as the new file ``t.real`` without replacing one made meanwhile."""
    try:
        os.link(tmp, t.real)
    except FileExistsError:
        raise OutputExistsError([error_at(f"{t.path} already exists", hint="pass --force to "
                                          "overwrite it", code="exists")]) from None
    except OSError:  # a file system without hard links
        os.replace(tmp, t.real)
        return
    _unlink_quietly(tmp)


def _copy_owner_and_mode(fd: int, st: os.stat_result) -> None:
    """Give the open file ``fd`` the owner, group and permission bits of ``st``, where allowed."""
    mine = os.fstat(fd)
    if (mine.st_uid, mine.st_gid) != (st.st_uid, st.st_gid) and hasattr(os, "fchown"):
        try:
            os.fchown(fd, st.st_uid, st.st_gid)
        except OSError:
            try:  # a user may still give the file to a group they belong to
                os.fchown(fd, -1, st.st_gid)
            except OSError:
                pass
    os.fchmod(fd, stat.S_IMODE(st.st_mode))  # after chown, which clears set-id bits


def _unlink_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def write_bytes_atomic(path: str | Path, data: bytes, force: bool = False) -> None:
    """Write ``data`` to ``path``, safely (see the module docstring for the rules).

    Parameters
    ----------
    path : str or Path
        The file to write; missing parent folders are created. A symbolic link is
        followed and the file it points to is replaced.
    data : bytes
        The complete new content.
    force : bool
        Replace an existing file (its mode, owner and hard links are kept).

    Raises
    ------
    OutputExistsError
        If ``path`` exists and ``force`` is False.
    OutputWriteError
        If ``path`` is not a regular file, is read-only, is a dangling symbolic link,
        or the operating system refuses (permissions, disk full ...). The old content
        is then left as it was.
    """
    t = _target(Path(path), force)
    euid = os.geteuid() if hasattr(os, "geteuid") else -1
    if t.st is not None and (t.st.st_nlink > 1 or euid not in (-1, 0, t.st.st_uid)):
        _write_in_place(t, data)
    else:
        _write_replacing(t, data, force)


def write_text_atomic(path: str | Path, text: str, force: bool = False) -> None:
    """Write UTF-8 text safely (see :func:`write_bytes_atomic`)."""
    write_bytes_atomic(path, text.encode("utf-8"), force=force)

"""The workspace: the folder where the web page keeps rigs, one YAML file each (git-friendly).

A rig's workspace name is all a client gives: lowercase letters, digits, ``-`` and ``_``
(:data:`NAME`), so it can never be a path. The file is ``<name>.yaml`` in the folder; only
regular files (not symbolic links) are listed, read or replaced; an existing rig is replaced
only when asked; writes are atomic and keep the file's mode.
"""

from __future__ import annotations

import dataclasses
import itertools
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from signalchain.errors import (
    Diagnostic,
    OutputExistsError,
    RigError,
    UsageError,
)
from signalchain.io import write_text_atomic
from signalchain.limits import Limits

NAME = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")
"""A rig's name in the workspace (its file is ``NAME.yaml``)."""
MAX_RIGS = 500
"""Rigs a workspace holds at most (listing and disk use stay bounded)."""
MAX_SCANNED = 10_000
"""Folder entries looked at when listing (other files may share the folder)."""
MAX_RIG_BYTES = Limits().rig_bytes
"""A rig file's size at most: the rig-file limit (see ``docs/limits.md``)."""
TITLE = re.compile(r"^name:[ \t]*(.{1,200}?)[ \t]*$", re.MULTILINE)


class WorkspaceError(UsageError):
    """A bad workspace name, or a rig that is not there."""


class WorkspaceUnavailable(RigError):
    """The workspace folder cannot be read or written: the server's problem (a 503)."""


class RigMissing(RigError):
    """No rig by that name in the workspace."""


@dataclass(frozen=True)
class SavedRig:
    """One rig file in the workspace."""

    name: str
    title: str
    """The rig's ``name:`` line (as written, unquoted), or empty."""
    modified: float
    """Last change, seconds since the epoch."""
    size_bytes: int


def _bad_name(name: str) -> WorkspaceError:
    return WorkspaceError([Diagnostic(
        "error", f"{name[:80]!r} is not a workspace rig name",
        hint="use 1-64 lowercase letters, digits, '-' and '_', starting with a letter or "
             "digit (e.g. 'podcast-rig')", code="bad-name")])


class Workspace:
    """A folder of rig files.

    Parameters
    ----------
    folder : Path
        Created if missing.
    """

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    def path(self, name: str) -> Path:
        """The file of the rig ``name`` (which must match :data:`NAME`)."""
        if not isinstance(name, str) or not NAME.fullmatch(name):
            raise _bad_name(str(name))
        return self.folder / f"{name}.yaml"

    def _regular(self, path: Path) -> os.stat_result | None:
        try:
            st = os.lstat(path)
        except OSError:
            return None
        return st if stat.S_ISREG(st.st_mode) else None

    def _unavailable(self, exc: OSError) -> WorkspaceUnavailable:
        return WorkspaceUnavailable([Diagnostic(
            "error", f"the workspace folder cannot be used: {exc.strerror or exc}",
            hint=f"check the folder {self.folder} (its permissions, or the disk), or restart "
                 "'signalchain serve' with --workspace DIR", code="workspace-unavailable")])

    def _entries(self) -> list[os.DirEntry[str]]:
        """The folder's entries (the folder made again if it was removed meanwhile)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            with os.scandir(self.folder) as entries:
                return list(itertools.islice(entries, MAX_SCANNED))
        except OSError as exc:
            raise self._unavailable(exc) from None

    def list(self) -> list[SavedRig]:
        """The rigs, most recently changed first (at most :data:`MAX_RIGS`).

        Raises
        ------
        WorkspaceError
            If the folder cannot be read (it is made again if it was removed).
        """
        found: list[SavedRig] = []
        for entry in self._entries():
            stem, dot, ext = entry.name.rpartition(".")
            if not (dot and ext == "yaml" and NAME.fullmatch(stem)):
                continue
            try:
                if not entry.is_file(follow_symlinks=False):
                    continue
                st = entry.stat(follow_symlinks=False)
            except OSError:  # removed while listed
                continue
            found.append(SavedRig(stem, "", st.st_mtime, st.st_size))
        newest = sorted(found, key=lambda r: (-r.modified, r.name))[:MAX_RIGS]
        return [dataclasses.replace(r, title=self._title(r.name)) for r in newest]

    def _title(self, name: str) -> str:
        match = TITLE.search(self._head(str(self.folder / f"{name}.yaml")))
        return match.group(1).strip("'\"") if match else ""

    @staticmethod
    def _head(path: str) -> str:
        """The first 4 kB of a rig file (where its ``name:`` is), for the listing."""
        try:
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except OSError:
            return ""
        with os.fdopen(fd, "rb") as fh:
            return fh.read(4096).decode("utf-8", "replace")

    def read(self, name: str) -> str:
        """The rig file's text.

        Raises
        ------
        RigMissing
            If there is no such rig (or it is not a regular file, or too large).
        """
        path = self.path(name)
        st = self._regular(path)
        if st is None or st.st_size > MAX_RIG_BYTES:
            raise RigMissing([Diagnostic("error", f"no rig {name!r} in the workspace",
                                         code="unknown-rig")])
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        with os.fdopen(fd, "rb") as fh:
            return fh.read(MAX_RIG_BYTES + 1).decode("utf-8", "replace")

    def save(self, name: str, text: str, *, replace: bool = False) -> bool:
        """Write the rig ``name``; True if it replaced one.

        Raises
        ------
        OutputExistsError
            If the rig exists and ``replace`` is False.
        WorkspaceError
            For a bad name, a symbolic link in the way, or a full workspace.
        """
        path = self.path(name)
        exists = os.path.lexists(path)
        if exists and self._regular(path) is None:
            raise WorkspaceError([Diagnostic(
                "error", f"{name}.yaml in the workspace is not a regular file; it is left "
                "alone", hint="save under another name", code="not-regular")])
        taken = OutputExistsError([Diagnostic(
            "error", f"a rig named {name!r} is already in the workspace",
            hint="save with 'replace' to overwrite it, or choose another name",
            code="exists")])
        if exists and not replace:
            raise taken
        if not exists and len(self.list()) >= MAX_RIGS:
            raise WorkspaceError([Diagnostic(
                "error", f"the workspace already holds {MAX_RIGS} rigs",
                hint="remove some files from the workspace folder", code="workspace-full")])
        try:
            write_text_atomic(path, text, force=replace)
        except OutputExistsError:  # saved by another request meanwhile
            raise taken from None
        return exists

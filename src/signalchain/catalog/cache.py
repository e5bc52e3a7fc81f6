"""A parsed copy of the bundled catalog, kept between runs (its YAML is slow to parse).

Parsing the bundled catalog was most of a command's start-up. The copy is a pickle of the
validated entries in the user's cache folder, named after a SHA-256 of signalchain's own
source files and every bundled catalog file's path and bytes: any change to the files or
to the program (the classes pickled) makes a new name, so a stale copy is never read. Only
the bundled catalog (files that ship with signalchain) is kept; your own catalogs are read
each time. The folder is ``SIGNALCHAIN_CACHE`` if set (``off`` keeps nothing), else
``$XDG_CACHE_HOME/signalchain`` or ``~/.cache/signalchain``. The :data:`KEEP` most recently
used copies stay (two installed versions, or two checkouts, sharing one folder do not push
each other's copy out). A folder that cannot be written is no error: the catalog is then
parsed each time.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

ENV_VAR = "SIGNALCHAIN_CACHE"
PREFIX = "catalog-"
KEEP = 4
"""Copies kept (the most recently used); each is under 100 kB."""


def cache_folder() -> Path | None:
    """Where the copy is kept, or None when keeping is off."""
    chosen = os.environ.get(ENV_VAR, "").strip()
    if chosen.lower() == "off":
        return None
    if chosen:
        # normalised first: "a/missing/../b" must not make "a/missing" on the way to "a/b"
        return Path(os.path.abspath(chosen))
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(base) if base else Path.home() / ".cache") / "signalchain"


def digest(root: Path, files: list[Path]) -> str:
    """SHA-256 of signalchain's source files and each catalog file's path and bytes."""
    import signalchain

    package = Path(signalchain.__file__).parent
    h = hashlib.sha256()
    for path in [*sorted(package.rglob("*.py")), *files]:
        h.update(b"\0" + path.name.encode() + b"\0")
        h.update(path.read_bytes())
    return h.hexdigest()


def load(name: str) -> Any | None:
    """The kept copy of that name, or None (none kept, or unreadable)."""
    folder = cache_folder()
    if folder is None:
        return None
    path = folder / f"{PREFIX}{name}.pickle"
    try:
        with open(path, "rb") as f:
            value = pickle.load(f)  # noqa: S301 -- our own copy, named by its sources' hash
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError, ImportError,
            IndexError, TypeError, ValueError):
        return None
    try:
        os.utime(path)  # used now: the last to be removed
    except OSError:
        pass
    return value


def save(name: str, value: Any) -> None:
    """Keep ``value`` under that name (atomically; beyond KEEP, the least recently used go)."""
    folder = cache_folder()
    if folder is None:
        return
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".pickle")
        try:
            with os.fdopen(fd, "wb") as f:
                pickle.dump(value, f, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, folder / f"{PREFIX}{name}.pickle")
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _prune(folder, f"{PREFIX}{name}.pickle")
    except OSError:
        pass  # a read-only home: parse each time


def _prune(folder: Path, kept_name: str) -> None:
    """Remove all but the KEEP most recently used copies (the one just written stays)."""
    def used(path: Path) -> float:
        try:
            return path.stat().st_mtime
        except OSError:
            return 0.0
    others = sorted((p for p in folder.glob(f"{PREFIX}*.pickle") if p.name != kept_name),
                    key=used, reverse=True)
    for old in others[KEEP - 1:]:
        old.unlink(missing_ok=True)

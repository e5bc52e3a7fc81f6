"""User catalogs: the bundled catalog plus the user's own device and cable files.

Directories are read in order, later winning: those of the ``SIGNALCHAIN_CATALOG``
path list (``os.pathsep``-separated, like ``PATH``), then those given by the caller
(``signalchain --catalog DIR``). A user entry with the id of an earlier entry (bundled,
or from an earlier directory) replaces it and is recorded as an :class:`Override`; one id
twice in one directory is an error. User files are untrusted: see
:mod:`signalchain.catalog.files`.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

from signalchain.catalog.files import Entry, read_directory
from signalchain.catalog.store import Catalog, Override, default_catalog
from signalchain.errors import Location, RigValidationError, error_at

ENV_VAR = "SIGNALCHAIN_CATALOG"
"""The environment variable listing user catalog directories."""


def env_dirs() -> list[Path]:
    """The directories listed in ``SIGNALCHAIN_CATALOG`` (empty items skipped)."""
    value = os.environ.get(ENV_VAR, "")
    return [Path(item) for item in value.split(os.pathsep) if item.strip()]


def check_directory(path: Path, source: str = "") -> None:
    """Refuse a catalog directory that does not exist or is not a directory.

    Parameters
    ----------
    path : Path
        The directory.
    source : str
        Where it was named (``'SIGNALCHAIN_CATALOG'``), for the message.

    Raises
    ------
    RigValidationError
        Naming the path (and where it was named).
    """
    named = f" (named in {source})" if source else ""
    hint = "give a directory of catalog YAML files ('signalchain catalog new' writes one)"
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        raise _refuse(f"catalog directory {path} does not exist{named}", path, hint) from None
    except OSError as exc:
        raise _refuse(f"cannot read catalog directory {path}{named}: {exc.strerror or exc}",
                      path, "check its permissions") from None
    if not stat.S_ISDIR(mode):
        raise _refuse(f"{path} is not a directory{named}; a catalog is a directory of YAML "
                      "files", path, "put the file in a directory of its own and give that")


def _refuse(message: str, path: Path, hint: str) -> RigValidationError:
    return RigValidationError([error_at(message, Location(str(path)), hint=hint,
                                        code="no-file")])


def load_catalog(dirs: Sequence[str | Path] = (), *, use_env: bool = True) -> Catalog:
    """The bundled catalog with the user's catalog directories added.

    Parameters
    ----------
    dirs : sequence of path
        Catalog directories, read after those of ``SIGNALCHAIN_CATALOG``; later wins.
    use_env : bool
        Read the directories listed in ``SIGNALCHAIN_CATALOG`` first.

    Returns
    -------
    Catalog
        :func:`default_catalog` itself if there is no user directory; otherwise a new
        catalog (the bundled files are not read again) whose ``overrides`` list the
        user entries that replaced earlier ones, and whose ``origin(id)`` is
        ``'bundled'`` or the file an entry came from.

    Raises
    ------
    RigValidationError
        For a directory that does not exist or is not a directory, for a catalog file
        that cannot be read or does not follow the schema (naming file and line), and
        for an id defined twice in one directory.
    """
    sources = [(p, ENV_VAR) for p in env_dirs()] if use_env else []
    sources += [(Path(p), "") for p in dirs]
    base = default_catalog()
    if not sources:
        return base
    entries: dict[str, Entry] = dict(base.entries)
    origins = dict(base.origins)
    overrides = list(base.overrides)
    read: set[Path] = set()
    for folder, source in sources:
        check_directory(folder, source)
        real = folder.resolve()
        if real in read:  # named twice (in the variable and on the command line)
            continue
        read.add(real)
        found, files = read_directory(folder)
        for entry_id, entry in found.items():
            if entry_id in entries:
                overrides.append(Override(entry_id, files[entry_id], origins[entry_id]))
            entries[entry_id] = entry
            origins[entry_id] = files[entry_id]
    return Catalog(entries, origins, overrides)

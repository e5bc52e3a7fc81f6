"""Read catalog files and directories: each file a YAML list of entries, read like a rig file.

Every file is read like a rig file (regular files only, within the limits in force:
``rig-bytes``, ``yaml-nodes``, ``yaml-depth``, ``ports-per-device``), and every error
names the file, line and column. A directory is walked for ``*.yaml`` and ``*.yml``
files, without following symbolic links to folders and skipping hidden names (``.git``,
editor backups); at most :data:`MAX_FILES` files of at most :data:`MAX_SCANNED` names.
"""

from __future__ import annotations

import os
from pathlib import Path

from signalchain.errors import Diagnostic, Location, RigValidationError, error_at
from signalchain.schema.cable import CableSpec
from signalchain.schema.device import DeviceSpec
from signalchain.schema.entry import CatalogFile
from signalchain.schema.loader import parse_yaml, read_limited, validate

Entry = DeviceSpec | CableSpec
"""A catalog entry: a device, or a cable or adapter."""

MAX_FILES = 256
"""Most catalog files read from one directory."""
MAX_SCANNED = 10_000
"""Most names (files and folders) looked at in one directory tree."""
SUFFIXES = (".yaml", ".yml")


def _refuse(message: str, where: Path, hint: str = "", code: str = "catalog"
            ) -> RigValidationError:
    return RigValidationError([error_at(message, Location(str(where)), hint=hint, code=code)])


def catalog_files(root: Path) -> list[Path]:
    """The catalog files below ``root``, sorted.

    Raises
    ------
    RigValidationError
        If a folder cannot be listed, or the tree holds more than :data:`MAX_FILES`
        catalog files or :data:`MAX_SCANNED` names.
    """
    found: list[Path] = []
    scanned = 0
    folders = [root]
    while folders:
        folder = folders.pop()
        try:
            with os.scandir(folder) as listing:
                items = sorted(listing, key=lambda item: item.name)
        except OSError as exc:
            raise _refuse(f"cannot list catalog directory {folder}: {exc.strerror or exc}",
                          folder, code="no-file") from None
        scanned += len(items)
        if scanned > MAX_SCANNED:
            raise _refuse(f"catalog directory {root} holds more than {MAX_SCANNED} files and "
                          "folders", root, hint="give a directory that holds only catalog "
                          "files (one per brand or kind of gear)")
        for item in items:
            if item.name.startswith("."):
                continue
            if item.is_dir(follow_symlinks=False):
                folders.append(Path(item.path))
            elif item.name.endswith(SUFFIXES):
                found.append(Path(item.path))
        if len(found) > MAX_FILES:
            raise _refuse(f"catalog directory {root} holds more than {MAX_FILES} catalog "
                          "files", root, hint="merge small files, or split the catalog into "
                          "several directories")
    return sorted(found)


def read_catalog_file(path: Path) -> list[tuple[Entry, Location]]:
    """The entries of one catalog file, each with where it starts.

    An empty file has no entries.

    Raises
    ------
    RigValidationError
        For unreadable files, invalid YAML, a document that is not a list, an entry that
        does not follow the schema or has no ``id`` (every message names file and line).
    """
    doc = parse_yaml(read_limited(path, "catalog file"), str(path))
    if doc.data is None:
        return []
    if not isinstance(doc.data, list):
        raise RigValidationError([error_at(
            "a catalog file is a YAML list of entries", Location(str(path), 1, 1),
            hint="start each entry with '- id: brand/model' (see 'signalchain catalog new')",
            code="schema")])
    entries = validate(CatalogFile, doc).root
    found: list[tuple[Entry, Location]] = []
    missing: list[Diagnostic] = []
    for i, entry in enumerate(entries):
        location = doc.location((i,))[0]
        if not entry.id:
            missing.append(error_at("catalog entry without an id", location,
                                    hint="add 'id: brand/model' (lowercase)", code="schema"))
        found.append((entry, location))
    if missing:
        raise RigValidationError(missing)
    return found


def read_directory(root: Path) -> tuple[dict[str, Entry], dict[str, str]]:
    """Every entry in the catalog files below ``root``, by id, and the file each came from.

    Raises
    ------
    RigValidationError
        As :func:`catalog_files` and :func:`read_catalog_file`, and for an id defined
        twice in the directory (naming both places).
    """
    entries: dict[str, Entry] = {}
    files: dict[str, str] = {}
    places: dict[str, Location] = {}
    duplicates: list[Diagnostic] = []
    for path in catalog_files(root):
        for entry, location in read_catalog_file(path):
            entry_id = str(entry.id)
            if entry_id in entries:
                duplicates.append(error_at(
                    f"duplicate catalog id {entry_id!r} (also in {places[entry_id]})",
                    location, hint="rename one of them; to replace an entry, put the new one "
                    "in another catalog directory", code="duplicate-id"))
                continue
            entries[entry_id] = entry
            files[entry_id] = str(path)
            places[entry_id] = location
    if duplicates:
        raise RigValidationError(duplicates)
    return entries, files

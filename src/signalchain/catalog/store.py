"""Load the bundled catalog YAML files and look entries up by id."""

from __future__ import annotations

import difflib
from functools import lru_cache
from importlib import resources
from pathlib import Path

from signalchain import limits
from signalchain.errors import Location, RigValidationError, error_at
from signalchain.schema.cable import CableSpec
from signalchain.schema.device import DeviceSpec
from signalchain.schema.loader import parse_yaml, read_limited, validate

Entry = DeviceSpec | CableSpec


class Catalog:
    """All catalog entries, keyed by id.

    Parameters
    ----------
    entries : dict
        id -> :class:`DeviceSpec` or :class:`CableSpec`.
    origins : dict
        id -> file the entry came from (for messages).
    """

    def __init__(self, entries: dict[str, Entry], origins: dict[str, str]):
        self.entries = entries
        self.origins = origins

    @classmethod
    def from_directory(cls, root: Path) -> Catalog:
        """Read every ``*.yaml`` below ``root``; each file is a list of entries.

        Each file is read like a rig file: regular files only, within the limits in
        force (``rig-bytes``, ``yaml-nodes``, ``yaml-depth``, ``ports-per-device``).
        """
        entries: dict[str, Entry] = {}
        origins: dict[str, str] = {}
        for path in sorted(root.rglob("*.yaml")):
            doc = parse_yaml(read_limited(path, "catalog file"), str(path))
            if not isinstance(doc.data, list):
                raise RigValidationError([error_at("a catalog file is a YAML list of entries",
                                                   Location(str(path), 1, 1))])
            for i, raw in enumerate(doc.data):
                model: type[Entry] = (CableSpec if isinstance(raw, dict) and "ends" in raw
                                      else DeviceSpec)
                entry: Entry = validate(model, doc, raw, path_prefix=(i,))
                if not entry.id:
                    loc, _ = doc.location((i,))
                    raise RigValidationError([error_at("catalog entry without an id", loc)])
                if entry.id in entries:
                    loc, _ = doc.location((i,))
                    raise RigValidationError([error_at(
                        f"duplicate catalog id {entry.id!r} (also in {origins[entry.id]})", loc)])
                entries[entry.id] = entry
                origins[entry.id] = str(path)
        return cls(entries, origins)

    def __contains__(self, entry_id: str) -> bool:
        return entry_id in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, entry_id: str) -> Entry:
        """Return the entry with this id (KeyError if there is none)."""
        return self.entries[entry_id]

    def device(self, entry_id: str) -> DeviceSpec | None:
        """Return a device entry, or None if the id is unknown or not a device."""
        entry = self.entries.get(entry_id)
        return entry if isinstance(entry, DeviceSpec) else None

    def cable(self, entry_id: str) -> CableSpec | None:
        """Return a cable or adapter entry, or None."""
        entry = self.entries.get(entry_id)
        return entry if isinstance(entry, CableSpec) else None

    def close_matches(self, entry_id: str, kinds: tuple[type, ...] = (DeviceSpec, CableSpec),
                      n: int = 3) -> list[str]:
        """Ids that look like ``entry_id`` (for 'did you mean' hints)."""
        pool = [k for k, v in self.entries.items() if isinstance(v, kinds)]
        found = difflib.get_close_matches(entry_id, pool, n=n, cutoff=0.5)
        if not found:
            tail = entry_id.rsplit("/", 1)[-1]
            found = [k for k in pool if tail and tail in k][:n]
        return found

    def ids(self, kind: str | None = None) -> list[str]:
        """Sorted ids, optionally only of one kind (device kind, 'cable' or 'adapter')."""
        return sorted(k for k, v in self.entries.items() if kind is None or v.kind == kind)

    def origin(self, entry_id: str) -> str:
        """``'bundled'`` for an entry of the bundled catalog, else the file it came from."""
        origin = self.origins.get(entry_id, "")
        return "bundled" if not origin or Path(origin).is_relative_to(_data_root()) else origin

    def adapters(self) -> list[CableSpec]:
        """All adapters."""
        return [v for v in self.entries.values()
                if isinstance(v, CableSpec) and v.kind == "adapter"]


def _data_root() -> Path:
    return Path(str(resources.files("signalchain.catalog") / "data"))


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """Return the bundled catalog (read once per process).

    The bundled files are trusted and sized for the default limits, so they are read
    under :data:`signalchain.limits.DEFAULT` whatever limits the caller has set.
    """
    with limits.using(limits.DEFAULT):
        return Catalog.from_directory(_data_root())

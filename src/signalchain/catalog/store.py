"""The catalog: entries by id, where each came from, and the bundled catalog (read once)."""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from signalchain import limits
from signalchain import thresholds as th
from signalchain.catalog.files import Entry, catalog_files, read_directory
from signalchain.schema.cable import CableSpec
from signalchain.schema.device import DeviceSpec

if TYPE_CHECKING:
    from concurrent.futures import Executor

    from signalchain.rig import Rig
    from signalchain.shop import ShopResult

BUNDLED = "bundled"
"""The origin of an entry that ships with signalchain."""


@dataclass(frozen=True)
class Override:
    """A catalog entry that replaced an entry with the same id read before it.

    Attributes
    ----------
    id : str
        The catalog id.
    origin : str
        The file of the entry now in the catalog.
    replaced_origin : str
        Where the replaced entry came from: ``'bundled'`` or a file.
    """

    id: str
    origin: str
    replaced_origin: str


class Catalog:
    """All catalog entries, keyed by id, with where each came from.

    Parameters
    ----------
    entries : mapping
        id -> :class:`DeviceSpec` or :class:`CableSpec`.
    origins : mapping
        id -> ``'bundled'`` or the file the entry came from.
    overrides : sequence of Override
        User entries that replaced an entry with the same id, in the order read.
    """

    def __init__(self, entries: Mapping[str, Entry], origins: Mapping[str, str],
                 overrides: Sequence[Override] = ()):
        self.entries = dict(entries)
        self.origins = dict(origins)
        self.overrides = tuple(overrides)
        self.bundled = False
        """True for :func:`default_catalog`'s (it travels to other processes by name)."""

    @classmethod
    def from_directory(cls, root: Path, origin: str | None = None) -> Catalog:
        """Read every catalog file (``*.yaml``, ``*.yml``) below ``root``.

        Each file is a YAML list of entries, read like a rig file: regular files only,
        within the limits in force (``rig-bytes``, ``yaml-nodes``, ``yaml-depth``,
        ``ports-per-device``).

        Parameters
        ----------
        root : Path
            The directory.
        origin : str, optional
            The origin recorded for every entry (``'bundled'``); each entry's file by
            default.
        """
        entries, files = read_directory(root)
        return cls(entries, {k: origin or f for k, f in files.items()})

    def __contains__(self, entry_id: str) -> bool:
        return entry_id in self.entries

    def __len__(self) -> int:
        return len(self.entries)

    def get(self, entry_id: str) -> Entry:
        """Return the entry with this id (KeyError if there is none)."""
        return self.entries[entry_id]

    def origin(self, entry_id: str) -> str:
        """Where an entry came from: ``'bundled'`` or its file (KeyError if unknown)."""
        return self.origins[entry_id]

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

    def adapters(self) -> list[CableSpec]:
        """All adapters."""
        return [v for v in self.entries.values()
                if isinstance(v, CableSpec) and v.kind == "adapter"]

    def __reduce__(self) -> tuple[Any, ...]:
        # the bundled catalog travels to worker processes by name: each reads its own copy
        # (kept parsed, see cache.py) instead of receiving every entry with every task
        if self.bundled:
            return (default_catalog, ())
        return (Catalog, (self.entries, self.origins, self.overrides))

    def shop(self, rig: Rig, replace: str | None = None, *, kind: str | None = None,
             for_listeners: bool = False, priority: str = "quality",
             target_spl_db: float = th.DEFAULT_TARGET_SPL_DB,
             executor: Executor | None = None) -> ShopResult:
        """Rank this catalog's candidates for one of ``rig``'s devices, or its headphones.

        The rig is read again against this catalog (so its own devices must be in it); see
        :func:`signalchain.shop.shop` for the parameters.
        """
        from signalchain.rig import Rig
        from signalchain.shop import shop

        here = Rig.from_dict(rig.to_dict(), rig.doc.filename, self)
        return shop(here, replace, kind=kind, for_listeners=for_listeners, priority=priority,
                    target_spl_db=target_spl_db, executor=executor)

    def schema_ids(self) -> dict[str, list[str]]:
        """The ids a rig file may name, for :func:`signalchain.schema.export.rig_json_schema`.

        ``'device'``: devices (``model:``); ``'cable'``: cables and adapters (``cable:``);
        ``'adapter'``: adapters (``via:``).
        """
        return {"device": sorted(k for k, v in self.entries.items()
                                 if isinstance(v, DeviceSpec)),
                "cable": sorted(k for k, v in self.entries.items() if isinstance(v, CableSpec)),
                "adapter": self.ids("adapter")}


def _data_root() -> Path:
    return Path(str(resources.files("signalchain.catalog") / "data"))


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    """Return the bundled catalog (read once per process).

    The bundled files are trusted and sized for the default limits, so they are read
    under :data:`signalchain.limits.DEFAULT` whatever limits the caller has set. The parsed
    catalog is kept between runs (:mod:`signalchain.catalog.cache`).
    """
    from signalchain.catalog import cache

    root = _data_root()
    with limits.using(limits.DEFAULT):
        name = cache.digest(root, catalog_files(root))
        kept = cache.load(name)
        if isinstance(kept, tuple) and len(kept) == 2:
            catalog = Catalog(*kept)
        else:
            catalog = Catalog.from_directory(root, origin=BUNDLED)
            cache.save(name, (catalog.entries, catalog.origins))
    catalog.bundled = True
    return catalog

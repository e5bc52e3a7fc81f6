"""User catalogs: the user's own device and cable files added to the bundled catalog.

Folders come from the ``SIGNALCHAIN_CATALOG`` path list (``os.pathsep``-separated), then
from ``--catalog DIR`` options, in that order; each is read like a rig file (regular files
only, within the limits in force, file:line errors). A user entry with an id already in the
catalog overrides it, and the override is recorded (:class:`Override`) so front ends can say
so. Two entries with one id in one folder are an error.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from signalchain.catalog.store import Catalog, default_catalog
from signalchain.errors import Location, RigValidationError, error_at

ENV_VAR = "SIGNALCHAIN_CATALOG"
TEMPLATE_KINDS = ("headphones", "amp", "interface")
"""Device kinds ``signalchain catalog new`` has a template for."""


@dataclass(frozen=True)
class Override:
    """A user entry that replaced an earlier one with the same id."""

    id: str
    origin: str
    """The file of the entry now in force."""
    replaced: str
    """``'bundled'`` or the file of the entry it replaced."""


class UserCatalog(Catalog):
    """The bundled catalog plus user folders; knows each entry's origin and the overrides."""

    def __init__(self, base: Catalog, overrides: Sequence[Override] = ()) -> None:
        super().__init__(dict(base.entries), dict(base.origins))
        self.overrides: tuple[Override, ...] = tuple(overrides)


def catalog_dirs(dirs: Sequence[Path] = (), env: Mapping[str, str] | None = None
                 ) -> list[Path]:
    """The user catalog folders in force: ``SIGNALCHAIN_CATALOG``'s, then ``dirs``."""
    env = os.environ if env is None else env
    listed = [Path(p) for p in env.get(ENV_VAR, "").split(os.pathsep) if p.strip()]
    return [*listed, *(Path(d) for d in dirs)]


def _folder(path: Path) -> Catalog:
    if not path.is_dir():
        why = "does not exist" if not path.exists() else "is not a folder"
        raise RigValidationError([error_at(
            f"user catalog {path} {why}", Location(str(path)), code="no-catalog",
            hint=f"give a folder of catalog YAML files (--catalog DIR or {ENV_VAR})")])
    return Catalog.from_directory(path)


def load_catalog(dirs: Sequence[Path] = (), *, use_env: bool = True) -> Catalog:
    """The bundled catalog plus the user's folders (later folders win, with a notice).

    Raises
    ------
    RigValidationError
        For a folder that does not exist, or an invalid catalog file (file:line:col).
    """
    folders = catalog_dirs(dirs, None if use_env else {})
    base = default_catalog()
    if not folders:
        return base
    merged = UserCatalog(base)
    overrides: list[Override] = []
    for folder in folders:
        extra = _folder(folder)
        for entry_id, entry in extra.entries.items():
            if entry_id in merged.entries:
                before = merged.origin(entry_id)
                overrides.append(Override(entry_id, extra.origins[entry_id], before))
            merged.entries[entry_id] = entry
            merged.origins[entry_id] = extra.origins[entry_id]
    merged.overrides = tuple(overrides)
    return merged


def template(kind: str) -> str:
    """The commented template for a new catalog entry of ``kind`` (see TEMPLATE_KINDS)."""
    if kind not in TEMPLATE_KINDS:
        raise ValueError(f"no template for {kind!r}; valid: {', '.join(TEMPLATE_KINDS)}")
    return (resources.files("signalchain.catalog") / "templates" / f"{kind}.yaml").read_text(
        encoding="utf-8")

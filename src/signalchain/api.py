"""One-call functions over the object API: load, check, simulate."""

from __future__ import annotations

from pathlib import Path

from signalchain.catalog import Catalog, default_catalog
from signalchain.schema.loader import YamlDocument, parse_yaml, read_yaml, validate
from signalchain.schema.rig import RigSpec
from signalchain.wiring.build import BuiltRig, build
from signalchain.wiring.resolve import resolve


def load_rig(path: str | Path) -> tuple[RigSpec, YamlDocument]:
    """Read and validate a rig file.

    Returns
    -------
    spec : RigSpec
        The validated rig.
    doc : YamlDocument
        The parsed document, for locations in later messages.

    Raises
    ------
    RigValidationError
        With file:line:col diagnostics if the file is unreadable or invalid.
    """
    doc = read_yaml(path)
    return validate(RigSpec, doc), doc


def load_rig_text(text: str, filename: str = "<rig>") -> tuple[RigSpec, YamlDocument]:
    """Validate a rig given as YAML text (``filename`` is used in messages)."""
    doc = parse_yaml(text, filename)
    return validate(RigSpec, doc), doc


def check_rig(path_or_text: str | Path, catalog: Catalog | None = None, *,
              text: bool = False) -> BuiltRig:
    """Load a rig, resolve its gear and wire it into a netlist.

    Raises
    ------
    RigValidationError, RigTopologyError
        When the rig is invalid or does not plug together.
    """
    spec, doc = load_rig_text(str(path_or_text)) if text else load_rig(path_or_text)
    return build(resolve(spec, doc, catalog or default_catalog()))

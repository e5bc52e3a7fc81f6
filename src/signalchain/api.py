"""Pipeline-level helpers for tests and scripts that need a stage of the pipeline directly.

Applications use :class:`signalchain.Rig`; these functions are thin wrappers over it.
"""

from __future__ import annotations

from pathlib import Path

from signalchain.catalog import Catalog
from signalchain.rig import Rig, parse_knob_settings
from signalchain.schema.loader import YamlDocument
from signalchain.schema.rig import RigSpec
from signalchain.wiring.build import BuiltRig


def load_rig(path: str | Path) -> tuple[RigSpec, YamlDocument]:
    """Read and validate a rig file: its spec and parsed document."""
    rig = Rig.from_path(path)
    return rig.spec, rig.doc


def load_rig_text(text: str, filename: str = "<rig>") -> tuple[RigSpec, YamlDocument]:
    """Validate a rig given as YAML text (``filename`` is used in messages)."""
    rig = Rig.from_text(text, filename)
    return rig.spec, rig.doc


def check_rig(path_or_text: str | Path, catalog: Catalog | None = None, *,
              text: bool = False) -> BuiltRig:
    """Load a rig (a path, or YAML text with ``text=True``) and wire it into a netlist."""
    rig = (Rig.from_text(str(path_or_text), catalog=catalog) if text
           else Rig.from_path(path_or_text, catalog))
    return rig.built


__all__ = ["check_rig", "load_rig", "load_rig_text", "parse_knob_settings"]

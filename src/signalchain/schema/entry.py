"""A catalog file: a YAML list of entries, each a device or a cable, told apart by ``kind``."""

from __future__ import annotations

import typing
from typing import Annotated, Any

from pydantic import ConfigDict, Discriminator, RootModel, Tag

from signalchain.schema.cable import CableKind, CableSpec
from signalchain.schema.device import DeviceKind, DeviceSpec
from signalchain.schema.editor import Case, Cases

DEVICE_KINDS: tuple[str, ...] = typing.get_args(DeviceKind)
CABLE_KINDS: tuple[str, ...] = typing.get_args(CableKind)
ENTRY_KINDS = DEVICE_KINDS + CABLE_KINDS
"""Every ``kind`` a catalog entry may have."""


def _entry_tag(value: Any) -> str | None:
    if isinstance(value, DeviceSpec):
        return "device-entry"
    if isinstance(value, CableSpec):
        return "cable-entry"
    if not isinstance(value, dict):
        return None
    kind = value.get("kind")
    if kind in DEVICE_KINDS:
        return "device-entry"
    # a cable may leave its kind out (it defaults to 'cable'); its ends tell it apart
    if kind in CABLE_KINDS or (kind is None and "ends" in value):
        return "cable-entry"
    return None


_KIND_LIST = ", ".join(ENTRY_KINDS)
_HAS_KIND = {"properties": {"kind": {"enum": list(DEVICE_KINDS)}}, "required": ["kind"]}
_IS_CABLE = {"anyOf": [{"properties": {"kind": {"enum": list(CABLE_KINDS)}},
                        "required": ["kind"]},
                       {"not": {"required": ["kind"]}, "required": ["ends"]}]}

CatalogEntry = Annotated[
    Annotated[DeviceSpec, Tag("device-entry")] | Annotated[CableSpec, Tag("cable-entry")],
    Discriminator(_entry_tag, custom_error_type="entry_kind",
                  custom_error_message=f"a catalog entry needs a kind: one of {_KIND_LIST}"),
    Cases((Case("device-entry", {"type": "object", **_HAS_KIND}),
           Case("cable-entry", {"type": "object", **_IS_CABLE})),
          otherwise={"type": "object", "required": ["kind"],
                     "properties": {"kind": {"enum": list(ENTRY_KINDS)}}}),
]
"""A device (``kind: interface``, ``amp`` ...) or a cable (``kind: cable`` or ``adapter``;
a mapping with ``ends`` and no ``kind`` is a cable)."""


class CatalogFile(RootModel):  # type: ignore[type-arg]
    """A catalog file: a YAML list of device and cable entries, each with an ``id``."""

    # built when first used, as the models are: a warm start reads the bundled catalog from
    # its kept copy (and ``RootModel[...]`` would build a parametrized class at once)
    model_config = ConfigDict(defer_build=True)
    root: list[CatalogEntry]

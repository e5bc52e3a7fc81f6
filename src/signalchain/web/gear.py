"""Picking gear on the web page: a rig's devices edited one pick at a time (rig text in, out).

The page keeps the rig as rig-file text; each pick (an interface, an amp, a listener with
catalog or hand-entered headphones, a removal) gives a new text with the devices changed and
the connections dropped (they were for the old gear: Advise wires the new one). A computer
(``generic/laptop``) is added when the rig has none, since the interface's program comes from
it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from signalchain.catalog import Catalog
from signalchain.errors import Diagnostic, UsageError
from signalchain.rig import Rig
from signalchain.rigfile import rig_text
from signalchain.schema.loader import parse_yaml, plain_data
from signalchain.web.models import MAX_RIG_CHARS

COMPUTER_MODEL = "generic/laptop"
ROLES = ("interface", "amp")
"""Picks that replace the rig's device of that kind (one of each)."""
LISTENER_NAMES = ("alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan",
                  "judy", "mallory", "niaj", "olivia", "peggy", "rupert", "sybil")
NEW_RIG = "signalchain: 1\nname: My monitoring rig\ndevices:\n  computer: generic/laptop\n"
"""The rig a new page starts from: a computer, waiting for gear."""

ListenerName = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$",
                                    description="the listener's id in the rig (alice)")]


class CustomHeadphones(BaseModel):
    """Headphones not in the catalog, entered by hand."""

    model_config = ConfigDict(extra="forbid")
    label: Annotated[str, Field(min_length=1, max_length=60)] = "My headphones"
    z_ohm: Annotated[float, Field(ge=4.0, le=1000.0, description="impedance per side, ohm")]
    sensitivity: Annotated[float, Field(ge=60.0, le=140.0)]
    sensitivity_unit: Literal["dB/mW", "dB/V"] = "dB/mW"
    plug: Literal["trs-3.5", "trs-6.35"] = "trs-3.5"
    max_power_mw: Annotated[float, Field(gt=0.0, le=10_000.0)] | None = None


class GearEdit(BaseModel):
    """One pick: set the interface or amp, add a listener or a Y splitter, remove a device."""

    model_config = ConfigDict(extra="forbid")
    rig: Annotated[str, Field(max_length=MAX_RIG_CHARS)] = NEW_RIG
    action: Literal["set-interface", "set-amp", "add-listener", "add-splitter", "remove"]
    model: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._+/-]{0,127}$")] | None = None
    """Catalog id (set-interface, set-amp, add-listener with catalog headphones)."""
    listener: ListenerName | None = None
    """add-listener: who; default the next free name. remove: the device id."""
    custom: CustomHeadphones | None = None


@dataclass(frozen=True)
class GearItem:
    """A device of the rig as the gear list shows it."""

    id: str
    kind: str
    model: str | None
    """Catalog id, None for an inline device."""
    name: str


def _bad(message: str, hint: str = "", code: str = "bad-pick") -> UsageError:
    return UsageError([Diagnostic("error", message, hint=hint, code=code)])


def _data(text: str) -> dict[str, Any]:
    data = plain_data(parse_yaml(text, "rig.yaml").data)
    if not isinstance(data, dict) or not isinstance(data.get("devices"), dict):
        raise _bad("the rig has no 'devices:' mapping", "start a new rig")
    return data


def _kind(entry: Any, catalog: Catalog) -> str | None:
    model = entry if isinstance(entry, str) else (
        entry.get("model") if isinstance(entry, dict) else None)
    if isinstance(model, str):
        return catalog.get(model).kind if model in catalog else None
    kind = entry.get("kind") if isinstance(entry, dict) else None
    return kind if isinstance(kind, str) else None


def gear(rig: Rig) -> list[GearItem]:
    """The rig's devices, with their kinds and names, in rig order."""
    items = []
    for device_id, device in rig.resolved.devices.items():
        items.append(GearItem(device_id, device.spec.kind, device.model, device.spec.name))
    return items


def _catalog_model(model: str | None, kind: str, catalog: Catalog) -> str:
    if model is None:
        raise _bad(f"no {kind} was chosen", f"pick {kind} from the catalog search"
                   + (", or enter them by hand" if kind == "headphones" else ""))
    if model not in catalog or catalog.get(model).kind != kind:
        valid = ", ".join(catalog.ids(kind))
        raise _bad(f"{str(model)[:130]!r} is not a {kind} in the catalog",
                   f"pick one of: {valid}", code="unknown-id")
    return model


def _inline(custom: CustomHeadphones) -> dict[str, Any]:
    sens = ("sensitivity_db_per_mw" if custom.sensitivity_unit == "dB/mW"
            else "sensitivity_db_per_v")
    phones: dict[str, Any] = {"z_ohm": custom.z_ohm, sens: custom.sensitivity}
    if custom.max_power_mw is not None:
        phones["max_power_mw"] = custom.max_power_mw
    return {"kind": "headphones", "name": custom.label,
            "ports": {"plug": {"connector": custom.plug, "gender": "plug", "direction": "in",
                               "signal": "stereo", "captive": True}},
            "headphones": phones,
            "provenance": {"assumed": {"headphones": "entered by hand on the web page"}}}


def edit_gear(edit: GearEdit, catalog: Catalog) -> str:
    """The rig text after one pick (devices changed, connections dropped).

    Raises
    ------
    UsageError
        For an unknown catalog id, a taken listener name or a device not in the rig.
    RigError
        If the rig text itself is invalid.
    """
    data = _data(edit.rig)
    devices: dict[str, Any] = data["devices"]
    kinds = {k: _kind(v, catalog) for k, v in devices.items()}
    if edit.action in ("set-interface", "set-amp"):
        role = edit.action.removeprefix("set-")
        model = _catalog_model(edit.model, role, catalog)
        current = next((k for k, kind in kinds.items() if kind == role), None)
        key = current or (role if role not in devices else f"{role}-1")
        devices[key] = model
    elif edit.action == "add-listener":
        name = edit.listener or next((n for n in LISTENER_NAMES if n not in devices),
                                     f"listener-{len(devices)}")
        if name in devices:
            raise _bad(f"the rig already has a device named {name!r}",
                       "give the listener another name", code="taken")
        if edit.custom is not None:
            devices[name] = _inline(edit.custom)
        else:
            devices[name] = _catalog_model(edit.model, "headphones", catalog)
    elif edit.action == "add-splitter":
        model = _catalog_model(edit.model, "splitter", catalog)
        key = next(k for k in (f"splitter-{i}" for i in range(1, len(devices) + 2))
                   if k not in devices)
        devices[key] = model
    else:
        if edit.listener is None or edit.listener not in devices:
            raise _bad(f"no device {str(edit.listener)[:64]!r} to remove", code="unknown-id")
        del devices[edit.listener]
    if "computer" not in kinds.values() and not any(
            _kind(v, catalog) == "computer" for v in devices.values()):
        devices = {"computer": COMPUTER_MODEL, **devices}
    data["devices"] = devices
    data["connections"] = []
    return rig_text(Rig.from_dict(data, "rig.yaml", catalog))

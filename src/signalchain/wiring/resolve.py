"""Resolve a rig's devices against the catalog and fill in knob positions."""

from __future__ import annotations

from dataclasses import dataclass, field

from signalchain.catalog.store import Catalog
from signalchain.errors import Diagnostic, Location, RigTopologyError, error_at
from signalchain.schema.device import DeviceSpec
from signalchain.schema.loader import YamlDocument
from signalchain.schema.rig import DeviceUse, InlineDevice, RigSpec, check_listener_count


@dataclass
class ResolvedDevice:
    """A device of the rig with its catalog (or inline) spec and knob positions."""

    name: str
    spec: DeviceSpec
    model: str | None
    knobs: dict[str, float]
    location: Location
    outlet: str
    knobs_set: set[str] = field(default_factory=set)

    @property
    def label(self) -> str:
        """Name for messages: ``hm4 (mackie/hm-4)``."""
        return f"{self.name} ({self.model})" if self.model else self.name


@dataclass
class ResolvedRig:
    """A rig whose device ids were all found, ready for wiring."""

    spec: RigSpec
    doc: YamlDocument
    catalog: Catalog
    devices: dict[str, ResolvedDevice]

    def location(self, *path: str | int) -> Location:
        """Location of a path in the rig file."""
        return self.doc.location(path)[0]


def _lookup(catalog: Catalog, model: str, loc: Location, path: str) -> DeviceSpec | Diagnostic:
    spec = catalog.device(model)
    if spec is not None:
        return spec
    if catalog.cable(model) is not None:
        return error_at(f"{model!r} is a cable or adapter, not a device", loc, path=path,
                        hint="cables go under 'connections:'", code="unknown-id")
    close = catalog.close_matches(model, kinds=(DeviceSpec,))
    hint = (f"did you mean {' or '.join(repr(c) for c in close)}?" if close
            else "run 'signalchain catalog list' to see the device ids")
    return error_at(f"unknown device id {model!r}", loc, path=path, hint=hint, code="unknown-id")


def resolve(spec: RigSpec, doc: YamlDocument, catalog: Catalog) -> ResolvedRig:
    """Look every device up, check knob names and fill in positions.

    Raises
    ------
    RigTopologyError
        For unknown ids and unknown knob names.
    RigValidationError
        For more headphones than the ``listeners`` limit.
    """
    diags: list[Diagnostic] = []
    devices: dict[str, ResolvedDevice] = {}
    for name, entry in spec.devices.items():
        loc = doc.value_location(("devices", name))
        path = f"devices.{name}"
        outlet = name
        if isinstance(entry, str):
            found = _lookup(catalog, entry, loc, path)
            model, positions = entry, {}
        elif isinstance(entry, DeviceUse):
            found = _lookup(catalog, entry.model, doc.value_location(("devices", name, "model")),
                            path + ".model")
            model, positions, outlet = entry.model, entry.knobs, entry.outlet or name
        else:
            assert isinstance(entry, InlineDevice)
            found = DeviceSpec.model_validate(entry.model_dump(
                exclude={"knob_positions", "outlet"}, exclude_unset=True))
            model, positions, outlet = None, entry.knob_positions, entry.outlet or name
        if isinstance(found, Diagnostic):
            diags.append(found)
            continue
        unknown = sorted(set(positions) - set(found.knobs))
        for knob in unknown:
            knobs_of = ", ".join(sorted(found.knobs)) or "none"
            key = "knobs" if isinstance(entry, DeviceUse) else "set"
            diags.append(error_at(
                f"{name} has no knob {knob!r} (its knobs: {knobs_of})",
                doc.location(("devices", name, key, knob))[0], path=f"{path}.{key}.{knob}",
                hint="check the knob name in 'signalchain catalog show " + (model or name) + "'",
                code="unknown-knob"))
        knobs = {k: positions.get(k, knob.default) for k, knob in found.knobs.items()}
        devices[name] = ResolvedDevice(name, found, model, knobs, loc, outlet,
                                       set(positions) - set(unknown))
    if diags:
        raise RigTopologyError(diags)
    check_listener_count({n: d.spec.kind for n, d in devices.items()}, doc)
    return ResolvedRig(spec, doc, catalog, devices)

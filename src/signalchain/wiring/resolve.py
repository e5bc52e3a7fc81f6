"""Resolve a rig's devices against the catalog and fill in knob positions."""

from __future__ import annotations

from dataclasses import dataclass, field

from signalchain.catalog.store import Catalog
from signalchain.errors import Diagnostic, Location, RigTopologyError, error_at
from signalchain.schema.device import DeviceSpec
from signalchain.schema.loader import YamlDocument
from signalchain.schema.rig import (
    DeviceUse,
    InlineDevice,
    RigSpec,
    Settings,
    check_listener_count,
)


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
    direct_monitor: str = "off"
    """The interface's direct monitoring: off, mono or stereo."""
    phantom: frozenset[str] = frozenset()
    """Input ports with +48 V phantom power on."""
    software_monitoring: int | None = None
    """Buffer size (frames) when the computer plays the inputs back (a DAW's monitoring)."""

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


def _check_settings(name: str, spec: DeviceSpec, settings: Settings, doc: YamlDocument
                    ) -> list[Diagnostic]:
    """Direct monitoring and phantom power only where the device has them."""
    diags = []
    mode = settings.direct_monitor
    modes = spec.direct_monitor.modes if spec.direct_monitor else ["off"]
    if mode is not None and mode not in modes:
        path = ("devices", name, "settings", "direct_monitor")
        diags.append(error_at(
            f"{name} has no direct monitoring {mode!r} (it has: {', '.join(modes)})",
            doc.location(path)[0], path=".".join(path), code="unknown-setting",
            hint="choose one of its modes, or leave the setting out"))
    if settings.software_monitoring is not None and mode not in (None, "off"):
        path = ("devices", name, "settings", "software_monitoring")
        diags.append(error_at(
            f"{name} monitors its inputs both directly ({mode}) and through the computer",
            doc.location(path)[0], path=".".join(path), code="unknown-setting",
            hint="choose one: set direct_monitor to off, or leave software_monitoring out"))
    able = sorted(p for p, port in spec.ports.items() if port.preamp and port.preamp.phantom)
    for i, port in enumerate(settings.phantom):
        if port not in able:
            where = ("devices", name, "settings", "phantom", i)
            diags.append(error_at(
                f"{name} has no input {port!r} with phantom power (inputs with it: "
                f"{', '.join(able) or 'none'})", doc.location(where)[0],
                path=".".join(str(p) for p in where), code="unknown-setting",
                hint="list only inputs that have +48 V"))
    return diags


def _check_talkers(spec: RigSpec, doc: YamlDocument, devices: dict[str, ResolvedDevice]
                   ) -> list[Diagnostic]:
    """A talker's ``mic`` is a microphone of the rig, their ``listener`` its headphones."""
    diags = []
    for who, talker in spec.talkers.items():
        for key, kind, ref in (("mic", "microphone", talker.mic),
                               ("listener", "headphones", talker.listener)):
            if ref is None:
                continue
            dev = devices.get(ref)
            if dev is None or dev.spec.kind != kind:
                have = ", ".join(n for n, d in devices.items() if d.spec.kind == kind)
                path = ("talkers", who, key)
                diags.append(error_at(
                    f"talker {who}'s {key} {ref!r} is not a {kind} of this rig ("
                    f"{kind}s: {have or 'none'})", doc.location(path)[0],
                    path=".".join(path), code="unknown-device",
                    hint=f"name a {kind} under 'devices:'"))
    return diags


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
                exclude={"knob_positions", "outlet", "settings"}, exclude_unset=True))
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
        settings = entry.settings if not isinstance(entry, str) else Settings()
        diags.extend(_check_settings(name, found, settings, doc))
        monitor = settings.direct_monitor or (
            found.direct_monitor.default if found.direct_monitor else "off")
        devices[name] = ResolvedDevice(name, found, model, knobs, loc, outlet,
                                       set(positions) - set(unknown), monitor,
                                       frozenset(settings.phantom),
                                       settings.software_monitoring)
    diags.extend(_check_talkers(spec, doc, devices))
    if diags:
        raise RigTopologyError(diags)
    check_listener_count({n: d.spec.kind for n, d in devices.items()}, doc)
    return ResolvedRig(spec, doc, catalog, devices)

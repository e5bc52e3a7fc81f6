"""Candidate links between an interface and an amp: port groups and catalog cables.

An interface output group (a stereo output, a left/right pair of mono outputs, or the left
one alone) is joined to an amp input group (a stereo input or a left/right pair) with one
catalog cable, two identical ones for pair-to-pair links, or a Y (breakout) cable between a
pair and a stereo port, using at most one adapter per end.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import product
from typing import Any, Literal

from signalchain.advise.model import Skipped
from signalchain.catalog import Catalog
from signalchain.schema.cable import CableSpec
from signalchain.schema.device import PortSpec
from signalchain.wiring.adapters import adapter_path
from signalchain.wiring.resolve import ResolvedDevice

Devices = Mapping[str, ResolvedDevice]
Link = dict[str, Any]
"""A rig-file connection entry (plain data)."""
GroupKind = Literal["stereo", "pair", "mono"]


@dataclass(frozen=True)
class Group:
    """One or two ports used together: ``ports`` maps role (``single``/``left``/``right``)."""

    device: str
    ports: Mapping[str, str]
    label: str
    kind: GroupKind

    def ref(self, role: str, via: tuple[str, ...]) -> Any:
        """A cable end's entry for the port playing ``role`` (through adapters ``via``)."""
        port = f"{self.device}.{self.ports[role]}"
        return {"port": port, "via": list(via)} if via else port


@dataclass(frozen=True)
class CableOption:
    """One way to join an interface to an amp (or none, for headphones on the interface)."""

    name: str
    links: tuple[Link, ...]
    uses_line_outputs: bool
    signature: tuple[Any, ...]


def _label(port: PortSpec, name: str) -> str:
    return port.label or name


def output_groups(dev: ResolvedDevice) -> list[Group]:
    """The device's program outputs: stereo ones, an L/R pair of mono ones, the left alone."""
    ports = {n: p for n, p in dev.spec.ports.items() if p.direction == "out" and p.feeds}
    groups = [Group(dev.name, {"single": n}, _label(p, n), "stereo")
              for n, p in ports.items() if p.signal == "stereo"]
    mono = {p.feeds: n for n, p in ports.items() if p.signal != "stereo"}
    if "L" in mono and "R" in mono:
        left, right = mono["L"], mono["R"]
        groups.append(Group(dev.name, {"left": left, "right": right},
                            f"{_label(ports[left], left)} + {_label(ports[right], right)}",
                            "pair"))
        groups.append(Group(dev.name, {"single": left}, _label(ports[left], left), "mono"))
    elif mono:
        name = next(iter(mono.values()))
        groups.append(Group(dev.name, {"single": name}, _label(ports[name], name), "mono"))
    return groups


def input_groups(dev: ResolvedDevice) -> list[Group]:
    """The device's inputs: stereo ones, and L/R pairs of mono ones."""
    ports = {n: p for n, p in dev.spec.ports.items() if p.direction == "in" and p.senses}
    groups = [Group(dev.name, {"single": n}, _label(p, n), "stereo")
              for n, p in ports.items() if p.signal == "stereo"]
    mono: dict[str, list[str]] = {}
    for n, p in ports.items():
        if p.signal != "stereo" and isinstance(p.senses, str):
            mono.setdefault(p.senses, []).append(n)
    for left, right in zip(mono.get("L", []), mono.get("R", []), strict=False):
        groups.append(Group(dev.name, {"left": left, "right": right},
                            f"{_label(ports[left], left)} + {_label(ports[right], right)}",
                            "pair"))
    return groups


def _combined_end(cable: CableSpec) -> str | None:
    """The end every signal conductor of a Y cable reaches (its stereo end)."""
    signal = [c for c in cable.conductors if c.role == "signal"]
    if not signal:
        return None
    return next((e for e in cable.ends
                 if all(any(j.startswith(e + ".") for j in c.joins) for c in signal)), None)


def _legs(cable: CableSpec, single: str) -> dict[str, str]:
    """Contact of the combined end → the other end its signal conductor reaches."""
    by_contact: dict[str, str] = {}
    for c in cable.conductors:
        if c.role != "signal":
            continue
        mine = [j.split(".", 1)[1] for j in c.joins if j.startswith(single + ".")]
        others = [j.split(".", 1)[0] for j in c.joins if not j.startswith(single + ".")]
        if others:
            by_contact[mine[0] if mine else ""] = others[0]
    return by_contact


def breakout_ends(cable: CableSpec) -> tuple[str, str, str] | None:
    """A Y cable's combined end and its left and right ends (by which contact they join)."""
    single = _combined_end(cable)
    if single is None:
        return None
    by_contact = _legs(cable, single)
    hot = next((v for k, v in by_contact.items() if k in ("tip", "2", "pin")), None)
    cold = next((v for v in by_contact.values() if v != hot), None)
    if hot is None or cold is None:
        return None
    return single, hot, cold


class _Linker:
    """Cable connections (rig-file form) joining one output group to one input group."""

    def __init__(self, catalog: Catalog, devices: Devices, length_m: float) -> None:
        self.adapters = catalog.adapters()
        self.cables = [c for c in catalog.entries.values() if isinstance(c, CableSpec)
                       and c.kind == "cable" and c.id not in (None, "usb")]
        self.length = f"{length_m:g} m"
        self.devices = devices

    def port(self, group: Group, role: str) -> PortSpec:
        return self.devices[group.device].spec.ports[group.ports[role]]

    def straight(self, cable: CableSpec, out: Group, inp: Group) -> tuple[Link, ...] | None:
        """One two-end cable (twice, pair to pair), either way round."""
        roles = [("single", "single")] if out.kind != "pair" else [("left", "left"),
                                                                   ("right", "right")]
        first, second = cable.ends
        for a, b in ((first, second), (second, first)):
            links: list[Link] = []
            for ro, ri in roles:
                via_o = adapter_path(self.adapters, cable.ends[a], self.port(out, ro))
                via_i = adapter_path(self.adapters, cable.ends[b], self.port(inp, ri))
                if via_o is None or via_i is None:
                    break
                links.append({"cable": cable.id, "length": self.length,
                              "ends": [out.ref(ro, via_o), inp.ref(ri, via_i)]})
            else:
                return tuple(links)
        return None

    def breakout(self, cable: CableSpec, out: Group, inp: Group) -> tuple[Link, ...] | None:
        """One Y cable: its combined end on the stereo port, its legs on the pair."""
        ends = breakout_ends(cable)
        if ends is None:
            return None
        single, left, right = ends
        if out.kind == "pair" and inp.kind != "pair":
            split, joined = out, inp
        elif inp.kind == "pair" and out.kind != "pair":
            split, joined = inp, out
        else:
            return None
        plugged: dict[str, Any] = {}
        for end, group, role in ((single, joined, "single"), (left, split, "left"),
                                 (right, split, "right")):
            via = adapter_path(self.adapters, cable.ends[end], self.port(group, role))
            if via is None:
                return None
            plugged[end] = group.ref(role, via)
        return ({"cable": cable.id, "length": self.length, "ends": plugged},)

    def options(self, out: Group, inp: Group, several: bool) -> list[CableOption]:
        """Every catalog cable joining ``out`` to ``inp``, as named options."""
        src = f"{out.device}: {out.label}" if several else out.label
        dst = f"{inp.device}: {inp.label}" if several else inp.label
        found = []
        for cable in self.cables:
            links = self.links(cable, out, inp)
            if links is not None:
                count = f"2× {cable.name}" if len(links) > 1 else cable.name
                found.append(CableOption(f"{src} → {count} → {dst}", links,
                                         out.kind != "stereo",
                                         (out.device, inp.device, out.label, inp.label)))
        return found

    def links(self, cable: CableSpec, out: Group, inp: Group) -> tuple[Link, ...] | None:
        if len(cable.ends) == 2 and len(out.ports) == len(inp.ports):
            return self.straight(cable, out, inp)
        if len(cable.ends) == 3:
            return self.breakout(cable, out, inp)
        return None


def _groups(devices: Devices, iface: str, amp: str, skip: Callable[[Skipped], None]
            ) -> tuple[list[Group], list[Group]] | None:
    """The interface's output groups and the amp's input groups.

    None (and a skip) if either has none.
    """
    outs, ins = output_groups(devices[iface]), input_groups(devices[amp])
    if not outs:
        skip(Skipped((iface,), "no-output", {"device": iface, "name": devices[iface].spec.name,
                                              "what": "program"}))
        return None
    if not ins:
        skip(Skipped((amp,), "no-input", {"device": amp, "name": devices[amp].spec.name}))
        return None
    return outs, ins


def cable_options(catalog: Catalog, devices: Devices, iface: str, amp: str | None,
                  length_m: float, several: bool, skip: Callable[[Skipped], None]
                  ) -> list[CableOption]:
    """Every way to join the interface to the amp with catalog cables (one, without amp)."""
    if amp is None:
        name = "Headphones straight into the interface" + (f" ({iface})" if several else "")
        return [CableOption(name, (), False, (iface, None))]
    groups = _groups(devices, iface, amp, skip)
    if groups is None:
        return []
    linker = _Linker(catalog, devices, length_m)
    found = [option for out, inp in product(*groups) if not (out.kind == "mono"
                                                               and inp.kind == "pair")
             for option in linker.options(out, inp, several)]
    if not found:
        skip(Skipped((iface, amp), "no-cable", {"interface": iface, "amp": amp}))
    return found

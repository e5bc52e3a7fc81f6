"""Plugging the listeners in: outputs, Y splitters, adapters and who shares which output.

Each listener goes into an output of the amp (or of the interface, without an amp) with
the adapter their plug needs. When there are more listeners than outputs, the rig's Y
splitters let listeners share an output: listeners whose headphones are closest in
sensitivity share one (so one knob serves both); the few best such pairings are offered.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from signalchain.advise.candidates import Devices, Link
from signalchain.advise.model import Skipped
from signalchain.catalog import Catalog
from signalchain.schema.cable import CableSpec
from signalchain.schema.device import DeviceSpec, PortSpec
from signalchain.wiring.adapters import adapter_path
from signalchain.wiring.resolve import ResolvedDevice

PAIRINGS_TRIED = 3
"""At most this many ways to share outputs (those with the closest sensitivities) are tried."""


@dataclass(frozen=True)
class Ears:
    """One way to plug every listener in: the connections and who shares which output."""

    links: tuple[Link, ...]
    shared: Mapping[str, tuple[str, ...]]


def captive_plug(dev: ResolvedDevice) -> str | None:
    """The device's plug on a cord (a stereo one if it has several), or None."""
    plugs = [n for n, p in dev.spec.ports.items() if p.captive]
    stereo = [n for n in plugs if dev.spec.ports[n].signal == "stereo"]
    return next(iter(stereo or plugs), None)


def jacks(dev: ResolvedDevice) -> list[str]:
    """A splitter's stereo sockets (the ports listeners plug into)."""
    return [n for n, p in dev.spec.ports.items()
            if not p.captive and p.direction == "out" and p.signal == "stereo"]


def sensitivity_db_per_v(spec: DeviceSpec) -> float:
    """Headphones' level for 1 V, dB SPL (as the simulation computes it)."""
    return spec.headphones.level_db_per_v() if spec.headphones is not None else 0.0


def groupings(sens: Mapping[str, float], n_out: int, keep: int = PAIRINGS_TRIED
              ) -> list[list[list[str]]]:
    """Ways to share ``n_out`` outputs among the listeners, best first.

    With no more listeners than outputs everyone gets their own (in rig order). Otherwise
    the listeners, sorted by sensitivity, are cut into ``n_out`` runs (each run shares one
    output), minimising the sum of each run's squared sensitivity spread; the ``keep``
    best cuts whose runs differ in sensitivity are returned.
    """
    names = list(sens)
    if len(names) <= n_out:
        return [[[w] for w in names]]
    order = sorted(names, key=lambda w: sens[w])
    s = [sens[w] for w in order]
    n, width = len(order), 3 * keep
    # best[j][i]: the cheapest few (cost, cut points) splitting order[:i] into j runs
    best: list[dict[int, list[tuple[float, tuple[int, ...]]]]] = [{0: [(0.0, ())]}]
    longest = n - n_out + 1
    for j in range(1, n_out + 1):
        row: dict[int, list[tuple[float, tuple[int, ...]]]] = {}
        for i in range(j, n - (n_out - j) + 1):
            opts = [(cost + (s[i - 1] - s[p]) ** 2, cuts + (i,))
                    for p in range(max(j - 1, i - longest), i)
                    for cost, cuts in best[j - 1].get(p, [])]
            opts.sort(key=lambda o: o[0])
            row[i] = opts[:width]
        best.append(row)
    out: list[list[list[str]]] = []
    seen: set[tuple[Any, ...]] = set()
    for _cost, cuts in best[n_out].get(n, []):
        runs = [order[a:b] for a, b in zip((0, *cuts[:-1]), cuts, strict=True)]
        key = tuple(sorted(tuple(round(sens[w], 1) for w in run) for run in runs))
        if key in seen:
            continue
        seen.add(key)
        out.append(runs)
        if len(out) == keep:
            break
    return out


class _Plugger:
    """Plugs runs of listeners into outputs, through the free Y splitters."""

    def __init__(self, catalog: Catalog, devices: Devices, splitters: Sequence[str]) -> None:
        self.adapters: list[CableSpec] = catalog.adapters()
        self.devices = devices
        self.free = list(splitters)
        self.splitter_links: list[Link] = []

    def port(self, ref: str) -> PortSpec:
        dev, _, name = ref.partition(".")
        return self.devices[dev].spec.ports[name]

    def link(self, dev: ResolvedDevice, plug: str, into: str, via: tuple[str, ...]) -> Link:
        """A ``plug:`` entry: the device alone when it has one plug, else ``device.plug``."""
        several = sum(p.captive for p in dev.spec.ports.values()) > 1
        entry: Link = {"plug": f"{dev.name}.{plug}" if several else dev.name, "into": into}
        return {**entry, "via": via[0]} if via else entry

    def split(self, out: str, target: str) -> list[str] | Skipped:
        """Put the best-fitting free Y splitter into ``target``; return its sockets."""
        choices = []
        for y in self.free:
            dev = self.devices[y]
            plug = captive_plug(dev)
            if plug is None:
                continue
            via = adapter_path(self.adapters, dev.spec.ports[plug], self.port(target))
            if via is not None:
                choices.append((len(via), y, plug, via))
        if not choices:
            host = out.partition(".")[0]
            if not self.free:
                return Skipped((host,), "too-few-outputs", {"pairing": True})
            return Skipped((host, *self.free), "plug-does-not-fit", {"socket": target})
        _n, y, plug, via = min(choices, key=lambda c: c[0])
        self.free.remove(y)
        self.splitter_links.append(self.link(self.devices[y], plug, target, via))
        return [f"{y}.{j}" for j in jacks(self.devices[y])]

    def plug_in(self, listener: str, slot: str) -> Link | Skipped:
        """Plug a listener's headphones into ``slot`` (with the adapter they need)."""
        dev = self.devices[listener]
        plug = captive_plug(dev)
        assert plug is not None  # advise refuses headphones without a plug first
        via = adapter_path(self.adapters, dev.spec.ports[plug], self.port(slot))
        if via is None:
            p, socket = dev.spec.ports[plug], self.port(slot)
            host = slot.partition(".")[0]
            return Skipped((host, listener), "plug-does-not-fit", {
                "listener": listener, "name": dev.spec.name, "connector": p.connector,
                "gender": p.gender, "socket_connector": socket.connector, "device": host})
        return self.link(dev, plug, slot, via)


def ear_links(catalog: Catalog, devices: Devices, outs: Sequence[str],
              runs: Sequence[Sequence[str]], splitters: Sequence[str]) -> Ears | Skipped:
    """Plug each run of listeners into one output (through Y splitters for runs of two+)."""
    plugger = _Plugger(catalog, devices, splitters)
    by_listener: dict[str, Link] = {}
    shared: dict[str, tuple[str, ...]] = {}
    for out, run in zip(outs, runs, strict=False):
        slots = [out]
        while len(slots) < len(run):
            sockets = plugger.split(out, slots.pop())
            if isinstance(sockets, Skipped):
                return sockets
            slots += sockets
        if len(run) > 1:
            shared[out] = tuple(run)
        for listener, slot in zip(run, slots, strict=False):
            link = plugger.plug_in(listener, slot)
            if isinstance(link, Skipped):
                return link
            by_listener[listener] = link
    order = [w for w in devices if w in by_listener]
    return Ears((*plugger.splitter_links, *(by_listener[w] for w in order)), shared)


def ear_options(catalog: Catalog, devices: Devices, host: ResolvedDevice, amp: bool,
                listeners: Sequence[str], splitters: Sequence[str],
                skip: Callable[[Skipped], None]) -> list[Ears]:
    """The few best ways to plug the listeners into ``host`` (the amp, or the interface)."""
    outs = [f"{host.name}.{n}" for n, p in host.spec.ports.items()
            if p.direction == "out" and p.signal == "stereo" and p.feeds]
    if not outs:
        skip(Skipped((host.name,), "no-output", {"device": host.name, "name": host.spec.name,
                                                  "what": "headphones", "amp": amp}))
        return []
    extra = sum(len(jacks(devices[y])) - 1 for y in splitters)
    n = len(listeners)
    if n > len(outs) + extra:
        skip(Skipped((host.name, *splitters), "too-few-outputs", {
            "device": host.name, "listeners": n, "outputs": len(outs), "amp": amp,
            "splitters": len(splitters), "extra": extra}))
        return []
    sens = {w: sensitivity_db_per_v(devices[w].spec) for w in listeners}
    found: list[Ears] = []
    failures: list[Skipped] = []
    for runs in groupings(sens, len(outs)):
        ears = ear_links(catalog, devices, outs, runs, splitters)
        if isinstance(ears, Skipped):
            failures.append(ears)
        else:
            found.append(ears)
    if not found and failures:
        skip(failures[0])
    return found

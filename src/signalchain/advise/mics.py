"""Microphones in a method: each into a recording input of the interface, boosters where due.

Talkers' microphones go first (in the order of ``talkers:``), then any other microphone of
the rig, each into the next recording input (by channel) with an XLR cable. The rig's inline
boosters go between the least sensitive microphones (at their talkers' distance) and their
inputs, since those need gain the most. Microphones beyond the inputs stay unplugged and
are reported as skipped.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

from signalchain import units
from signalchain.advise.model import Skipped
from signalchain.schema.device import DeviceSpec
from signalchain.schema.rig import RigSpec
from signalchain.wiring.resolve import ResolvedDevice

Link = dict[str, object]
MIC_CABLE = "xlr-cable"
MIC_CABLE_M = 3.0
BOOSTER_CABLE_M = 0.5


def is_mic_booster(dev: ResolvedDevice | DeviceSpec) -> bool:
    """An ``amp`` whose inputs are all XLR: it boosts a microphone, it drives no headphones."""
    spec = dev if isinstance(dev, DeviceSpec) else dev.spec
    inputs = [p for p in spec.ports.values() if p.direction == "in" and p.senses]
    return spec.kind == "amp" and bool(inputs) and all(p.connector == "xlr-3" for p in inputs)


def _port(dev: ResolvedDevice, direction: str) -> str | None:
    attr = "feeds" if direction == "out" else "senses"
    return next((n for n, p in dev.spec.ports.items()
                 if p.direction == direction and getattr(p, attr)), None)


def _mic_volts(dev: ResolvedDevice, spec: RigSpec) -> float:
    """The microphone's output for its talker's average speech (V; 94 dB SPL if none)."""
    mv = next((p.mv_per_pa for p in dev.spec.ports.values() if p.mv_per_pa), 0.0) or 0.0
    spl = next((t.spl_at_mic_db() for t in spec.talkers.values() if t.mic == dev.name), 94.0)
    return mv * 1e-3 * float(units.spl_to_pa(spl))


def mic_links(spec: RigSpec, devices: Mapping[str, ResolvedDevice], interface: str,
              skip: Callable[[Skipped], None]) -> tuple[Link, ...]:
    """Connections for the rig's microphones into ``interface`` (none without either)."""
    iface = devices[interface]
    inputs = sorted((p for p in iface.spec.ports.items() if p[1].preamp is not None),
                    key=lambda p: (p[1].preamp.channel if p[1].preamp else 0, p[0]))
    talked = [t.mic for t in spec.talkers.values() if t.mic in devices]
    mics = list(dict.fromkeys([*talked, *(n for n, d in devices.items()
                                           if d.spec.kind == "microphone")]))
    if not mics:
        return ()
    plugged = mics[:len(inputs)]
    for mic in mics[len(inputs):]:
        skip(Skipped((mic, interface), "no-input", {"device": interface,
                                                    "name": iface.spec.name, "mic": mic}))
    boosters = [n for n, d in devices.items() if is_mic_booster(d)]
    quietest = sorted(plugged, key=lambda m: _mic_volts(devices[m], spec) or math.inf)
    boosted = dict(zip(quietest, boosters, strict=False))
    links: list[Link] = []
    for mic, (port, _spec) in zip(plugged, inputs, strict=False):
        out = f"{mic}.{_port(devices[mic], 'out')}"
        into = f"{interface}.{port}"
        booster = boosted.get(mic)
        if booster is None:
            links.append({"cable": MIC_CABLE, "length": f"{MIC_CABLE_M:g} m",
                          "ends": [out, into]})
            continue
        b = devices[booster]
        links += [{"cable": MIC_CABLE, "length": f"{MIC_CABLE_M:g} m",
                   "ends": [out, f"{booster}.{_port(b, 'in')}"]},
                  {"cable": MIC_CABLE, "length": f"{BOOSTER_CABLE_M:g} m",
                   "ends": [f"{booster}.{_port(b, 'out')}", into]}]
    return tuple(links)

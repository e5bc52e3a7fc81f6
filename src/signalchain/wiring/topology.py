"""A rig's topology as data: devices, their ports, the cables between them, the signal flow.

This is what a diagram or a cable schedule needs, read from the validated rig and its
wiring; nothing here is drawn or worded.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from signalchain.refs import PortRef
from signalchain.schema.rig import CableConnection, PlugConnection

if TYPE_CHECKING:
    from signalchain.rig import CableInfo, Rig, Topology


End = TypeVar("End")


def signal_sides(ends: Sequence[End], is_output: Callable[[End], bool]
                 ) -> tuple[list[End], list[End]]:
    """A connection's ends split into where the signal comes from and where it goes.

    The ends at outputs come first (a breakout cable has several); with none or only
    outputs (a USB link, a miswired rig), the first end in cable order.
    """
    sources = [e for e in ends if is_output(e)]
    if not sources or len(sources) == len(ends):
        return list(ends[:1]), list(ends[1:])
    return sources, [e for e in ends if not is_output(e)]


def _connection(index: int, conn: CableConnection | PlugConnection, rig: Rig) -> CableInfo:
    from signalchain.rig import CableInfo

    if isinstance(conn, CableConnection):
        ends = conn.ends if isinstance(conn.ends, list) else list(conn.ends.values())
        cable = rig.catalog.cable(conn.cable)
        length = conn.length
        if cable is not None and (cable.fixed_length or length is None):
            length = cable.default_length_m
        return CableInfo(index, conn.cable, length, tuple(PortRef(e.port) for e in ends),
                         tuple(a for e in ends for a in e.via))
    plug, into = conn.plug, conn.into
    device = rig.resolved.devices[plug.partition(".")[0]]
    if "." in plug:
        plug_port = PortRef(plug)
    else:
        name = next((n for n, p in device.spec.ports.items() if p.captive), "plug")
        plug_port = PortRef.of(device.name, name)
    return CableInfo(index, None, None, (plug_port, PortRef(into)), tuple(conn.via))


def topology(rig: Rig) -> Topology:
    """The devices, ports, connections and signal flow of a rig that plugs together."""
    from signalchain.rig import DeviceInfo, PortInfo, Topology

    built = rig.built
    cables = tuple(_connection(i, c, rig) for i, c in enumerate(rig.spec.connections))
    plugged = {p for c in cables for p in c.ports}
    knobs = rig.knobs
    devices = []
    for dev in rig.resolved.devices.values():
        ports = tuple(PortInfo(PortRef.of(dev.name, n), p.direction, p.connector, p.gender,
                               p.signal, p.label or n, PortRef.of(dev.name, n) in plugged)
                      for n, p in dev.spec.ports.items())
        mine = {k.partition(".")[2]: v for k, v in knobs.items()
                if k.partition(".")[0] == dev.name}
        devices.append(DeviceInfo(dev.name, dev.model, dev.spec.name or dev.name, dev.spec.kind,
                                  dev.spec.power, ports, mine))
    flow = {src: tuple(dsts) for src, dsts in built.signal_flow.items()}
    return Topology(tuple(devices), cables, flow, tuple(built.listeners), dict(built.feeds))

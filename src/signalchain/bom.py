"""The bill of materials and the cable schedule: the cables and adapters connections need.

One model for every front end: ``advise`` lists the BOM per method; ``bom`` and the report
list the rig as written as a cable schedule (:func:`cable_schedule`: one row per connection,
with its ID, its ends and what is plugged between) and the same BOM. Their JSON and table
forms are made in :mod:`signalchain.report`, like every sentence, including the notes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from signalchain.catalog import Catalog
from signalchain.refs import PortRef
from signalchain.wiring.resolve import ResolvedDevice

if TYPE_CHECKING:
    from signalchain.rig import CableInfo, Rig

BomNoteCode = Literal["length", "in-box", "for-plug"]
"""Why an item is listed: a cable's ``length`` as written, an adapter that comes ``in-box``
with a listener's headphones, or one bought ``for-plug`` (a listener's plug needs it)."""


@dataclass(frozen=True)
class BomNote:
    """A note on a BOM item (rendered by :func:`signalchain.report.advice.bom_note_text`).

    Attributes
    ----------
    code : {'length', 'in-box', 'for-plug'}
        What the note says.
    device : str
        The listener whose plug the adapter is for (``in-box``, ``for-plug``).
    name : str
        That device's own name (may be empty).
    length : str
        The cable's length as written in the connection (``length``), e.g. ``'3 m'``.
    """

    code: BomNoteCode
    device: str = ""
    name: str = ""
    length: str = ""


@dataclass(frozen=True)
class BomItem:
    """One catalog item the connections need, and how many.

    Attributes
    ----------
    item : str
        The catalog id (``trs-cable``, ``adapter/3.5f-6.35m``).
    name : str
        The catalog entry's name.
    count : int
        How many the connections use; ``in_box + to_buy``.
    in_box : int
        How many come in the box with the listeners' headphones.
    to_buy : int
        How many to buy or find.
    notes : tuple of BomNote
        Lengths and whose plugs the adapters are for, each once, in connection order.
    """

    item: str
    name: str
    count: int
    in_box: int
    to_buy: int
    notes: tuple[BomNote, ...]


@dataclass
class _Tally:
    count: int = 0
    in_box: int = 0
    notes: tuple[BomNote, ...] = ()

    def add(self, note: BomNote | None, boxed: bool = False) -> None:
        self.count += 1
        self.in_box += boxed
        if note is not None and note not in self.notes:
            self.notes += (note,)


def _entry(connection: Any) -> Mapping[str, Any]:
    """A connection as rig-file data (a schema model is dumped as the rig file writes it)."""
    if hasattr(connection, "model_dump"):
        return dict(connection.model_dump(mode="json", exclude_unset=True, by_alias=True))
    return dict(connection)


def _vias(value: Any) -> list[str]:
    """Adapters written as one id or a list of ids."""
    if not value:
        return []
    return [value] if isinstance(value, str) else list(value)


def _length_note(length: Any) -> BomNote | None:
    if length is None or length == "":
        return None
    return BomNote("length", length=length if isinstance(length, str) else f"{length:g} m")


def bill_of_materials(connections: Iterable[Any], catalog: Catalog,
                      devices: Mapping[str, ResolvedDevice]) -> tuple[BomItem, ...]:
    """What the connections need besides the rig's devices, item by item.

    Every cable (``cable:``) and every adapter (``via:``, on cable ends and plugs) counts.
    An adapter a listener's headphones come with (their ``adapter_included``) is counted
    ``in_box``; everything else ``to_buy``.

    Parameters
    ----------
    connections : iterable
        Rig-file connection entries (plain data, as in a rig file) or schema models.
    catalog : Catalog
        Where the items' names are looked up.
    devices : Mapping
        The rig's resolved devices (for the headphones behind ``plug:`` connections).

    Returns
    -------
    tuple of BomItem
        In the order the items first appear.
    """
    tally: dict[str, _Tally] = {}
    for connection in connections:
        entry = _entry(connection)
        if "cable" in entry:
            tally.setdefault(entry["cable"], _Tally()).add(_length_note(entry.get("length")))
            ends = entry["ends"].values() if isinstance(entry["ends"], Mapping) else entry["ends"]
            for end in ends:
                for adapter in _vias(end.get("via") if isinstance(end, Mapping) else None):
                    tally.setdefault(adapter, _Tally()).add(None)
            continue
        dev = devices[str(entry["plug"]).partition(".")[0]]
        hp = dev.spec.headphones
        name = dev.spec.name if dev.spec.name.strip() else ""
        for adapter in _vias(entry.get("via")):
            boxed = hp is not None and hp.adapter_included == adapter
            note = BomNote("in-box" if boxed else "for-plug", dev.name, name)
            tally.setdefault(adapter, _Tally()).add(note, boxed)
    return tuple(BomItem(item, catalog.get(item).name, t.count, t.in_box, t.count - t.in_box,
                         t.notes) for item, t in tally.items())


def items_to_buy(bom: Iterable[BomItem]) -> int:
    """How many items of a BOM must be bought or found."""
    return sum(i.to_buy for i in bom)


Supply = Literal["buy", "in-box", "attached"]
"""Where an item comes from: to ``buy`` (or find), ``in-box`` with the headphones, or
``attached`` to a device (the headphones' own cord)."""


@dataclass(frozen=True)
class ScheduleEnd:
    """One end of a connection: the plug, the adapters after it, and the port it goes into.

    Attributes
    ----------
    port : PortRef
        The device port at this end (``scarlett.headphones``).
    connector, gender : str
        The cable's (or cord's) own connector at this end and its gender; ``attached``
        (and no gender) at the device end of a device's own cord.
    adapters : tuple of (str, Supply)
        Adapter catalog ids from the plug towards the port, and where each comes from.
    port_connector, port_gender : str
        The port's connector and gender (what the last adapter, or the plug, goes into).
    direction : str
        The port's direction (``out`` where the signal comes from, ``in``, ``host``).
    """

    port: PortRef
    connector: str
    gender: str
    adapters: tuple[tuple[str, Supply], ...]
    port_connector: str
    port_gender: str
    direction: str


@dataclass(frozen=True)
class ScheduleRow:
    """One connection of the rig as written.

    Attributes
    ----------
    cable_id : str
        ``C01``, ``C02`` … in the order of the rig file's connections.
    item : str or None
        The cable's catalog id; None for a device's own cord plugged straight in.
    name : str
        The cable's catalog name, or the device whose cord it is.
    length_m : float or None
        The cable's length (None for a cord of unknown length).
    ends : tuple of ScheduleEnd
        In the cable's end order (a cord: the device it is attached to, then the socket
        its plug goes into).
    supply : Supply
        Where the cable itself comes from.
    """

    cable_id: str
    item: str | None
    name: str
    length_m: float | None
    ends: tuple[ScheduleEnd, ...]
    supply: Supply


@dataclass(frozen=True)
class CableSchedule:
    """The rig's connections as a schedule, and the BOM they add up to."""

    rig: str
    rows: tuple[ScheduleRow, ...]
    bom: tuple[BomItem, ...]


def _adapters(vias: Iterable[str], boxed: str | None) -> tuple[tuple[str, Supply], ...]:
    return tuple((a, "in-box" if a == boxed else "buy") for a in vias)


def _row(rig: Rig, info: CableInfo) -> ScheduleRow:
    """A connection (from :meth:`Rig.topology`) as a schedule row."""
    from signalchain.schema.rig import CableConnection

    conn = rig.spec.connections[info.index]
    ports = {str(p): p for p in info.ports}

    def port_spec(ref: PortRef) -> Any:
        return rig.resolved.devices[ref.device].spec.ports[ref.port]

    if isinstance(conn, CableConnection):
        spec = rig.catalog.cable(conn.cable)
        assert spec is not None  # the rig is built: its cables exist
        named = conn.ends if isinstance(conn.ends, Mapping) else dict(
            zip(spec.ends, conn.ends, strict=True))
        ends = tuple(ScheduleEnd(
            ports[ref.port], spec.ends[end].connector, spec.ends[end].gender,
            _adapters(ref.via, None), port_spec(ports[ref.port]).connector,
            port_spec(ports[ref.port]).gender, port_spec(ports[ref.port]).direction)
            for end, ref in named.items())
        return ScheduleRow(info.cable_id, conn.cable, spec.name or conn.cable, info.length_m,
                           ends, "buy")
    plug, into = info.ports
    dev = rig.resolved.devices[plug.device]
    boxed = dev.spec.headphones.adapter_included if dev.spec.headphones else None
    cord, socket = port_spec(plug), port_spec(into)
    ends = (ScheduleEnd(plug, "attached", "", (), cord.connector, cord.gender, cord.direction),
            ScheduleEnd(into, cord.connector, cord.gender, _adapters(info.adapters, boxed),
                        socket.connector, socket.gender, socket.direction))
    return ScheduleRow(info.cable_id, None, dev.spec.name or dev.name, None, ends, "attached")


def cable_schedule(rig: Rig) -> CableSchedule:
    """Every connection of the rig as written, and the BOM of its cables and adapters.

    The BOM counts every cable (``cable:``, the USB cable included) and every adapter
    (``via:``), as :func:`bill_of_materials` does; devices and the headphones' own cords are
    not in it.

    Parameters
    ----------
    rig : Rig
        A rig that plugs together.
    """
    rows = tuple(_row(rig, info) for info in rig.topology().cables)
    bom = bill_of_materials(rig.spec.connections, rig.catalog, rig.resolved.devices)
    return CableSchedule(rig.name, rows, bom)


__all__ = ["BomItem", "BomNote", "BomNoteCode", "CableSchedule", "ScheduleEnd", "ScheduleRow",
           "Supply", "bill_of_materials", "cable_schedule", "items_to_buy"]

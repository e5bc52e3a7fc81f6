"""The bill of materials: the cables and adapters a set of connections needs.

One model for every front end: ``advise`` lists it per method, and its JSON form is
``{"item", "name", "count", "in_box", "to_buy", "notes"}`` (made in :mod:`signalchain.report`,
like every sentence, including the notes).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from signalchain.catalog import Catalog
from signalchain.wiring.resolve import ResolvedDevice

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


__all__ = ["BomItem", "BomNote", "BomNoteCode", "bill_of_materials", "items_to_buy"]

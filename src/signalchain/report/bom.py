"""The cable schedule and BOM as words: table rows (terminal, Markdown, CSV, TSV, HTML), JSON.

Text from rig files (device names, ids) is data here; each output format escapes it in its
own way (:mod:`signalchain.report.tables`).
"""

from __future__ import annotations

from typing import Any

from signalchain.bom import BomItem, CableSchedule, ScheduleEnd, ScheduleRow, Supply
from signalchain.wiring.topology import signal_sides

SCHEDULE_HEADER = ("ID", "from", "to", "type", "length", "plug at from", "plug at to",
                   "adapters", "source")
BOM_HEADER = ("item", "name", "count", "in the box", "to buy")
SUPPLY_TEXT: dict[Supply, str] = {"buy": "buy", "in-box": "in the box",
                                  "attached": "attached to the headphones"}


def _plug(end: ScheduleEnd) -> str:
    return f"{end.connector} {end.gender}".strip()


def _adapters(row: ScheduleRow) -> str:
    parts = [f"{a}{' (in the box)' if supply == 'in-box' else ''}"
             for end in row.ends for a, supply in end.adapters]
    return ", ".join(parts) or "none"


def _length(row: ScheduleRow) -> str:
    return "" if row.length_m is None else f"{row.length_m:g} m"


def schedule_rows(schedule: CableSchedule) -> list[tuple[str, ...]]:
    """One row of text cells per connection, in :data:`SCHEDULE_HEADER` order."""
    rows: list[tuple[str, ...]] = []
    for row in schedule.rows:
        src, dst = signal_sides(row.ends, lambda e: e.direction == "out")
        kind = "cord" if row.item is None else row.item
        rows.append((row.cable_id, " + ".join(str(e.port) for e in src),
                     " + ".join(str(e.port) for e in dst), kind, _length(row),
                     " + ".join(_plug(e) for e in src), " + ".join(_plug(e) for e in dst),
                     _adapters(row), SUPPLY_TEXT[row.supply]))
    return rows


def bom_rows(items: tuple[BomItem, ...]) -> list[tuple[str, ...]]:
    """One row of text cells per BOM item, in :data:`BOM_HEADER` order."""
    return [(i.item, i.name, str(i.count), str(i.in_box), str(i.to_buy)) for i in items]


def _end_json(end: ScheduleEnd) -> dict[str, Any]:
    return {"port": str(end.port), "direction": end.direction, "connector": end.connector,
            "gender": end.gender,
            "adapters": [{"item": a, "source": s} for a, s in end.adapters],
            "port_connector": end.port_connector, "port_gender": end.port_gender}


def schedule_json(schedule: CableSchedule) -> dict[str, Any]:
    """``bom --format json``: every connection and the BOM."""
    return {"signalchain": 1, "rig": schedule.rig,
            "cables": [{"id": r.cable_id, "item": r.item, "name": r.name,
                        "length_m": r.length_m, "source": r.supply,
                        "ends": [_end_json(e) for e in r.ends]} for r in schedule.rows],
            "bom": [{"item": i.item, "name": i.name, "count": i.count, "in_box": i.in_box,
                     "to_buy": i.to_buy} for i in schedule.bom]}


def schedule_text(fmt: str, schedule: CableSchedule) -> str:
    """The schedule and BOM as JSON, or as Markdown (for ``table``: a file), CSV or TSV."""
    from signalchain.report.tables import TABLE_FORMATS, render_text
    from signalchain.textsafe import json_dumps

    if fmt == "json":
        return json_dumps(schedule_json(schedule)) + "\n"
    plain = next(f for f in TABLE_FORMATS if f == fmt or (fmt == "table" and f == "md"))
    text = render_text(plain, SCHEDULE_HEADER, schedule_rows(schedule))
    return text + ("\n" if plain == "md" else "") + render_text(plain, BOM_HEADER,
                                                                 bom_rows(schedule.bom))

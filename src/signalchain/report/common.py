"""Small helpers shared by the report modules: table cells, names, hiss and hum levels."""

from __future__ import annotations

from rich.text import Text


def cells(*values: object) -> list[Text]:
    """Table cells as plain text: names from rig files are never read as rich markup."""
    return [Text(str(v)) for v in values]


def named(device_id: str, name: str) -> str:
    """A device id with its own name when it has one: ``carol (Carol's DIY cans)``."""
    return f"{device_id} ({name})" if name and name != device_id else device_id


def level_text(value: float, audible_from: float, unit: str = "") -> str:
    """A hiss or hum level (``12.3``, ``9.6 dBA (inaudible)``), or ``none`` when absent."""
    if value == float("-inf"):
        return "none"
    text = f"{value:.1f}" + (f" {unit}" if unit else "")
    return text + " (inaudible)" if value < audible_from else text

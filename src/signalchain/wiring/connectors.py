"""Connector families, their contacts, and which plug contacts touch which jack contacts.

These are mechanical facts about connectors (a TS plug's long sleeve spans a
TRS jack's ring spring; a 3.5 mm plug does not fit a 6.35 mm jack). What the
contacts then carry is left to the circuit.
"""

from __future__ import annotations

CONTACTS: dict[str, tuple[str, ...]] = {
    "trs-6.35": ("tip", "ring", "sleeve"),
    "trs-3.5": ("tip", "ring", "sleeve"),
    "ts-6.35": ("tip", "sleeve"),
    "ts-3.5": ("tip", "sleeve"),
    "xlr-3": ("1", "2", "3"),
    "combo": ("tip", "ring", "sleeve"),  # XLR pin 2/3/1 share the TRS contacts' circuits
    "rca": ("pin", "shell"),
    "usb-a": ("vbus", "gnd", "shield"),
    "usb-b": ("vbus", "gnd", "shield"),
    "usb-c": ("vbus", "gnd", "shield"),
    "usb-any": ("vbus", "gnd", "shield"),
}

# Signal roles of each connector's contacts: hot (tip / pin 2 / RCA pin), cold
# (ring / pin 3), ground (sleeve / pin 1 / shell). For stereo ports hot = left
# and cold = right.
ROLES: dict[str, dict[str, str]] = {
    "trs-6.35": {"hot": "tip", "cold": "ring", "ground": "sleeve"},
    "trs-3.5": {"hot": "tip", "cold": "ring", "ground": "sleeve"},
    "ts-6.35": {"hot": "tip", "ground": "sleeve"},
    "ts-3.5": {"hot": "tip", "ground": "sleeve"},
    "xlr-3": {"hot": "2", "cold": "3", "ground": "1"},
    "combo": {"hot": "tip", "cold": "ring", "ground": "sleeve"},
    "rca": {"hot": "pin", "ground": "shell"},
    "usb-a": {"ground": "gnd"}, "usb-b": {"ground": "gnd"}, "usb-c": {"ground": "gnd"},
    "usb-any": {"ground": "gnd"},
}

SIZE = {"trs-6.35": "6.35 mm", "ts-6.35": "6.35 mm", "trs-3.5": "3.5 mm", "ts-3.5": "3.5 mm",
        "xlr-3": "XLR", "combo": "XLR/6.35 mm combo", "rca": "RCA", "usb-a": "USB-A",
        "usb-b": "USB-B", "usb-c": "USB-C", "usb-any": "USB"}

_IDENTITY = {"tip": ["tip"], "ring": ["ring"], "sleeve": ["sleeve"]}
_TS_IN_TRS = {"tip": ["tip"], "sleeve": ["ring", "sleeve"]}  # long sleeve shorts the ring spring
_TRS_IN_TS = {"tip": ["tip"], "ring": [], "sleeve": ["sleeve"]}  # plug ring touches nothing
_USB = {"vbus": ["vbus"], "gnd": ["gnd"], "shield": ["shield"]}

# (plug connector, jack connector) -> plug contact -> jack contacts it touches
MATES: dict[tuple[str, str], dict[str, list[str]]] = {
    ("trs-6.35", "trs-6.35"): _IDENTITY,
    ("trs-3.5", "trs-3.5"): _IDENTITY,
    ("ts-6.35", "ts-6.35"): {"tip": ["tip"], "sleeve": ["sleeve"]},
    ("ts-3.5", "ts-3.5"): {"tip": ["tip"], "sleeve": ["sleeve"]},
    ("ts-6.35", "trs-6.35"): _TS_IN_TRS,
    ("ts-3.5", "trs-3.5"): _TS_IN_TRS,
    ("trs-6.35", "ts-6.35"): _TRS_IN_TS,
    ("trs-3.5", "ts-3.5"): _TRS_IN_TS,
    ("xlr-3", "xlr-3"): {"1": ["1"], "2": ["2"], "3": ["3"]},
    ("xlr-3", "combo"): {"2": ["tip"], "3": ["ring"], "1": ["sleeve"]},
    ("trs-6.35", "combo"): _IDENTITY,
    ("ts-6.35", "combo"): _TS_IN_TRS,
    ("rca", "rca"): {"pin": ["pin"], "shell": ["shell"]},
}
for _a in ("usb-a", "usb-b", "usb-c", "usb-any"):
    for _b in ("usb-a", "usb-b", "usb-c"):
        if _a == _b or _a == "usb-any":
            MATES[(_a, _b)] = _USB


def mate(plug: str, jack: str) -> dict[str, list[str]] | None:
    """Return which jack contacts each plug contact touches, or None if the plug does not fit."""
    return MATES.get((plug, jack))


def mated_contacts(a_connector: str, a_gender: str, b_connector: str, b_gender: str
                   ) -> list[tuple[str, str]] | None:
    """Contacts that touch when end ``a`` goes into end ``b``: ``(a contact, b contact)`` pairs.

    None if they do not fit (two plugs, two jacks, or connectors that do not mate).
    """
    if a_gender == b_gender:
        return None
    a_is_plug = a_gender == "plug"
    table = mate(a_connector, b_connector) if a_is_plug else mate(b_connector, a_connector)
    if table is None:
        return None
    return [(pc, jc) if a_is_plug else (jc, pc) for pc, jcs in table.items() for jc in jcs]


def fits(a_connector: str, a_gender: str, b_connector: str, b_gender: str) -> bool:
    """True if end ``a`` plugs into end ``b`` (one plug, one jack, and they mate)."""
    if a_gender == b_gender:
        return False
    plug, jack = (a_connector, b_connector) if a_gender == "plug" else (b_connector, a_connector)
    return mate(plug, jack) is not None

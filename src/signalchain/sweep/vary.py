"""What a sweep varies: ``--vary`` expressions, parsed and checked against the rig.

``TARGET=VALUES`` where TARGET is

- ``DEVICE.KNOB`` — a knob's position (``0..1:21``, ``20%..80%:7``, ``0.3,0.5,0.7``);
- ``CNN.length`` — the length of the rig's NN-th connection, a cable (``1m..30m:12``,
  ``1m..30m:12:log``; the IDs of ``signalchain bom``);
- ``environment.ground_offset_v`` (``1mV..1V:7:log``) or ``environment.mains_hz``
  (``50,60``);
- ``DEVICE`` — the device swapped for each catalog id in a list
  (``hm4=mackie/hm-4,behringer/ha400``).

VALUES is a list (``a,b,c``) or a range ``FROM..TO:COUNT`` (``:log`` for log spacing).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np

from signalchain import units
from signalchain.errors import Diagnostic, UsageError

if TYPE_CHECKING:
    from signalchain.rig import Rig

VariableKind = Literal["knob", "length", "environment", "device"]
MAX_VALUES = 10_000
"""Values one variable may take."""
RANGE = re.compile(r"^(?P<lo>.+?)\.\.(?P<hi>[^:]+):(?P<n>\d{1,6})(?::(?P<log>log))?$")
CABLE_ID = re.compile(r"^C(\d{1,4})$")
ENVIRONMENT = {"environment.ground_offset_v": (units.parse_level_v, 0.0, 50.0, "V"),
               "environment.mains_hz": (units.parse_hz, 50.0, 60.0, "Hz")}
FORMS = ("DEVICE.KNOB=0..1:21", "C01.length=1m..30m:12:log",
         "environment.ground_offset_v=1mV..1V:7:log", "environment.mains_hz=50,60",
         "DEVICE=model1,model2")


@dataclass(frozen=True)
class Variable:
    """One varied quantity and the values it takes."""

    target: str
    """As written: ``scarlett.headphones``, ``C02.length``, ``hm4`` …"""
    kind: VariableKind
    values: tuple[float, ...] | tuple[str, ...]
    unit: str
    """``""`` (knob position), ``m``, ``V``, ``Hz``, or ``""`` for a device's catalog id."""
    log: bool = False
    ranged: bool = False
    """Written as a range (``FROM..TO:N``): random draws cover all of it, not just the N."""

    @property
    def numeric(self) -> bool:
        """Whether the values are numbers (they can be a plot's axis)."""
        return self.kind != "device"

    @property
    def structural(self) -> bool:
        """Whether a new value means a new circuit (everything but a knob)."""
        return self.kind != "knob"


def _bad(expr: str, message: str, hint: str = "") -> UsageError:
    return UsageError([Diagnostic(
        "error", f"--vary {expr[:120]!r}: {message}",
        hint=hint or "write TARGET=VALUES, e.g. " + "; ".join(FORMS), code="bad-vary")])


def _numbers(expr: str, text: str, parse: Callable[[object], float], low: float, high: float,
             unit: str) -> tuple[tuple[float, ...], bool, bool]:
    """The values of a list or a range, each parsed and within ``low..high``."""
    match = RANGE.match(text)
    try:
        if match:
            lo, hi = parse(match["lo"]), parse(match["hi"])
            count = int(match["n"])
            if not 1 <= count <= MAX_VALUES:
                raise _bad(expr, f"{count} values; a variable takes 1 to {MAX_VALUES}")
            log = match["log"] is not None
            if log and (lo <= 0 or hi <= 0):
                raise _bad(expr, "a :log range needs values above 0")
            grid = (np.geomspace(lo, hi, count) if log else np.linspace(lo, hi, count))
            # 12 significant digits: 0.6, not linspace's 0.6000000000000001
            values = tuple(float(f"{v:.12g}") for v in grid)
        else:
            log = False
            parts = [p for p in text.split(",") if p.strip()]
            if not parts or len(parts) > MAX_VALUES:
                raise _bad(expr, "no values" if not parts else f"more than {MAX_VALUES} values")
            values = tuple(parse(p.strip()) for p in parts)
    except UsageError:
        raise
    except ValueError as exc:
        raise _bad(expr, str(exc)) from None
    for v in values:
        if not (math.isfinite(v) and low <= v <= high):
            raise _bad(expr, f"{v:g} {unit} is outside {low:g}..{high:g} {unit}".strip())
    return values, log, match is not None


def _knob_value(text: object) -> float:
    return units.parse_fraction(text)


def parse_vary(expr: str, rig: Rig) -> Variable:
    """A ``--vary`` expression as a :class:`Variable` of this rig.

    Raises
    ------
    UsageError
        Naming the expression, what is wrong and the valid forms.
    """
    target, eq, text = expr.partition("=")
    target, text = target.strip(), text.strip()
    if not eq or not target or not text:
        raise _bad(expr, "expected TARGET=VALUES")
    head, dot, tail = target.partition(".")
    if target in ENVIRONMENT:
        parse, low, high, unit = ENVIRONMENT[target]
        values, log, ranged = _numbers(expr, text, parse, low, high, unit)
        if target == "environment.mains_hz" and any(v not in (50.0, 60.0) for v in values):
            raise _bad(expr, "the mains frequency is 50 or 60 Hz")
        return Variable(target, "environment", values, unit, log, ranged)
    if CABLE_ID.match(head) and tail == "length":
        index = int(head[1:]) - 1
        connections = rig.spec.connections
        from signalchain.schema.rig import CableConnection

        if not 0 <= index < len(connections) or not isinstance(connections[index],
                                                                CableConnection):
            cables = [f"C{i + 1:02d}" for i, c in enumerate(connections)
                      if isinstance(c, CableConnection)]
            raise _bad(expr, f"the rig has no cable {head}", "cables of this rig: "
                       + (", ".join(cables) or "none") + " (signalchain bom RIG lists them)")
        values, log, ranged = _numbers(expr, text, units.parse_length_m, 0.01, 1000.0, "m")
        return Variable(target, "length", values, "m", log, ranged)
    if dot:
        if target not in rig.knobs:
            known = ", ".join(sorted(rig.knobs)) or "none"
            raise _bad(expr, f"no knob {target!r}", f"the rig's knobs: {known}")
        values, log, ranged = _numbers(expr, text, _knob_value, 0.0, 1.0, "")
        return Variable(target, "knob", values, "", log, ranged)
    if target not in rig.spec.devices:
        raise _bad(expr, f"no device, knob or cable {target!r}",
                   "devices: " + ", ".join(rig.spec.devices))
    ids = tuple(v.strip() for v in text.split(",") if v.strip())
    unknown = [i for i in ids if rig.catalog.device(i) is None]
    if not ids or unknown or len(ids) > MAX_VALUES:
        raise _bad(expr, f"unknown catalog device {unknown[0]!r}" if unknown else
                   "list one or more catalog ids", "signalchain catalog list shows the ids")
    kind = rig.resolved.devices[target].spec.kind
    other = [i for i in ids if (spec := rig.catalog.device(i)) is not None and spec.kind != kind]
    if other:
        raise _bad(expr, f"{other[0]} is not a{'n' if kind[0] in 'aeiou' else ''} {kind}, "
                   f"as {target} is", f"signalchain catalog list --kind {kind} lists them")
    return Variable(target, "device", ids, "")

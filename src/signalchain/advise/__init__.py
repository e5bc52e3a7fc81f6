"""``advise``: every sensible way to wire the rig's gear, built, checked, simulated, tuned, ranked.

The rig's devices are kept and its connections ignored. Each candidate method uses one
computer, one interface and (if the rig has any) one amp. It joins an interface output to
an amp input with catalog cables (:mod:`~signalchain.advise.candidates`); each listener
goes into an output of the amp (or of the interface, without an amp) with the adapter
their plug needs, sharing outputs through the rig's Y splitters when there are more
listeners than outputs (:mod:`~signalchain.advise.ears`). The distinct candidates are
built and tuned (:mod:`~signalchain.advise.search`), then judged and ranked
(:mod:`~signalchain.advise.judge`). Interfaces (or amps) whose rig entries are identical
behave identically, so only the first of them is tried.

Everything returned is data (:mod:`~signalchain.advise.model`); the sentences are made by
:mod:`signalchain.report.advice`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from signalchain import thresholds as th
from signalchain.advise.candidates import cable_options
from signalchain.advise.ears import PAIRINGS_TRIED, Ears, captive_plug, ear_options, jacks
from signalchain.advise.judge import (
    BAD_CODES,
    LEVEL_TOLERANCE_DB,
    QUIETEST_TIE_DB,
    WEIGHTS,
    judge,
)
from signalchain.advise.mics import is_mic_booster, mic_links
from signalchain.advise.model import (
    Advice,
    Facts,
    Method,
    Point,
    PointCode,
    SkipCode,
    Skipped,
    Verdict,
    Volume,
)
from signalchain.advise.search import Candidate, Pair, Search
from signalchain.errors import Diagnostic, RigError, UsageError, error_at
from signalchain.wiring.resolve import ResolvedDevice

if TYPE_CHECKING:
    from signalchain.rig import Rig

PRIORITIES: tuple[str, ...] = tuple(WEIGHTS)
"""The priorities advise ranks by: ``quality`` (least hiss) and ``convenience``."""
LENGTH_RANGE_M = (0.1, 100.0)
"""Interface-to-amp cable lengths advise accepts, metres."""
TARGET_RANGE_DB = (20.0, 130.0)
"""Listening levels advise accepts, dB SPL (as ``tune --target-spl``)."""
HEADROOM_RANGE_DB = (0.0, 40.0)
"""Headroom advise accepts, dB (as ``tune --headroom-db``)."""

Skip = Callable[[Skipped], None]


@dataclass(frozen=True)
class _Roles:
    """The rig's devices by what advise does with them."""

    computer: str
    interfaces: tuple[str, ...]
    amps: tuple[str, ...]
    listeners: tuple[str, ...]
    splitters: tuple[str, ...]
    several: bool
    """More than one interface or amp: method names say which."""


def _check_options(priority: str, length_m: float, target_spl_db: float,
                   headroom_db: float) -> None:
    bad = []
    if priority not in WEIGHTS:
        bad.append(f"priority {priority!r} is not one of {', '.join(WEIGHTS)}")
    for what, value, (low, high), unit in (
            ("cable length", length_m, LENGTH_RANGE_M, "m"),
            ("target level", target_spl_db, TARGET_RANGE_DB, "dB SPL"),
            ("headroom", headroom_db, HEADROOM_RANGE_DB, "dB")):
        if not (isinstance(value, int | float) and math.isfinite(value)
                and low <= value <= high):
            bad.append(f"{what} {value!r} is outside {low:g}..{high:g} {unit}")
    if bad:
        raise UsageError([Diagnostic("error", m, code="bad-option") for m in bad])


def _who(dev: ResolvedDevice) -> str:
    name = dev.spec.name.strip()
    return f"{dev.name} ({name})" if name and name != dev.name else dev.name


def _diag(message: str, dev: ResolvedDevice | None = None, hint: str = "",
          code: str = "advise") -> Diagnostic:
    return error_at(message, dev.location if dev else None,
                    path=f"devices.{dev.name}" if dev else "", hint=hint, code=code)


def _host_port(dev: ResolvedDevice) -> str | None:
    return next((n for n, p in dev.spec.ports.items() if p.signal == "host"), None)


def _twin_key(dev: ResolvedDevice, devices: dict[str, ResolvedDevice]) -> tuple[object, ...]:
    """What a device behaves by: model, spec, knobs, and its outlet unless it is its own.

    A device on an outlet of its own (the default, named after it, shared with nobody)
    stands in the same place as any other such device.
    """
    own = dev.outlet == dev.name and not any(
        d.outlet == dev.outlet for d in devices.values() if d is not dev)
    return dev.model, dev.spec, dev.knobs, None if own else dev.outlet


def _distinct(names: Sequence[str], devices: dict[str, ResolvedDevice], skip: Skip
              ) -> tuple[str, ...]:
    """The devices, less those that behave exactly as an earlier one (see :func:`_twin_key`)."""
    kept: dict[str, tuple[object, ...]] = {}
    for name in names:
        key = _twin_key(devices[name], devices)
        twin = next((k for k, v in kept.items() if v == key), None)
        if twin is None:
            kept[name] = key
        else:
            skip(Skipped((name, twin), "same-as", {"device": name, "same_as": twin}))
    return tuple(kept)


def _check_gear(devices: dict[str, ResolvedDevice], kinds: dict[str, list[str]],
                computers: Sequence[str]) -> None:
    """A RigError if advise lacks a computer, an interface or headphones, or a plug."""
    listeners = kinds.get("headphones", [])
    missing = [what for what, have in (("a computer with a USB port", computers),
                                       ("an interface", kinds.get("interface", [])),
                                       ("headphones", listeners)) if not have]
    if missing:
        needed = " and ".join([", ".join(missing[:-1]), missing[-1]] if len(missing) > 1
                              else missing)
        raise RigError([_diag(f"advise needs {needed} among the rig's devices",
                              code="advise-missing")])
    plugless = [devices[w] for w in listeners if captive_plug(devices[w]) is None]
    if plugless:
        raise RigError([_diag(f"headphones {_who(d)} have no plug on a cord (a port with "
                              "'captive: true'), so advise cannot plug them in", d,
                              hint="mark the headphones' plug 'captive: true'",
                              code="no-captive-plug") for d in plugless])


def _roles(devices: dict[str, ResolvedDevice], skip: Skip) -> _Roles:
    """Who is who, or a RigError saying what advise is missing."""
    kinds: dict[str, list[str]] = {}
    for name, dev in devices.items():
        kinds.setdefault(dev.spec.kind, []).append(name)
    computers = [c for c in kinds.get("computer", []) if _host_port(devices[c])]
    _check_gear(devices, kinds, computers)
    interfaces = kinds["interface"]
    amps = [a for a in kinds.get("amp", []) if not is_mic_booster(devices[a])]
    splitters = [y for y in kinds.get("splitter", []) if captive_plug(devices[y])
                 and len(jacks(devices[y])) >= 2]
    return _Roles(computers[0], _distinct(interfaces, devices, skip),
                  _distinct(amps, devices, skip), tuple(kinds["headphones"]),
                  tuple(splitters), len(interfaces) > 1 or len(amps) > 1)


def _candidates(rig: Rig, roles: _Roles, length_m: float, skip: Skip
                ) -> tuple[list[Candidate], dict[Pair, list[Ears]]]:
    """Every candidate (with the closest pairing), and each pair's ways to plug listeners in."""
    devices, catalog = rig.resolved.devices, rig.catalog
    by_host: dict[str, list[Ears]] = {}
    pairs: dict[Pair, list[Ears]] = {}
    candidates: list[Candidate] = []
    computer_port = f"{roles.computer}.{_host_port(devices[roles.computer])}"
    for iface in roles.interfaces:
        host_port = _host_port(devices[iface])
        if host_port is None:
            skip(Skipped((iface,), "no-usb-port", {"device": iface,
                                                   "name": devices[iface].spec.name,
                                                   "computer": roles.computer}))
            continue
        usb = {"cable": "usb", "ends": [computer_port, f"{iface}.{host_port}"]}
        mics = mic_links(rig.spec, devices, iface, skip)
        for amp in roles.amps or (None,):
            host = amp or iface
            if host not in by_host:
                by_host[host] = ear_options(catalog, devices, devices[host], amp is not None,
                                            roles.listeners, roles.splitters, skip)
            ears = pairs[(iface, amp)] = by_host[host]
            if not ears:
                continue
            candidates += [Candidate(iface, amp, usb, option, ears[0], mics) for option in
                           cable_options(catalog, devices, iface, amp, length_m, roles.several,
                                         skip)]
    return candidates, pairs


def advise(rig: Rig, *, priority: str = "quality", length_m: float = 3.0,
           target_spl_db: float = th.DEFAULT_TARGET_SPL_DB,
           headroom_db: float = th.DEFAULT_HEADROOM_DB) -> Advice:
    """Enumerate, simulate, tune and rank the ways to connect a rig's devices.

    Parameters
    ----------
    rig : Rig
        The user's rig (its devices are used; its connections are not). Every candidate
        is built from it with :meth:`~signalchain.rig.Rig.with_connections`, reusing its
        resolved devices.
    priority : {'quality', 'convenience'}
        How noise is weighed against convenience (:data:`WEIGHTS`).
    length_m : float
        Length of the interface-to-amp cable(s), within :data:`LENGTH_RANGE_M`.
    target_spl_db : float
        Listening level every listener is tuned to, within :data:`TARGET_RANGE_DB`.
    headroom_db : float
        Headroom every stage must keep, within :data:`HEADROOM_RANGE_DB`.

    Returns
    -------
    Advice
        The methods, best first; ``skipped`` says which device combinations gave none.

    Raises
    ------
    UsageError
        For an option out of range.
    RigError
        When the rig lacks a computer, an interface or headphones, when headphones have no
        plug, when there are more distinct candidates than the ``advise-candidates``
        limit, or when no method at all can be built (listing why each combination failed).
    """
    _check_options(priority, length_m, target_spl_db, headroom_db)
    devices = rig.resolved.devices
    skipped: dict[tuple[object, ...], Skipped] = {}

    def skip(s: Skipped) -> None:
        skipped.setdefault(s.key, s)

    roles = _roles(devices, skip)
    candidates, pairs = _candidates(rig, roles, length_m, skip)
    tuned = Search(rig, skip, target_spl_db, headroom_db).run(
        candidates, {pair: ears for pair, ears in pairs.items() if ears})
    methods = judge(tuned, priority, devices)
    if not methods:
        reasons = list(skipped.values())
        hints = list(dict.fromkeys(s.hint for s in reasons if s.hint))
        raise RigError([_diag("advise found no way to connect this gear:\n" + "\n".join(
            f"  - {s.message}" for s in reasons), hint="; ".join(hints),
            code="advise-none")])
    return Advice(methods, tuple(skipped.values()), priority, WEIGHTS[priority],
                  float(target_spl_db), float(length_m), float(headroom_db))


__all__ = ["BAD_CODES", "HEADROOM_RANGE_DB", "LENGTH_RANGE_M", "LEVEL_TOLERANCE_DB",
           "PAIRINGS_TRIED", "PRIORITIES", "QUIETEST_TIE_DB", "TARGET_RANGE_DB", "WEIGHTS",
           "Advice", "Facts", "Method", "Point", "PointCode", "SkipCode", "Skipped", "Verdict",
           "Volume", "advise"]

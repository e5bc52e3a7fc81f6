"""``advise``: every sensible way to wire the rig's gear, built, checked, simulated, tuned, ranked.

The rig's devices are kept and its connections ignored. Each candidate method
uses one computer, one interface and (if the rig has any) one amp. It joins an
interface output (a stereo output, a left/right pair of mono outputs, or the
left one alone) to an amp input (a stereo input or a left/right pair) with one
catalog cable, or two identical ones for pair-to-pair links, using at most one
adapter per end; each listener goes into an output of the amp (or of the
interface, without an amp) with the adapter their plug needs. When there are
more listeners than outputs, the rig's Y splitters let listeners share an
output: listeners whose headphones are closest in sensitivity share one (so
one knob serves both); if that pairing leaves someone off the target level,
the next-best pairings are simulated too and the best is kept.

Pros, cons and the verdict are generated from the simulated and tuned
figures; a method that loses a channel, swaps polarity or shorts an output
never ranks above a stereo one, and one that cannot put every listener at the
target level never ranks above one that can.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import product
from typing import TYPE_CHECKING, Any

from signalchain import thresholds as th
from signalchain.catalog import Catalog
from signalchain.errors import Diagnostic, RigError, UsageError, error_at
from signalchain.evaluate import evaluate
from signalchain.graph.compile import SignalGraph
from signalchain.results import Evaluation
from signalchain.schema.cable import CableEnd, CableSpec
from signalchain.schema.device import DeviceSpec, PortSpec
from signalchain.tune import TuneResult, tune
from signalchain.wiring.build import BuiltRig
from signalchain.wiring.connectors import CONTACTS, fits, mate
from signalchain.wiring.resolve import ResolvedDevice

if TYPE_CHECKING:
    from signalchain.rig import Rig

BAD_CODES = {"one-ear", "antiphase", "missing-channel", "shorted-output"}
PRIORITIES = {
    "quality": "1 point per dB of worst-listener hiss at the target level, 1 per item to buy, "
               "3 for no physical master knob, 0.5 for occupying the line outputs",
    "convenience": "10 points for no physical master knob, 4 per item to buy, 2 for occupying "
                   "the line outputs (studio monitors), 0.3 per dB of hiss",
}
WEIGHTS = {
    "quality": {"hiss": 1.0, "items_to_buy": 1.0, "no_master_knob": 3.0,
                "line_outputs_used": 0.5},
    "convenience": {"hiss": 0.3, "items_to_buy": 4.0, "no_master_knob": 10.0,
                    "line_outputs_used": 2.0},
}
LENGTH_RANGE_M = (0.1, 100.0)
"""Interface-to-amp cable lengths advise accepts, metres."""
TARGET_RANGE_DB = (20.0, 130.0)
"""Listening levels advise accepts, dB SPL (as ``tune --target-spl``)."""
HEADROOM_RANGE_DB = (0.0, 40.0)
"""Headroom advise accepts, dB (as ``tune --headroom-db``)."""
LEVEL_TOLERANCE_DB = 1.0
"""A listener within this of the target counts as at the target: about the smallest level
change a listener notices, and the most two listeners sharing one output through a Y
splitter may differ by before one knob cannot serve both."""
PAIRINGS_TRIED = 3
"""At most this many ways to share outputs (those with the closest sensitivities) are tried."""
QUIETEST_TIE_DB = 0.05
"""Methods whose worst hiss differs by less than this are tied (it rounds to 0.0 dB)."""


@dataclass
class Group:
    """One or two ports used together: ``ports`` maps role (``single``/``left``/``right``)."""

    device: str
    ports: dict[str, str]
    label: str
    kind: str  # stereo, pair, mono


@dataclass
class Skipped:
    """A combination of devices that gives no method, and why.

    Attributes
    ----------
    devices : list of str
        The interface and amp (or other devices) involved.
    code : str
        A stable identifier: ``too-few-outputs``, ``no-cable``, ``plug-does-not-fit``,
        ``no-usb-port``, ``no-output``, ``no-input``, ``build-failed``.
    message : str
        What could not be done, with the numbers.
    hint : str
        The likely fix, if one can be suggested.
    """

    devices: list[str]
    code: str
    message: str
    hint: str = ""

    def to_json(self) -> dict[str, Any]:
        """JSON form."""
        return {"devices": self.devices, "code": self.code, "message": self.message,
                "hint": self.hint}


@dataclass
class _Ears:
    """One way to plug every listener in: the connections and who shares which output."""

    links: list[dict[str, Any]]
    shared: dict[str, list[str]]


@dataclass(eq=False)
class Method:
    """One way to connect the gear, with its figures."""

    name: str
    connections: list[dict[str, Any]]
    bom: list[dict[str, Any]]
    signature: tuple[Any, ...] = ()
    built: BuiltRig | None = None
    tuned: TuneResult | None = None
    facts: dict[str, Any] = field(default_factory=dict)
    pros: list[str] = field(default_factory=list)
    cons: list[str] = field(default_factory=list)
    verdict: str = "works"
    reason: str = ""
    score: float = 0.0
    breakdown: dict[str, float] = field(default_factory=dict)
    uses_line_outputs: bool = False
    devices: dict[str, Any] = field(default_factory=dict)
    """The rig-file ``devices`` entries this method uses (for ``--write-rig``)."""
    unused: list[str] = field(default_factory=list)
    """Devices of the rig this method leaves unused."""
    shared_outputs: dict[str, list[str]] = field(default_factory=dict)
    """Outputs that several listeners share through Y splitters: output → listeners."""
    tier: int = 0
    """0 stereo and at target, 1 stereo but off target or short of headroom, 2 not stereo."""
    interface: str = ""
    amp: str | None = None
    cable_links: list[dict[str, Any]] = field(default_factory=list)
    graph: SignalGraph | None = None
    rig: Rig | None = None
    """The candidate as a rig (its devices, these connections)."""

    def to_json(self) -> dict[str, Any]:
        """The method as in ``advise --json``."""
        return {"name": self.name, "connections": self.connections, "bom": self.bom,
                "stereo": self.facts.get("stereo"), "volume": self.facts.get("volume"),
                "knobs": dict(self.tuned.knobs) if self.tuned else {},
                "noise_spl_dba": _r(self.facts.get("noise")),
                "hum_spl_dba": _r(self.facts.get("hum")),
                "levels_spl_db": {k: _r(v) for k, v in self.facts.get("levels", {}).items()},
                "shared_outputs": self.shared_outputs, "unused_devices": self.unused,
                "pros": self.pros, "cons": self.cons, "verdict": self.verdict,
                "reason": self.reason, "score": _r(self.score, 2),
                "score_breakdown": {k: _r(v, 2) for k, v in self.breakdown.items()}}


class Advice(list[Method]):
    """The ranked methods (best first), and what advise could not build (``skipped``)."""

    def __init__(self, methods: list[Method] | None = None,
                 skipped: list[Skipped] | None = None):
        super().__init__(methods or [])
        self.skipped: list[Skipped] = list(skipped or [])


def _r(x: float | None, nd: int = 1) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), nd)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' * (n != 1)}"


def _who(dev: ResolvedDevice) -> str:
    """A device for messages: its id and, when it has one, its name (``zed (Zed's cans)``)."""
    name = dev.spec.name.strip()
    return f"{dev.name} ({name})" if name and name != dev.name else dev.name


# ---------------------------------------------------------------------------------------------
# ports and cables


def _output_groups(dev: ResolvedDevice) -> list[Group]:
    ports = {n: p for n, p in dev.spec.ports.items() if p.direction == "out" and p.feeds}
    groups = [Group(dev.name, {"single": n}, p.label or n, "stereo")
              for n, p in ports.items() if p.signal == "stereo"]
    mono = {p.feeds: n for n, p in ports.items() if p.signal != "stereo"}
    if "L" in mono and "R" in mono:
        left, right = mono["L"], mono["R"]
        groups.append(Group(dev.name, {"left": left, "right": right},
                            f"{ports[left].label or left} + {ports[right].label or right}",
                            "pair"))
        groups.append(Group(dev.name, {"single": left}, ports[left].label or left, "mono"))
    elif mono:
        name = next(iter(mono.values()))
        groups.append(Group(dev.name, {"single": name}, ports[name].label or name, "mono"))
    return groups


def _input_groups(dev: ResolvedDevice) -> list[Group]:
    ports = {n: p for n, p in dev.spec.ports.items() if p.direction == "in" and p.senses}
    groups = [Group(dev.name, {"single": n}, p.label or n, "stereo")
              for n, p in ports.items() if p.signal == "stereo"]
    mono: dict[str, list[str]] = {}
    for n, p in ports.items():
        if p.signal != "stereo":
            mono.setdefault(p.senses, []).append(n)  # type: ignore[arg-type]
    for left, right in zip(mono.get("L", []), mono.get("R", []), strict=False):
        groups.append(Group(dev.name, {"left": left, "right": right},
                            f"{ports[left].label or left} + {ports[right].label or right}",
                            "pair"))
    return groups


def _end_options(end: CableEnd, port: PortSpec, adapters: list[CableSpec]
                 ) -> list[list[str]]:
    """Ways to plug a cable end into a port: directly, or through one adapter."""
    options: list[list[str]] = []
    if fits(end.connector, end.gender, port.connector, port.gender):
        options.append([])
    for ad in adapters:
        if len(ad.ends) != 2 or ad.id is None:
            continue
        a, b = ad.ends.values()
        for x, y in ((a, b), (b, a)):
            if fits(end.connector, end.gender, x.connector, x.gender) and \
                    fits(y.connector, y.gender, port.connector, port.gender):
                options.append([ad.id])
                break
    return options


def _links(catalog: Catalog, out: Group, inp: Group, devices: dict[str, ResolvedDevice],
           length_m: float) -> list[tuple[str, list[dict[str, Any]]]]:
    """Cable connections (rig-file form) that join an output group to an input group."""
    adapters = catalog.adapters()
    cables = [c for c in catalog.entries.values() if isinstance(c, CableSpec)
              and c.kind == "cable" and c.id != "usb"]
    out_ports = {r: devices[out.device].spec.ports[p] for r, p in out.ports.items()}
    in_ports = {r: devices[inp.device].spec.ports[p] for r, p in inp.ports.items()}
    found: list[tuple[str, list[dict[str, Any]]]] = []

    def ref(group: Group, role: str, via: list[str]) -> Any:
        port = f"{group.device}.{group.ports[role]}"
        return {"port": port, "via": via} if via else port

    for cable in cables:
        if cable.id is None:
            continue
        names = list(cable.ends)
        # which cable end goes where: 2-end cables single→single, or (pair→pair) twice;
        # 3-end cables split one end into two
        if len(names) == 2 and len(out.ports) == len(in_ports):
            pairs = [("single", "single")] if out.kind != "pair" else [("left", "left"),
                                                                       ("right", "right")]
            for a, b in ((names[0], names[1]), (names[1], names[0])):
                per_link: list[dict[str, Any]] = []
                for ro, ri in pairs:
                    opts_o = _end_options(cable.ends[a], out_ports[ro], adapters)
                    opts_i = _end_options(cable.ends[b], in_ports[ri], adapters)
                    if not opts_o or not opts_i:
                        break
                    via_o, via_i = min(opts_o, key=len), min(opts_i, key=len)
                    per_link.append({"cable": cable.id, "length": f"{length_m:g} m",
                                     "ends": [ref(out, ro, via_o), ref(inp, ri, via_i)]})
                else:
                    found.append((cable.id, per_link))
                    break
        elif len(names) == 3:
            ends = _breakout_ends(cable)
            if ends is None:
                continue
            single, left, right = ends
            if out.kind == "pair" and inp.kind != "pair":
                split, joined = out, inp
            elif inp.kind == "pair" and out.kind != "pair":
                split, joined = inp, out
            else:
                continue
            split_ports = {r: devices[split.device].spec.ports[p]
                           for r, p in split.ports.items()}
            joined_port = devices[joined.device].spec.ports[joined.ports["single"]]
            opts_j = _end_options(cable.ends[single], joined_port, adapters)
            opts_l = _end_options(cable.ends[left], split_ports["left"], adapters)
            opts_r = _end_options(cable.ends[right], split_ports["right"], adapters)
            if opts_j and opts_l and opts_r:
                plugged = {single: ref(joined, "single", min(opts_j, key=len)),
                           left: ref(split, "left", min(opts_l, key=len)),
                           right: ref(split, "right", min(opts_r, key=len))}
                found.append((cable.id, [{"cable": cable.id, "length": f"{length_m:g} m",
                                          "ends": plugged}]))
    return found


def _breakout_ends(cable: CableSpec) -> tuple[str, str, str] | None:
    """A Y cable's combined end and its left and right ends (by which contact they join)."""
    signal = [c for c in cable.conductors if c.role == "signal"]
    ends = list(cable.ends)
    single = next((e for e in ends if all(any(j.startswith(e + ".") for j in c.joins)
                                          for c in signal)), None)
    if single is None or not signal:
        return None
    by_contact: dict[str, str] = {}
    for c in signal:
        contact = next((j.split(".", 1)[1] for j in c.joins if j.startswith(single + ".")), "")
        other = next((j.split(".", 1)[0] for j in c.joins if not j.startswith(single + ".")),
                     None)
        if other is not None:
            by_contact[contact] = other
    hot = next((v for k, v in by_contact.items() if k in ("tip", "2", "pin")), None)
    cold = next((v for v in by_contact.values() if v != hot), None)
    if hot is None or cold is None:
        return None
    return single, hot, cold


def _contact_signature(catalog: Catalog, devices: dict[str, ResolvedDevice],
                       links: list[dict[str, Any]]) -> tuple[Any, ...] | None:
    """Which port contacts the cable connections join, as groups (None if unclear).

    Contacts are joined through conductors, adapters and mated plugs. Two ways to join the
    same ports whose groups are equal carry the same signals, so only the one needing fewer
    items has to be simulated.
    """
    parent: dict[tuple[Any, ...], tuple[Any, ...]] = {}

    def find(x: tuple[Any, ...]) -> tuple[Any, ...]:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(a: tuple[Any, ...], b: tuple[Any, ...]) -> None:
        parent[find(a)] = find(b)

    def mate_ends(a: tuple[str, str, tuple[Any, ...]], b: tuple[str, str, tuple[Any, ...]]) -> bool:
        """Join the contacts of two mated ends: (connector, gender, node prefix) each."""
        if a[1] == b[1]:
            return False
        plug, jack = (a, b) if a[1] == "plug" else (b, a)
        table = mate(plug[0], jack[0])
        if table is None:
            return False
        for pc, jcs in table.items():
            for jc in jcs:
                union((*plug[2], pc), (*jack[2], jc))
        return True

    ports: list[tuple[str, str]] = []
    for i, link in enumerate(links):
        cable = catalog.cable(link.get("cable", ""))
        if cable is None:
            return None
        ends = link["ends"]
        plugged = ends if isinstance(ends, dict) else dict(zip(cable.ends, ends, strict=False))
        for cond in cable.conductors:
            first = ("cable", i, *cond.joins[0].split(".", 1))
            for ref in cond.joins[1:]:
                union(first, ("cable", i, *ref.split(".", 1)))
        for end_name, ref in plugged.items():
            port_ref = ref["port"] if isinstance(ref, dict) else ref
            vias = ref.get("via", []) if isinstance(ref, dict) else []
            dev, pname = port_ref.split(".", 1)
            port = devices[dev].spec.ports[pname]
            ports.append((port_ref, port.connector))
            end = cable.ends[end_name]
            here: tuple[str, str, tuple[Any, ...]] = (end.connector, end.gender,
                                                      ("cable", i, end_name))
            for k, ad_id in enumerate(vias):
                ad = catalog.cable(ad_id)
                if ad is None or len(ad.ends) != 2:
                    return None
                for cond in ad.conductors:
                    first = ("ad", i, end_name, k, *cond.joins[0].split(".", 1))
                    for j in cond.joins[1:]:
                        union(first, ("ad", i, end_name, k, *j.split(".", 1)))
                names = list(ad.ends)
                for x, y in ((names[0], names[1]), (names[1], names[0])):
                    ex, ey = ad.ends[x], ad.ends[y]
                    if fits(here[0], here[1], ex.connector, ex.gender) and fits(
                            ey.connector, ey.gender, port.connector, port.gender):
                        mate_ends(here, (ex.connector, ex.gender, ("ad", i, end_name, k, x)))
                        here = (ey.connector, ey.gender, ("ad", i, end_name, k, y))
                        break
                else:
                    return None
            if not mate_ends(here, (port.connector, port.gender, ("port", port_ref))):
                return None
    groups: dict[tuple[Any, ...], list[tuple[str, str]]] = {}
    for port_ref, connector in dict.fromkeys(ports):
        for contact in CONTACTS.get(connector, ()):
            groups.setdefault(find(("port", port_ref, contact)), []).append((port_ref, contact))
    return tuple(sorted(tuple(sorted(g)) for g in groups.values()))


def _port_of(dev: ResolvedDevice, signal: str) -> str | None:
    return next((n for n, p in dev.spec.ports.items() if p.signal == signal), None)


def _captive_plug(dev: ResolvedDevice) -> str | None:
    """The device's plug on a cord (a stereo one if it has several), or None."""
    plugs = [n for n, p in dev.spec.ports.items() if p.captive]
    stereo = [n for n in plugs if dev.spec.ports[n].signal == "stereo"]
    return next(iter(stereo or plugs), None)


def _jacks(dev: ResolvedDevice) -> list[str]:
    """A splitter's stereo sockets (the ports listeners plug into)."""
    return [n for n, p in dev.spec.ports.items()
            if not p.captive and p.direction == "out" and p.signal == "stereo"]


def _plug_ref(dev: ResolvedDevice, plug: str) -> str:
    """How a ``plug:`` connection names the device's plug (the device alone if it has one)."""
    several = sum(p.captive for p in dev.spec.ports.values()) > 1
    return f"{dev.name}.{plug}" if several else dev.name


def _sensitivity_db_per_v(spec: DeviceSpec) -> float:
    """Headphones' level for 1 V, dB SPL (as the simulation computes it)."""
    return spec.headphones.level_db_per_v() if spec.headphones is not None else 0.0


def _groupings(sens: dict[str, float], n_out: int, keep: int = PAIRINGS_TRIED
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


def _fit(plug: PortSpec, target: PortSpec, adapters: list[CableSpec]) -> list[str] | None:
    """The adapters (none or one) a plug needs to go into a socket, or None if it cannot."""
    options = _end_options(CableEnd(connector=plug.connector, gender=plug.gender), target,
                           adapters)
    return min(options, key=len) if options else None


def _ear_links(catalog: Catalog, devices: dict[str, ResolvedDevice], outs: list[str],
               runs: list[list[str]], splitters: list[str]) -> _Ears | Skipped:
    """Plug each run of listeners into one output (through Y splitters for runs of two+)."""
    adapters = catalog.adapters()
    free = list(splitters)
    splitter_links: list[dict[str, Any]] = []
    by_listener: dict[str, dict[str, Any]] = {}
    shared: dict[str, list[str]] = {}

    def port(ref: str) -> PortSpec:
        dev, name = ref.split(".", 1)
        return devices[dev].spec.ports[name]

    def link(dev: ResolvedDevice, plug: str, into: str, via: list[str]) -> dict[str, Any]:
        return {"plug": _plug_ref(dev, plug), "into": into, **({"via": via[0]} if via else {})}

    for out, run in zip(outs, runs, strict=False):
        slots = [out]
        while len(slots) < len(run):
            target = slots.pop()
            choices = []
            for y in free:
                dev = devices[y]
                plug = _captive_plug(dev)
                if plug is None:
                    continue
                via = _fit(dev.spec.ports[plug], port(target), adapters)
                if via is not None:
                    choices.append((len(via), y, plug, via, _jacks(dev)))
            if not choices:
                if not free:
                    return Skipped([out.split(".")[0]], "too-few-outputs",
                                   "not enough Y splitters for this pairing")
                return Skipped([out.split(".")[0], *free], "plug-does-not-fit",
                               f"no Y splitter's plug fits {target} (even with an adapter)")
            _n, y, plug, via, jacks = min(choices, key=lambda c: c[0])
            free.remove(y)
            splitter_links.append(link(devices[y], plug, target, via))
            slots += [f"{y}.{j}" for j in jacks]
        if len(run) > 1:
            shared[out] = list(run)
        for listener, slot in zip(run, slots, strict=False):
            dev = devices[listener]
            plug = _captive_plug(dev)
            assert plug is not None  # checked before
            via = _fit(dev.spec.ports[plug], port(slot), adapters)
            if via is None:
                p = dev.spec.ports[plug]
                socket = port(slot)
                return Skipped([slot.split(".")[0], listener], "plug-does-not-fit",
                               f"{_who(dev)}'s {p.connector} {p.gender} fits no "
                               f"{socket.connector} output of {slot.split('.')[0]}, "
                               "even with an adapter")
            by_listener[listener] = link(dev, plug, slot, via)
    order = [w for w in devices if w in by_listener]
    return _Ears(splitter_links + [by_listener[w] for w in order], shared)


# ---------------------------------------------------------------------------------------------
# bill of materials


def _bom(catalog: Catalog, devices: dict[str, ResolvedDevice], connections: list[dict[str, Any]]
         ) -> list[dict[str, Any]]:
    """What the connections need besides the rig's devices.

    Per item: the count, how many come in the box with the listeners' headphones
    (``in_box``) and how many to buy or find (``to_buy``); the two add up to the count.
    """
    items: dict[str, dict[str, Any]] = {}

    def add(item: str, note: str = "", boxed: bool = False) -> None:
        entry = items.setdefault(item, {"item": item, "name": catalog.get(item).name,
                                        "count": 0, "in_box": 0, "to_buy": 0, "notes": []})
        entry["count"] += 1
        entry["in_box" if boxed else "to_buy"] += 1
        if note and note not in entry["notes"]:
            entry["notes"].append(note)

    for c in connections:
        if "cable" in c:
            add(c["cable"], c.get("length", ""))
            ends = c["ends"].values() if isinstance(c["ends"], dict) else c["ends"]
            for e in ends:
                for ad in (e.get("via", []) if isinstance(e, dict) else []):
                    add(ad)
        elif c.get("via"):
            dev = devices[c["plug"].split(".")[0]]
            hp = dev.spec.headphones
            boxed = hp is not None and hp.adapter_included == c["via"]
            name = f" ({dev.spec.name})" if dev.spec.name.strip() else ""
            add(c["via"], f"comes with {dev.name}'s headphones{name}" if boxed
                else f"for {dev.name}'s plug{name}", boxed)
    return list(items.values())


def _to_buy(bom: list[dict[str, Any]]) -> int:
    return sum(i["to_buy"] for i in bom)


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


def _diag(message: str, dev: ResolvedDevice | None = None, hint: str = "",
          code: str = "advise") -> Diagnostic:
    return error_at(message, dev.location if dev else None,
                    path=f"devices.{dev.name}" if dev else "", hint=hint, code=code)


# ---------------------------------------------------------------------------------------------
# the search


def advise(base: Rig, *, priority: str = "quality", length_m: float = 3.0,
           target_spl_db: float = th.DEFAULT_TARGET_SPL_DB,
           headroom_db: float = th.DEFAULT_HEADROOM_DB) -> Advice:
    """Enumerate, simulate, tune and rank the ways to connect a rig's devices.

    Parameters
    ----------
    base : Rig
        The user's rig (its devices are used; its connections are not). Every candidate
        is built from it with :meth:`~signalchain.rig.Rig.with_connections`, reusing its
        resolved devices.
    priority : {'quality', 'convenience'}
        How noise is weighed against convenience.
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
        plug, or when no method at all can be built (listing why each combination failed).
    """
    _check_options(priority, length_m, target_spl_db, headroom_db)
    rig = base.resolved
    raw_devices = base.to_dict()["devices"]
    catalog = rig.catalog
    devices = rig.devices
    kinds: dict[str, list[str]] = {}
    for name, dev in devices.items():
        kinds.setdefault(dev.spec.kind, []).append(name)
    computers = [c for c in kinds.get("computer", []) if _port_of(devices[c], "host")]
    interfaces = kinds.get("interface", [])
    amps = kinds.get("amp", [])
    listeners = kinds.get("headphones", [])
    splitters = [y for y in kinds.get("splitter", []) if _captive_plug(devices[y])
                 and len(_jacks(devices[y])) >= 2]
    if not interfaces or not computers or not listeners:
        missing = [what for what, have in (("a computer with a USB port", computers),
                                           ("an interface", interfaces),
                                           ("headphones", listeners)) if not have]
        raise RigError([_diag(f"advise needs {', '.join(missing)} among the rig's devices",
                              code="advise-missing")])
    plugless = [devices[w] for w in listeners if _captive_plug(devices[w]) is None]
    if plugless:
        raise RigError([_diag(f"headphones {_who(d)} have no plug on a cord (a port with "
                              "'captive: true'), so advise cannot plug them in", d,
                              hint="mark the headphones' plug 'captive: true'",
                              code="no-captive-plug") for d in plugless])
    computer = computers[0]
    sens = {w: _sensitivity_db_per_v(devices[w].spec) for w in listeners}
    skipped: dict[str, Skipped] = {}

    def skip(s: Skipped) -> None:
        skipped.setdefault(s.message, s)

    pairs: dict[tuple[str, str | None], list[_Ears]] = {}
    candidates: list[Method] = []
    several = len(interfaces) > 1 or len(amps) > 1
    for iface in interfaces:
        host_port = _port_of(devices[iface], "host")
        if host_port is None:
            skip(Skipped([iface], "no-usb-port", f"{_who(devices[iface])} has no USB port for "
                         f"{computer}, so no program reaches it"))
            continue
        usb = {"cable": "usb", "ends": [f"{computer}.{_port_of(devices[computer], 'host')}",
                                        f"{iface}.{host_port}"]}
        amp_options: list[str | None] = [*amps] or [None]
        for amp in amp_options:
            ears = _ear_options(catalog, devices, iface, amp, listeners, splitters, sens, skip)
            if not ears:
                continue
            pairs[(iface, amp)] = ears
            for name, cable_links, line_outs, sig in _cable_options(
                    catalog, devices, iface, amp, length_m, several, skip):
                candidates.append(Method(
                    name, [usb, *cable_links, *ears[0].links], [], signature=sig,
                    uses_line_outputs=line_outs, interface=iface, amp=amp,
                    cable_links=cable_links, shared_outputs=ears[0].shared))
    methods = _simulate(candidates, pairs, base, devices, raw_devices, skip,
                        target_spl_db, headroom_db)
    if not methods:
        reasons = list(skipped.values())
        hints = list(dict.fromkeys(s.hint for s in reasons if s.hint))
        raise RigError([_diag("advise found no way to connect this gear:\n" + "\n".join(
            f"  - {s.message}" for s in reasons), hint="; ".join(hints),
            code="advise-none")])
    _judge(methods, priority, devices)
    ranked = sorted(methods, key=lambda m: (m.tier, m.score))
    _verdicts(ranked, priority)
    return Advice(ranked, list(skipped.values()))


def _ear_options(catalog: Catalog, devices: dict[str, ResolvedDevice], iface: str,
                 amp: str | None, listeners: list[str], splitters: list[str],
                 sens: dict[str, float], skip: Callable[[Skipped], None]) -> list[_Ears]:
    """The few best ways to plug the listeners into this amp (or interface, without one)."""
    host = devices[amp or iface]
    outs = [f"{host.name}.{n}" for n, p in host.spec.ports.items()
            if p.direction == "out" and p.signal == "stereo" and p.feeds]
    what = "output" if amp else "headphone output"
    if not outs:
        skip(Skipped([host.name], "no-output",
                     f"{_who(host)} has no stereo {what} for headphones"
                     + ("" if amp else " and the rig has no amp"),
                     hint="" if amp else "add a headphone amp to the rig's devices"))
        return []
    extra = sum(len(_jacks(devices[y])) - 1 for y in splitters)
    n = len(listeners)
    if n > len(outs) + extra:
        more = n - len(outs) - extra
        have = ("there is no Y splitter" if not splitters else
                f"the rig's {_plural(len(splitters), 'Y splitter')} take only {extra} more")
        skip(Skipped([host.name, *splitters], "too-few-outputs",
                     f"{n} listeners but {host.name} has {_plural(len(outs), what)} and {have}",
                     hint=f"add {more} more Y splitter{'s' * (more != 1)} (e.g. splitter/y-6.35) "
                     f"to the rig's devices, or use {'an' if amp else 'a headphone'} amp with "
                     f"{n} outputs"))
        return []
    found: list[_Ears] = []
    failures: list[Skipped] = []
    for runs in _groupings(sens, len(outs)):
        ears = _ear_links(catalog, devices, outs, runs, splitters)
        if isinstance(ears, Skipped):
            failures.append(ears)
        else:
            found.append(ears)
    if not found and failures:
        skip(failures[0])
    return found


def _cable_options(catalog: Catalog, devices: dict[str, ResolvedDevice], iface: str,
                   amp: str | None, length_m: float, several: bool,
                   skip: Callable[[Skipped], None]
                   ) -> list[tuple[str, list[dict[str, Any]], bool, tuple[Any, ...]]]:
    """(name, cable connections, uses line outputs, signature) joining interface and amp."""
    if amp is None:
        name = "Headphones straight into the interface" + (f" ({iface})" if several else "")
        return [(name, [], False, (iface, None))]
    outs, ins = _output_groups(devices[iface]), _input_groups(devices[amp])
    if not outs:
        skip(Skipped([iface], "no-output", f"{_who(devices[iface])} has no output that carries "
                     "program (an 'out' port with 'feeds')"))
        return []
    if not ins:
        skip(Skipped([amp], "no-input", f"{_who(devices[amp])} has no input (an 'in' port "
                     "with 'senses')"))
        return []
    found = []
    for out, inp in product(outs, ins):
        if out.kind == "mono" and inp.kind == "pair":
            continue
        for cable_id, links in _links(catalog, out, inp, devices, length_m):
            cable = catalog.get(cable_id)
            count = f"2× {cable.name}" if len(links) > 1 else cable.name
            src = f"{iface}: {out.label}" if several else out.label
            dst = f"{amp}: {inp.label}" if several else inp.label
            found.append((f"{src} → {count} → {dst}", links, out.kind != "stereo",
                          (iface, amp, out.label, inp.label)))
    if not found:
        skip(Skipped([iface, amp], "no-cable", f"no catalog cable (with at most one adapter "
                     f"per end) joins {iface}'s outputs to {amp}'s inputs"))
    return found


def _used(connections: list[dict[str, Any]]) -> set[str]:
    names: set[str] = set()
    for c in connections:
        if "cable" in c:
            ends = c["ends"].values() if isinstance(c["ends"], dict) else c["ends"]
            for e in ends:
                names.add((e["port"] if isinstance(e, dict) else e).split(".")[0])
        else:
            names.add(c["plug"].split(".")[0])
            names.add(c["into"].split(".")[0])
    return names


def _simulate(candidates: list[Method], pairs: dict[tuple[str, str | None], list[_Ears]],
              base: Rig, devices: dict[str, ResolvedDevice], raw_devices: dict[str, Any],
              skip: Callable[[Skipped], None], target: float,
              headroom_db: float) -> list[Method]:
    """Build and check every candidate, tune the distinct ones, keep the best of each kind."""
    catalog = base.catalog

    def prepare(m: Method) -> Evaluation | None:
        used = _used(m.connections)
        m.devices = {n: raw_devices[n] for n in devices if n in used}
        m.rig = base.with_connections(m.connections, devices=m.devices)
        m.unused = [n for n in devices if n not in used]
        m.bom = _bom(catalog, devices, m.connections[1:])
        try:
            m.built = m.rig.built
            m.graph = m.rig.graph
            probe = {k: max(v, 0.5) for k, v in m.graph.knob_positions.items()}
            return evaluate(m.graph, probe)
        except RigError as exc:
            first = exc.diagnostics[0].message if exc.diagnostics else str(exc)
            skip(Skipped([d for d in (m.interface, m.amp) if d], "build-failed",
                         f"{m.name}: {first}"))
            return None

    def finish(m: Method) -> Method | None:
        if m.graph is None:
            return None
        try:
            m.tuned = tune(m.graph, target, None, headroom_db)
        except RigError as exc:
            first = exc.diagnostics[0].message if exc.diagnostics else str(exc)
            skip(Skipped([d for d in (m.interface, m.amp) if d], "build-failed",
                         f"{m.name}: {first}"))
            return None
        _facts(m, devices, target, headroom_db)
        return m

    def cost(m: Method) -> tuple[int, int]:
        return _to_buy(m.bom), sum(i["count"] for i in m.bom)

    # 1. of candidates that join the same ports' contacts in the same way, only the one
    #    needing the fewest items is built; each built one is looked at once (every knob
    #    half up), and of those that behave alike (same ports, same channels at the same
    #    ears, same warnings) only the one needing the fewest items is tuned
    alike: dict[tuple[Any, ...], Method] = {}
    for n, m in enumerate(candidates):
        m.bom = _bom(catalog, devices, m.connections[1:])
        contacts = _contact_signature(catalog, devices, m.cable_links)
        key = (*m.signature, n if contacts is None else contacts)
        if key not in alike or cost(m) < cost(alike[key]):
            alike[key] = m
    reps: dict[tuple[Any, ...], Method] = {}
    for m in alike.values():
        quick = prepare(m)
        if quick is None:
            continue
        key = (*m.signature, _pattern(quick))
        if key not in reps or cost(m) < cost(reps[key]):
            reps[key] = m
    # 2. where listeners must share outputs, pick the pairing on one stereo-looking candidate
    #    per interface and amp (the next-closest pairings only if the closest leaves someone
    #    off target), then use it for that pair's other candidates
    done: list[Method] = []
    by_pair: dict[tuple[str, str | None], list[tuple[tuple[Any, ...], Method]]] = {}
    for key, m in reps.items():
        by_pair.setdefault((m.interface, m.amp), []).append((key, m))
    for pair, members in by_pair.items():
        options = pairs[pair]
        chosen = 0
        if len(options) > 1:
            probe_key, probe = next(((k, m) for k, m in members if k[-1][0]), members[0])
            trials: list[tuple[int, Method]] = []
            for i, ears in enumerate(options):
                if trials and min(t.tier for _i, t in trials) == 0:
                    break  # the closest pairing already puts everyone at the target
                trial = probe if i == 0 else _variant(probe, ears)
                if i and prepare(trial) is None:
                    continue
                if finish(trial) is not None:
                    trials.append((i, trial))
            if trials:
                chosen, best = min(trials, key=lambda t: _rank_key(t[1]))
                done.append(best)
            members = [(k, m) for k, m in members if k != probe_key]
        for _key, m in members:
            if chosen:
                m = _variant(m, options[chosen])
                if prepare(m) is None:
                    continue
            if finish(m) is not None:
                done.append(m)
    # 3. of tuned methods that come out alike, keep the one needing the fewest items
    seen: dict[tuple[Any, ...], Method] = {}
    for m in done:
        key = m.signature
        if key in seen and _to_buy(seen[key].bom) + len(seen[key].bom) <= _to_buy(m.bom) + len(
                m.bom):
            continue
        seen[key] = m
    return list(seen.values())


def _variant(m: Method, ears: _Ears) -> Method:
    """The same cable method with the listeners plugged in another way."""
    return Method(m.name, [m.connections[0], *m.cable_links, *ears.links], [],
                  signature=m.signature, uses_line_outputs=m.uses_line_outputs,
                  interface=m.interface, amp=m.amp, cable_links=m.cable_links,
                  shared_outputs=ears.shared)


def _pattern(ev: Evaluation) -> tuple[Any, ...]:
    """Which channels reach which ears in which polarity, and the channel-loss warnings."""
    stereo = all(_stereo(lf) for lf in ev.listeners)
    ears = tuple((lf.id, side, c.channel, c.polarity) for lf in ev.listeners
                 for side in lf.ears for c in lf.program_at(side))
    codes = tuple(sorted({w.code for lf in ev.listeners for w in lf.warnings} & BAD_CODES))
    return stereo, ears, codes


def _stereo(lf: Any) -> bool:
    codes = {w.code for w in lf.warnings}
    return ("left" in lf.ears and "right" in lf.ears
            and any(c.channel == "L" for c in lf.program_at("left"))
            and any(c.channel == "R" for c in lf.program_at("right"))
            and not ({"one-ear", "antiphase", "missing-channel"} & codes))


def _rank_key(m: Method) -> tuple[int, float, float]:
    off = sum(abs(d) if math.isfinite(d) else 100.0 for d in m.facts["off_target"].values())
    return m.tier, off, m.facts["noise"]


def _facts(m: Method, devices: dict[str, ResolvedDevice], target: float,
           headroom_db: float) -> None:
    assert m.tuned is not None
    source = m.interface
    ev = m.tuned.evaluation
    codes = sorted({w.code for lf in ev.listeners for w in lf.warnings})
    stereo = all(_stereo(lf) for lf in ev.listeners)
    shared: dict[str, bool] = {}
    per_listener: dict[str, list[str]] = {}
    for lf in ev.listeners:
        for c in lf.volume_controls:
            if c.physical:
                per_listener.setdefault(lf.id, []).append(c.knob)
    for lf in ev.listeners:
        for c in lf.volume_controls:
            users = sum(c.knob in v for v in per_listener.values())
            if c.knob.startswith(f"{source}.") and (users > 1 or len(ev.listeners) == 1):
                shared[c.knob] = c.physical
    master = [{"knob": k, "physical": v} for k, v in shared.items()]
    software = next((c.knob for lf in ev.listeners for c in lf.volume_controls
                     if not c.physical), None)
    volume = {"master": master or [{"knob": software, "physical": False}],
              "per_listener": {w: [k for k in ks if not k.startswith(f"{source}.")]
                               for w, ks in per_listener.items()}}
    knob_users: dict[str, int] = {}
    for ks in per_listener.values():
        for k in ks:
            knob_users[k] = knob_users.get(k, 0) + 1
    own = [w for w, ks in per_listener.items() if any(knob_users[k] == 1 for k in ks)]
    worst = max(ev.listeners, key=lambda lf: lf.noise_spl_dba)
    levels = {lf.id: lf.program_spl_db for lf in ev.listeners}
    targets = m.tuned.targets
    off = {w: spl - targets.get(w, target) for w, spl in levels.items()
           if not math.isfinite(spl) or abs(spl - targets.get(w, target)) > LEVEL_TOLERANCE_DB}
    short = {s.id: s.headroom_db for s in ev.stages
             if math.isfinite(s.headroom_db) and s.headroom_db < headroom_db - 0.05}
    bad = set(codes) & BAD_CODES
    m.facts = {"stereo": stereo, "codes": codes, "volume": volume,
               "noise": worst.noise_spl_dba, "noise_listener": worst.id,
               "hum": max(lf.hum_spl_dba for lf in ev.listeners),
               "levels": levels, "off_target": off, "own_knob": own, "short_headroom": short,
               "feasible": not off and not short, "physical_master": bool(master),
               "to_buy": _to_buy(m.bom), "items": sum(i["count"] for i in m.bom),
               "listeners": {w: devices[w].spec.name for w in levels}}
    m.tier = 2 if (bad or not stereo) else (1 if (off or short) else 0)
    sig_levels = tuple(round(c.spl_db) for lf in ev.listeners for side in lf.ears
                       for c in lf.program_at(side) if c.spl_db > 40)
    m.signature = (*m.signature, stereo, tuple(sorted(bad)), sig_levels, tuple(sorted(shared)),
                   tuple(sorted((k, tuple(v)) for k, v in m.shared_outputs.items())))


# ---------------------------------------------------------------------------------------------
# pros, cons, verdicts


def _judge(methods: list[Method], priority: str, devices: dict[str, ResolvedDevice]) -> None:
    if not methods:
        return
    best_tier = min(m.tier for m in methods)
    pool = [m for m in methods if m.tier == best_tier]
    best_noise = min(m.facts["noise"] for m in pool)
    tied = [m for m in pool if m.facts["noise"] - best_noise < QUIETEST_TIE_DB]
    for m in methods:
        f = m.facts
        bad = sorted(set(f["codes"]) & BAD_CODES)
        assert m.tuned is not None
        ev = m.tuned.evaluation
        target = m.tuned.targets[ev.listeners[0].id]
        if f["stereo"]:
            m.pros.append("stereo: L in the left ear, R in the right, in phase")
        for code in bad:
            example = next((w.message for lf in ev.listeners for w in lf.warnings
                            if w.code == code), "")
            m.cons.append(f"{code}: {example}")
        master = f["volume"]["master"]
        if f["physical_master"]:
            knobs = ", ".join(c["knob"] for c in master)
            m.pros.append(f"physical master volume: {knobs} sets the level for everyone")
            if m.uses_line_outputs:
                m.pros.append(f"{knobs} is a physical knob on the line outputs, so the seed "
                              "article's 'no physical volume knob' does not apply to this "
                              "interface")
        else:
            m.cons.append("no physical master knob: the interface output used here has no "
                          f"knob, so the overall level is software only ({master[0]['knob']}), "
                          "as the seed article warns")
        if m.uses_line_outputs:
            m.cons.append("occupies the interface's line outputs (normally the studio monitors')")
        own = f["own_knob"]
        if own and len(own) == len(f["levels"]):
            m.pros.append("each listener has their own physical knob")
        elif own:
            m.pros.append(f"{len(own)} of {len(f['levels'])} listeners have their own physical "
                          "knob")
        for out, names in m.shared_outputs.items():
            spread = max(_sensitivity_db_per_v(devices[w].spec) for w in names) - min(
                _sensitivity_db_per_v(devices[w].spec) for w in names)
            m.cons.append(f"{' and '.join(_who(devices[w]) for w in names)} share {out} through "
                          f"a Y splitter: one knob for {len(names)}, sensitivities "
                          f"{spread:.1f} dB apart")
        noise_line = (f"worst hiss {f['noise']:.1f} dBA at {target:g} dB SPL, for "
                      f"{_who(devices[f['noise_listener']])}")
        delta = f["noise"] - best_noise
        if m in tied:
            m.pros.append(noise_line + (" — tied for quietest" if len(tied) > 1 else
                                        " — the quietest option"))
        elif delta <= 0.5:
            m.pros.append(noise_line + (f", {delta:.1f} dB more than the quietest"
                                        if delta >= QUIETEST_TIE_DB else ""))
        else:
            m.cons.append(noise_line + f", {delta:.1f} dB more than the quietest option")
        if f["noise"] >= th.HISS_AUDIBLE_DBA:
            m.cons.append(f"hiss is audible in a quiet room (≥ {th.HISS_AUDIBLE_DBA:g} dBA)")
        if f["hum"] >= th.HUM_AUDIBLE_DBA:
            m.cons.append(f"hum {f['hum']:.1f} dBA is audible")
        for w, d in f["off_target"].items():
            level = f["levels"][w]
            m.cons.append(f"{_who(devices[w])} gets {level:.1f} dB SPL, {abs(d):.1f} dB "
                          f"{'below' if d < 0 else 'above'} the {target:g} dB SPL target"
                          if math.isfinite(d) else f"{_who(devices[w])} gets no program")
        for stage, room in f["short_headroom"].items():
            m.cons.append(f"{stage} has {room:.1f} dB headroom, less than the "
                          f"{m.tuned.headroom_db:g} dB asked")
        buy = [i for i in m.bom if i["to_buy"]]
        boxed = [i for i in m.bom if i["in_box"]]
        if buy:
            n = sum(i["to_buy"] for i in buy)
            m.cons.append(f"{_plural(n, 'item')} to buy or find: " + ", ".join(
                f"{i['to_buy']}× {i['item']}" for i in buy))
        if boxed:
            m.pros.append("in the box with the headphones: " + ", ".join(
                f"{i['in_box']}× {i['item']}" for i in boxed))
        if bad:
            m.verdict, m.reason = "not-recommended", ", ".join(bad)
        elif not f["stereo"]:
            m.verdict, m.reason = "not-recommended", "not stereo for every listener"
        elif f["off_target"]:
            n = len(f["off_target"])
            m.verdict = "not-recommended"
            m.reason = (f"{_plural(n, 'listener')} more than {LEVEL_TOLERANCE_DB:g} dB from "
                        f"the {target:g} dB SPL target")
        elif f["short_headroom"]:
            m.verdict = "not-recommended"
            m.reason = f"less than {m.tuned.headroom_db:g} dB headroom at " + ", ".join(
                f["short_headroom"])
        w = WEIGHTS[priority]
        m.breakdown = {"hiss": w["hiss"] * f["noise"],
                       "items_to_buy": w["items_to_buy"] * f["to_buy"],
                       "no_master_knob": w["no_master_knob"] * (not f["physical_master"]),
                       "line_outputs_used": w["line_outputs_used"] * m.uses_line_outputs}
        m.score = sum(m.breakdown.values())


def _verdicts(ranked: list[Method], priority: str) -> None:
    """The first method is recommended if it works; the others say how far behind they are."""
    first = ranked[0]
    if first.verdict != "not-recommended":
        first.verdict = "recommended"
        first.reason = f"best under priority '{priority}'"
    for m in ranked[1:]:
        if m.verdict == "works":
            diffs = [f"{k.replace('_', ' ')} {v - first.breakdown[k]:+.1f}"
                     for k, v in m.breakdown.items() if abs(v - first.breakdown[k]) > 0.05]
            m.reason = (f"{m.score - first.score:.1f} points behind '{first.name}' under "
                        f"'{priority}' ({', '.join(diffs) or 'a tie broken by order'})")

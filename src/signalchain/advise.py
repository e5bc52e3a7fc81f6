"""``advise``: every sensible way to wire the rig's gear, built, checked, simulated, tuned, ranked.

The rig's devices are kept and its connections ignored. Candidate methods
join an interface output (a stereo output, a left/right pair of mono outputs,
or the left one alone) to an amp input (a stereo input or a left/right pair)
with one catalog cable, or two identical ones for pair-to-pair links, using at
most one adapter per end; each listener goes into their own amp output with
the adapter their plug needs. Pros, cons and the verdict are generated from
the simulated and tuned figures.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from itertools import product
from typing import Any

from signalchain import thresholds as th
from signalchain.api import load_rig_text
from signalchain.catalog import Catalog
from signalchain.errors import RigError
from signalchain.graph import compile_rig
from signalchain.schema.cable import CableEnd, CableSpec
from signalchain.schema.device import PortSpec
from signalchain.tune import TuneResult, tune
from signalchain.wiring.build import BuiltRig, build
from signalchain.wiring.connectors import fits
from signalchain.wiring.resolve import ResolvedDevice, ResolvedRig, resolve

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


@dataclass
class Group:
    """One or two ports used together: ``ports`` maps role (``single``/``left``/``right``)."""

    device: str
    ports: dict[str, str]
    label: str
    kind: str  # stereo, pair, mono


@dataclass
class Method:
    """One way to connect the gear, with its figures."""

    name: str
    connections: list[dict[str, Any]]
    bom: list[dict[str, Any]]
    signature: tuple = ()
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

    def to_json(self) -> dict[str, Any]:
        """The method as in ``advise --json``."""
        return {"name": self.name, "connections": self.connections, "bom": self.bom,
                "stereo": self.facts.get("stereo"), "volume": self.facts.get("volume"),
                "knobs": self.tuned.knobs if self.tuned else {},
                "noise_spl_dba": _r(self.facts.get("noise")),
                "hum_spl_dba": _r(self.facts.get("hum")), "pros": self.pros,
                "cons": self.cons, "verdict": self.verdict, "reason": self.reason,
                "score": _r(self.score, 2),
                "score_breakdown": {k: round(v, 2) for k, v in self.breakdown.items()}}


def _r(x: float | None, nd: int = 1) -> float | None:
    return None if x is None or not math.isfinite(x) else round(float(x), nd)


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
    options = []
    if fits(end.connector, end.gender, port.connector, port.gender):
        options.append([])
    for ad in adapters:
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
    found = []

    def ref(group: Group, role: str, via: list[str]) -> Any:
        port = f"{group.device}.{group.ports[role]}"
        return {"port": port, "via": via} if via else port

    for cable in cables:
        names = list(cable.ends)
        # which cable end goes where: 2-end cables single→single, or (pair→pair) twice;
        # 3-end cables split one end into two
        if len(names) == 2 and len(out.ports) == len(in_ports):
            pairs = [("single", "single")] if out.kind != "pair" else [("left", "left"),
                                                                       ("right", "right")]
            for a, b in ((names[0], names[1]), (names[1], names[0])):
                per_link = []
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
            single, left, right = _breakout_ends(cable)
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
                ends = {single: ref(joined, "single", min(opts_j, key=len)),
                        left: ref(split, "left", min(opts_l, key=len)),
                        right: ref(split, "right", min(opts_r, key=len))}
                found.append((cable.id, [{"cable": cable.id, "length": f"{length_m:g} m",
                                          "ends": ends}]))
    return found


def _breakout_ends(cable: CableSpec) -> tuple[str, str, str]:
    """A Y cable's combined end and its left and right ends (by which contact they join)."""
    signal = [c for c in cable.conductors if c.role == "signal"]
    ends = list(cable.ends)
    single = next(e for e in ends if all(any(j.startswith(e + ".") for j in c.joins)
                                         for c in signal))
    by_contact: dict[str, str] = {}
    for c in signal:
        contact = next(j.split(".", 1)[1] for j in c.joins if j.startswith(single + "."))
        other = next(j.split(".", 1)[0] for j in c.joins if not j.startswith(single + "."))
        by_contact[contact] = other
    hot = next(v for k, v in by_contact.items() if k in ("tip", "2", "pin"))
    cold = next(v for k, v in by_contact.items() if v != hot)
    return single, hot, cold


def _listener_links(catalog: Catalog, devices: dict[str, ResolvedDevice], amp: str | None,
                    source: str, listeners: list[str]) -> list[dict[str, Any]] | None:
    """Each listener into their own output (amp outputs, else the interface's stereo outputs).

    If there are more listeners than outputs, the rig's own Y splitters (if any) go into
    the last outputs and their jacks take the extra listeners.
    """
    host = devices[amp] if amp else devices[source]
    outs = [f"{host.name}.{n}" for n, p in host.spec.ports.items()
            if p.direction == "out" and p.signal == "stereo" and p.feeds]
    adapters = catalog.adapters()
    links: list[dict[str, Any]] = []

    def plug_into(device: str, target: str) -> bool:
        dev = devices[device]
        plug = next(p for p in dev.spec.ports.values() if p.captive)
        tdev, tport = target.split(".")
        port = devices[tdev].spec.ports[tport]
        options = _end_options(CableEnd(connector=plug.connector, gender=plug.gender), port,
                               adapters)
        if not options:
            return False
        via = min(options, key=len)
        links.append({"plug": device, "into": target, **({"via": via[0]} if via else {})})
        return True

    splitters = [d for d in devices.values() if d.spec.kind == "splitter"]
    while len(listeners) > len(outs) and splitters and outs:
        y = splitters.pop(0)
        target = outs.pop()
        if not plug_into(y.name, target):
            return None
        outs += [f"{y.name}.{n}" for n, p in y.spec.ports.items() if not p.captive]
    if len(outs) < len(listeners):
        return None
    for who, out in zip(listeners, outs, strict=False):
        if not plug_into(who, out):
            return None
    return links


def _bom(catalog: Catalog, devices: dict[str, ResolvedDevice], connections: list[dict[str, Any]]
         ) -> list[dict[str, Any]]:
    counts: dict[str, dict[str, Any]] = {}

    def add(item: str, note: str = "") -> None:
        entry = counts.setdefault(item, {"item": item, "name": catalog.get(item).name,
                                         "count": 0, "notes": []})
        entry["count"] += 1
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
            hp = devices[c["plug"]].spec.headphones
            boxed = hp is not None and hp.adapter_included == c["via"]
            add(c["via"], f"comes with {c['plug']}'s headphones" if boxed else "")
    return list(counts.values())


def _to_buy(bom: list[dict[str, Any]]) -> int:
    n = 0
    for item in bom:
        boxed = sum(1 for note in item["notes"] if note.startswith("comes with"))
        n += item["count"] - boxed if boxed else item["count"]
    return max(n, 0)


def _build(raw_devices: dict[str, Any], meta: dict[str, Any], connections: list[dict[str, Any]],
           catalog: Catalog) -> BuiltRig:
    doc = {"signalchain": 1, **meta, "devices": raw_devices, "connections": connections}
    spec, ydoc = load_rig_text(json.dumps(doc), "<advise>")
    return build(resolve(spec, ydoc, catalog))


def advise(rig: ResolvedRig, raw_devices: dict[str, Any], *, priority: str = "quality",
           length_m: float = 3.0, target_spl_db: float = th.DEFAULT_TARGET_SPL_DB,
           headroom_db: float = 3.0) -> list[Method]:
    """Enumerate, simulate, tune and rank the ways to connect a rig's devices.

    Parameters
    ----------
    rig : ResolvedRig
        The user's rig (its devices are used; its connections are not).
    raw_devices : dict
        The rig file's ``devices`` section as plain data, reused in every candidate.
    priority : {'quality', 'convenience'}
        How noise is weighed against convenience.
    length_m : float
        Length of the interface-to-amp cable(s).
    """
    catalog = rig.catalog
    devices = rig.devices
    kinds: dict[str, list[str]] = {}
    for name, dev in devices.items():
        kinds.setdefault(dev.spec.kind, []).append(name)
    computer = (kinds.get("computer") or [None])[0]
    source = (kinds.get("interface") or [None])[0]
    amp = (kinds.get("amp") or [None])[0]
    listeners = kinds.get("headphones", [])
    if source is None or computer is None or not listeners:
        missing = [what for what, have in (("a computer", computer), ("an interface", source),
                                           ("headphones", listeners)) if not have]
        raise RigError([_diag(f"advise needs {', '.join(missing)} among the rig's devices")])
    usb = {"cable": "usb", "ends": [f"{computer}.usb", f"{source}.{_host_port(devices[source])}"]}
    meta = {"name": rig.spec.name, "environment": rig.spec.environment.model_dump(
        mode="json", exclude_unset=True)}
    ear_links = _listener_links(catalog, devices, amp, source, listeners)
    if ear_links is None:
        raise RigError([_diag("there are more listeners than outputs to plug them into (or a "
                              "plug fits no output); add a Y splitter to the rig's devices or "
                              "use a bigger amp")])
    candidates: list[Method] = []
    if amp is None:
        candidates.append(Method("Headphones straight into the interface", [usb, *ear_links],
                                 []))
    else:
        for out, inp in product(_output_groups(devices[source]), _input_groups(devices[amp])):
            if out.kind == "mono" and inp.kind == "pair":
                continue
            for cable_id, links in _links(catalog, out, inp, devices, length_m):
                cable = catalog.get(cable_id)
                count = f"2× {cable.name}" if len(links) > 1 else cable.name
                name = f"{out.label} → {count} → {inp.label}"
                candidates.append(Method(name, [usb, *links, *ear_links], [],
                                         signature=(out.label, inp.label),
                                         uses_line_outputs=out.kind != "stereo"))
    methods = []
    seen: dict[tuple, Method] = {}
    for m in candidates:
        m.bom = _bom(catalog, devices, m.connections[1:])
        try:
            m.built = _build(raw_devices, meta, m.connections, catalog)
        except RigError:
            continue
        graph = compile_rig(m.built)
        m.tuned = tune(graph, target_spl_db, None, headroom_db)
        _facts(m, source)
        key = m.signature
        if key in seen and _to_buy(seen[key].bom) + len(seen[key].bom) <= _to_buy(m.bom) + len(
                m.bom):
            continue
        seen[key] = m
    methods = list(seen.values())
    _judge(methods, priority)
    return sorted(methods, key=lambda m: m.score)


def _diag(message: str):  # noqa: ANN202
    from signalchain.errors import error_at

    return error_at(message, code="advise")


def _host_port(dev: ResolvedDevice) -> str:
    return next(n for n, p in dev.spec.ports.items() if p.signal == "host")


def _facts(m: Method, source: str) -> None:
    ev = m.tuned.evaluation
    codes = sorted({w.code for lf in ev.listeners for w in lf.warnings})
    stereo = all(any(c.channel == "L" for c in lf.ears["left"].program) and
                 any(c.channel == "R" for c in lf.ears["right"].program) and
                 not ({"one-ear", "antiphase", "missing-channel"} &
                      {w.code for w in lf.warnings}) for lf in ev.listeners)
    shared: dict[str, bool] = {}
    per_listener: dict[str, list[str]] = {}
    for lf in ev.listeners:
        for c in lf.volume_controls:
            if c["physical"]:
                per_listener.setdefault(lf.id, []).append(c["knob"])
    for lf in ev.listeners:
        for c in lf.volume_controls:
            users = sum(c["knob"] in v for v in per_listener.values())
            if c["knob"].startswith(f"{source}.") and (users > 1 or len(ev.listeners) == 1):
                shared[c["knob"]] = c["physical"]
    master = [{"knob": k, "physical": v} for k, v in shared.items()]
    software = next((c["knob"] for lf in ev.listeners for c in lf.volume_controls
                     if not c["physical"]), None)
    volume = {"master": master or [{"knob": software, "physical": False}],
              "per_listener": {who: [k for k in ks if not k.startswith(f"{source}.")]
                               for who, ks in per_listener.items()}}
    worst = max(ev.listeners, key=lambda lf: lf.noise_spl_dba)
    m.facts = {"stereo": stereo, "codes": codes, "volume": volume,
               "noise": worst.noise_spl_dba, "noise_listener": worst.id,
               "hum": max(lf.hum_spl_dba for lf in ev.listeners),
               "feasible": m.tuned.feasible, "physical_master": bool(master),
               "to_buy": _to_buy(m.bom), "items": sum(i["count"] for i in m.bom)}
    levels = tuple(round(c.spl_db) for lf in ev.listeners for e in lf.ears.values()
                   for c in e.program if c.spl_db > 40)
    m.signature = (*m.signature, stereo, tuple(c for c in codes if c in BAD_CODES), levels,
                   tuple(sorted(shared)))


def _judge(methods: list[Method], priority: str) -> None:
    if not methods:
        return
    ok = [m for m in methods if not (set(m.facts["codes"]) & BAD_CODES) and m.facts["feasible"]]
    best_noise = min((m.facts["noise"] for m in ok), default=min(m.facts["noise"]
                                                                   for m in methods))
    for m in methods:
        f = m.facts
        bad = sorted(set(f["codes"]) & BAD_CODES)
        ev = m.tuned.evaluation
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
        if any(f["volume"]["per_listener"].values()):
            m.pros.append("each listener has their own physical knob")
        noise_line = (f"worst hiss {f['noise']:.1f} dBA ({f['noise_listener']}) at "
                      f"{m.tuned.targets[ev.listeners[0].id]:g} dB SPL")
        if f["noise"] <= best_noise + 0.5:
            quietest = len(ok) > 1 and not bad and f["feasible"]
            m.pros.append(noise_line + (" — the quietest option" if quietest else ""))
        else:
            m.cons.append(noise_line + f", {f['noise'] - best_noise:.1f} dB more than the "
                          "quietest option")
        if f["noise"] >= th.HISS_AUDIBLE_DBA:
            m.cons.append(f"hiss is audible in a quiet room (≥ {th.HISS_AUDIBLE_DBA:g} dBA)")
        if f["hum"] >= th.HUM_AUDIBLE_DBA:
            m.cons.append(f"hum {f['hum']:.1f} dBA is audible")
        if not f["feasible"]:
            m.cons.append("not every listener can reach the target level: " +
                          "; ".join(m.tuned.explanation[:1]))
        buy = f["to_buy"]
        boxed = [i for i in m.bom if any(n.startswith("comes with") for n in i["notes"])]
        items = ", ".join(f"{i['count']}× {i['item']}" for i in m.bom if i not in boxed)
        if buy:
            m.cons.append(f"{buy} item{'s' * (buy != 1)} to buy or find: {items}")
        if boxed:
            m.pros.append("the headphone adapters needed come in the box: " + ", ".join(
                f"{i['count']}× {i['item']}" for i in boxed))
        if bad:
            m.verdict, m.reason = "not-recommended", f"{', '.join(bad)}"
        elif not f["feasible"]:
            m.verdict, m.reason = "not-recommended", "cannot reach the target level"
        w = WEIGHTS[priority]
        m.breakdown = {"hiss": w["hiss"] * f["noise"],
                       "items_to_buy": w["items_to_buy"] * buy,
                       "no_master_knob": w["no_master_knob"] * (not f["physical_master"]),
                       "line_outputs_used": w["line_outputs_used"] * m.uses_line_outputs}
        m.score = sum(m.breakdown.values()) + (1000.0 if m.verdict == "not-recommended" else 0.0)
    ranked = sorted(methods, key=lambda m: m.score)
    if ranked[0].verdict != "not-recommended":
        ranked[0].verdict = "recommended"
        ranked[0].reason = f"best under priority '{priority}' ({PRIORITIES[priority]})"
    for m in ranked[1:]:
        if m.verdict == "works":
            diffs = [f"{k.replace('_', ' ')} {v - ranked[0].breakdown[k]:+.1f}"
                     for k, v in m.breakdown.items() if abs(v - ranked[0].breakdown[k]) > 0.05]
            m.reason = (f"works; {m.score - ranked[0].score:.1f} points behind '{ranked[0].name}' "
                        f"under '{priority}' ({', '.join(diffs) or 'a tie broken by order'})")

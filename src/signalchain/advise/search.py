"""The search: build, check, simulate and tune the candidates, once per distinct behaviour.

1. Of candidates that join the same ports' contacts in the same way, only the one needing
   the fewest items is built; each built one is looked at once (every knob half up), and
   of those that behave alike (same ports, same channels at the same ears, same findings)
   only the one needing the fewest items is tuned.
2. Where listeners must share outputs, the pairing is picked on one stereo-looking
   candidate per interface and amp (the next-closest pairings only if the closest leaves
   someone off target), then used for that pair's other candidates.
3. Of tuned candidates that come out alike, the one needing the fewest items is kept.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from signalchain import limits
from signalchain.advise.candidates import CableOption, Devices, Link
from signalchain.advise.ears import Ears
from signalchain.advise.judge import BAD_CODES, facts_of, rank_key, stereo, tier_of
from signalchain.advise.model import Facts, Method, Point, Skipped, Verdict
from signalchain.bom import BomItem, bill_of_materials, items_to_buy
from signalchain.catalog import Catalog
from signalchain.errors import RigError, error_at
from signalchain.results import Evaluation
from signalchain.rig import Rig
from signalchain.schema.budget import over_limit
from signalchain.schema.cable import CableEnd, CableSpec
from signalchain.tune import TuneResult
from signalchain.wiring.connectors import CONTACTS, fits, mated_contacts
from signalchain.wiring.netlist import Netlist, Resistor

_Plugged = tuple[str, str, str]
"""An end on its way to a port: connector, gender, and its contacts' node prefix."""
Pair = tuple[str, str | None]
"""An interface and an amp (None: the listeners plug into the interface)."""


@dataclass(frozen=True)
class Candidate:
    """One way to wire the gear, before it is built."""

    interface: str
    amp: str | None
    usb: Link
    cable: CableOption
    ears: Ears
    mics: tuple[Link, ...] = ()
    """The microphones (and boosters) into the interface's recording inputs."""

    @property
    def name(self) -> str:
        """The method's name (the interface-to-amp link)."""
        return self.cable.name

    @property
    def connections(self) -> tuple[Link, ...]:
        """Every connection, as rig-file entries: USB, the cable(s), the listeners, the mics."""
        return (self.usb, *self.cable.links, *self.ears.links, *self.mics)

    @property
    def pair(self) -> Pair:
        """The interface and amp it joins."""
        return self.interface, self.amp

    def with_ears(self, ears: Ears) -> Candidate:
        """The same cable method with the listeners plugged in another way."""
        return dataclasses.replace(self, ears=ears)


@dataclass(frozen=True, eq=False)
class Built:
    """A candidate as a rig that plugs together, looked at once with every knob half up."""

    candidate: Candidate
    rig: Rig
    bom: tuple[BomItem, ...]
    unused: tuple[str, ...]
    probe: Evaluation


@dataclass(frozen=True, eq=False)
class Tuned(Built):
    """A built candidate, tuned, with the facts it is judged on."""

    tuned: TuneResult
    facts: Facts
    tier: int
    signature: tuple[Any, ...]

    def method(self, pros: tuple[Point, ...], cons: tuple[Point, ...], verdict: Verdict,
               reason: Point, breakdown: Mapping[str, float]) -> Method:
        """The finished method, judged."""
        return Method(
            name=self.candidate.name, connections=self.candidate.connections, bom=self.bom,
            facts=self.facts, pros=pros, cons=cons, verdict=verdict, reason=reason,
            score=sum(breakdown.values()), breakdown=breakdown, tier=self.tier,
            interface=self.candidate.interface, amp=self.candidate.amp,
            uses_line_outputs=self.candidate.cable.uses_line_outputs,
            devices=tuple(self.rig.spec.devices), unused=self.unused,
            shared_outputs=self.candidate.ears.shared, tuned=self.tuned, rig=self.rig)


def _cost(bom: Sequence[BomItem]) -> tuple[int, int]:
    return items_to_buy(bom), sum(i.count for i in bom)


def _ends(link: Mapping[str, Any], names: Sequence[str]) -> dict[str, Any]:
    ends = link["ends"]
    return dict(ends) if isinstance(ends, Mapping) else dict(zip(names, ends, strict=False))


class _Contacts:
    """Which port contacts a candidate's cable connections join (see :func:`contacts`).

    Nodes are ``'<prefix>.<contact>'`` with prefixes ``'cable I END'``, ``'cable I END
    adapter K END'`` and ``'port DEVICE.PORT'`` (ids hold no spaces, so they never clash).
    """

    def __init__(self, catalog: Catalog, devices: Devices) -> None:
        self.catalog = catalog
        self.devices = devices
        self.net = Netlist()
        self.ports: dict[str, str] = {}

    def join(self, a: str, b: str) -> None:
        self.net.resistors.append(Resistor("", a, b, 0.0, conductive=True))

    def wires(self, tag: str, cable: CableSpec) -> None:
        """A cable's or adapter's conductors (``end.contact`` refs), its ends at ``tag END``."""
        for conductor in cable.conductors:
            first, *rest = conductor.joins
            for ref in rest:
                self.join(f"{tag} {first}", f"{tag} {ref}")

    def mate(self, a: _Plugged, b: _Plugged) -> bool:
        """Join the contacts of two mated ends; False if they do not mate."""
        touching = mated_contacts(a[0], a[1], b[0], b[1])
        for x, y in touching or ():
            self.join(f"{a[2]}.{x}", f"{b[2]}.{y}")
        return touching is not None

    def end(self, tag: str, end: CableEnd, ref: Any) -> bool:
        """Plug a cable end (nodes ``tag.CONTACT``) through its adapters into its port."""
        port_ref = ref["port"] if isinstance(ref, Mapping) else ref
        dev, _, pname = port_ref.partition(".")
        port = self.devices[dev].spec.ports[pname]
        self.ports[port_ref] = port.connector
        here: _Plugged = (end.connector, end.gender, tag)
        for k, ad_id in enumerate(ref.get("via", []) if isinstance(ref, Mapping) else []):
            ad = self.catalog.cable(ad_id)
            if ad is None or len(ad.ends) != 2:
                return False
            ad_tag = f"{tag} adapter {k}"
            self.wires(ad_tag, ad)
            first, second = ad.ends
            for x, y in ((first, second), (second, first)):
                ex, ey = ad.ends[x], ad.ends[y]
                if fits(here[0], here[1], ex.connector, ex.gender) and fits(
                        ey.connector, ey.gender, port.connector, port.gender):
                    self.mate(here, (ex.connector, ex.gender, f"{ad_tag} {x}"))
                    here = (ey.connector, ey.gender, f"{ad_tag} {y}")
                    break
            else:
                return False
        return self.mate(here, (port.connector, port.gender, f"port {port_ref}"))

    def signature(self, links: Sequence[Mapping[str, Any]]) -> tuple[Any, ...] | None:
        for i, link in enumerate(links):
            cable = self.catalog.cable(link.get("cable", ""))
            if cable is None:
                return None
            self.wires(f"cable {i}", cable)
            for end_name, ref in _ends(link, list(cable.ends)).items():
                if not self.end(f"cable {i} {end_name}", cable.ends[end_name], ref):
                    return None
        groups = self.net.conductive_groups()
        found: dict[frozenset[str], list[tuple[str, str]]] = {}
        for port_ref, connector in self.ports.items():
            for contact in CONTACTS.get(connector, ()):
                node = f"port {port_ref}.{contact}"
                found.setdefault(groups.get(node, frozenset((node,))), []).append(
                    (port_ref, contact))
        return tuple(sorted(tuple(sorted(g)) for g in found.values()))


def contacts(catalog: Catalog, devices: Devices, links: Sequence[Mapping[str, Any]]
             ) -> tuple[Any, ...] | None:
    """Which port contacts the cable connections join, as groups (None if unclear).

    Contacts are joined through conductors, adapters and mated plugs (the netlist's
    conductive groups). Two ways to join the same ports whose groups are equal carry the
    same signals, so only the one needing fewer items has to be simulated.
    """
    return _Contacts(catalog, devices).signature(links)


def _used(connections: Sequence[Mapping[str, Any]]) -> set[str]:
    """The devices the connections name."""
    names: set[str] = set()
    for c in connections:
        if "cable" in c:
            ends = c["ends"].values() if isinstance(c["ends"], Mapping) else c["ends"]
            refs = [e["port"] if isinstance(e, Mapping) else e for e in ends]
        else:
            refs = [c["plug"], c["into"]]
        names.update(str(ref).partition(".")[0] for ref in refs)
    return names


def pattern(ev: Evaluation) -> tuple[Any, ...]:
    """Which channels reach which ears in which polarity, and the channel-loss findings."""
    ears = tuple((lf.id, side, c.channel, c.polarity) for lf in ev.listeners
                 for side in lf.ears for c in lf.program_at(side))
    codes = tuple(sorted({w.code for lf in ev.listeners for w in lf.warnings} & BAD_CODES))
    return all(stereo(lf) for lf in ev.listeners), ears, codes


def _first_error(exc: RigError) -> str:
    return exc.diagnostics[0].message if exc.diagnostics else str(exc)


class Search:
    """Builds, checks, tunes and de-duplicates the candidates of one ``advise`` call."""

    def __init__(self, base: Rig, skip: Callable[[Skipped], None], target_spl_db: float,
                 headroom_db: float) -> None:
        self.base = base
        self.devices: Devices = base.resolved.devices
        self.skip = skip
        self.target = target_spl_db
        self.headroom_db = headroom_db

    def failed(self, candidate: Candidate, exc: RigError) -> None:
        """Note that a candidate could not be built or tuned."""
        self.skip(Skipped(tuple(d for d in candidate.pair if d), "build-failed",
                          {"method": candidate.name, "error": _first_error(exc)}))

    def bom(self, candidate: Candidate) -> tuple[BomItem, ...]:
        """What the candidate needs besides the rig's devices (the USB cable not counted)."""
        return bill_of_materials(candidate.connections[1:], self.base.catalog, self.devices)

    def prepare(self, candidate: Candidate) -> Built | None:
        """Build the candidate and simulate it once with every knob at least half up."""
        used = _used(candidate.connections)
        try:
            rig = self.base.with_connections(candidate.connections,
                                             devices=[n for n in self.devices if n in used])
            probe = {k: max(v, 0.5) for k, v in rig.graph.knob_positions.items()}
            evaluation = rig.simulate(probe)
        except RigError as exc:
            self.failed(candidate, exc)
            return None
        return Built(candidate, rig, self.bom(candidate),
                     tuple(n for n in self.devices if n not in used), evaluation)

    def finish(self, built: Built) -> Tuned | None:
        """Tune a built candidate and work out its facts."""
        candidate = built.candidate
        try:
            tuned = built.rig.tune(self.target, None, self.headroom_db)
        except RigError as exc:
            self.failed(candidate, exc)
            return None
        facts = facts_of(tuned, candidate.interface, built.bom, self.devices, self.target,
                         self.headroom_db)
        ev = tuned.evaluation
        levels = tuple(round(c.spl_db) for lf in ev.listeners for side in lf.ears
                       for c in lf.program_at(side) if c.spl_db > 40)
        master = tuple(sorted(c.knob for c in facts.volume.master)) \
            if facts.physical_master else ()
        signature = (*candidate.cable.signature, facts.stereo,
                     tuple(c for c in facts.codes if c in BAD_CODES), levels, master,
                     tuple(sorted(candidate.ears.shared.items())))
        return Tuned(candidate, built.rig, built.bom, built.unused, built.probe, tuned, facts,
                     tier_of(facts), signature)

    def distinct(self, candidates: Sequence[Candidate]) -> list[Candidate]:
        """Of candidates joining the same ports' contacts the same way, the cheapest each."""
        alike: dict[tuple[Any, ...], tuple[Candidate, tuple[int, int]]] = {}
        for n, candidate in enumerate(candidates):
            cost = _cost(self.bom(candidate))
            joined = contacts(self.base.catalog, self.devices, candidate.cable.links)
            key = (*candidate.cable.signature, n if joined is None else joined)
            if key not in alike or cost < alike[key][1]:
                alike[key] = candidate, cost
        return [candidate for candidate, _ in alike.values()]

    def behaviours(self, candidates: Sequence[Candidate]) -> list[tuple[bool, Built]]:
        """Build each candidate; of those that behave alike, the cheapest each.

        Returns (looks stereo, built) pairs.
        """
        reps: dict[tuple[Any, ...], Built] = {}
        for candidate in candidates:
            built = self.prepare(candidate)
            if built is None:
                continue
            key = (*candidate.cable.signature, pattern(built.probe))
            if key not in reps or _cost(built.bom) < _cost(reps[key].bom):
                reps[key] = built
        return [(key[-1][0], built) for key, built in reps.items()]

    def pairing(self, probe: Built, options: Sequence[Ears]) -> tuple[int, Tuned | None]:
        """The way to share outputs that works best on ``probe``, and ``probe`` tuned so.

        The closest pairing is tried first; the next ones only while nobody is at target.
        """
        trials: list[tuple[int, Tuned]] = []
        for i, ears in enumerate(options):
            if trials and min(t.tier for _i, t in trials) == 0:
                break  # the closest pairing already puts everyone at the target
            trial = probe if i == 0 else self.prepare(probe.candidate.with_ears(ears))
            tuned = self.finish(trial) if trial is not None else None
            if tuned is not None:
                trials.append((i, tuned))
        if not trials:
            return 0, None
        return min(trials, key=lambda t: rank_key(t[1].tier, t[1].facts))

    def tune_pair(self, members: Sequence[tuple[bool, Built]], options: Sequence[Ears]
                  ) -> list[Tuned]:
        """Tune one interface-and-amp pair's candidates, all with the same pairing."""
        chosen, done = 0, []
        builts = [built for _stereo, built in members]
        if len(options) > 1:
            probe = next((built for looks_stereo, built in members if looks_stereo), builts[0])
            chosen, best = self.pairing(probe, options)
            done += [best] if best is not None else []
            builts = [built for built in builts if built is not probe]
        for built in builts:
            if chosen:
                rebuilt = self.prepare(built.candidate.with_ears(options[chosen]))
                if rebuilt is None:
                    continue
                built = rebuilt
            tuned = self.finish(built)
            if tuned is not None:
                done.append(tuned)
        return done

    def run(self, candidates: Sequence[Candidate], ears: Mapping[Pair, Sequence[Ears]]
            ) -> list[Tuned]:
        """Build, check and tune the distinct candidates; of those alike, the cheapest."""
        distinct = self.distinct(candidates)
        _check_count(len(distinct), len(ears))
        by_pair: dict[Pair, list[tuple[bool, Built]]] = {}
        for looks_stereo, built in self.behaviours(distinct):
            by_pair.setdefault(built.candidate.pair, []).append((looks_stereo, built))
        done = [t for pair, members in by_pair.items()
                for t in self.tune_pair(members, ears[pair])]
        seen: dict[tuple[Any, ...], Tuned] = {}
        for tuned in done:
            kept = seen.get(tuned.signature)
            if kept is None or items_to_buy(kept.bom) + len(kept.bom) > \
                    items_to_buy(tuned.bom) + len(tuned.bom):
                seen[tuned.signature] = tuned
        return list(seen.values())


def _check_count(candidates: int, pairs: int) -> None:
    """Refuse to build more candidates than the ``advise-candidates`` limit."""
    if candidates <= limits.current().advise_candidates:
        return
    message, hint = over_limit(
        "advise-candidates", "advise's search of this rig",
        f"{candidates} distinct candidates over {pairs} interface-and-amp pairs",
        suggest=candidates)
    raise RigError([error_at(message, code="limit", hint=hint + ", or leave out of the rig "
                             "the interfaces and amps you would not use")])

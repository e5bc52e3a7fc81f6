"""The pin-level netlist of a rig: nodes, passive elements, drivers and sensing points.

Node names are readable: ``hm4.input.ring`` is a device contact,
``hm4.gnd`` a device's internal ground, ``c2.stereo.tip`` a cable-end
contact of connection 2, ``earth`` the mains earth reference.
"""

from __future__ import annotations

from dataclasses import dataclass, field

EARTH = "earth"


@dataclass(frozen=True)
class Resistor:
    """A resistor (ohm) between two nodes; ``conductive`` marks wires and contacts."""

    name: str
    a: str
    b: str
    ohm: float
    conductive: bool = False


@dataclass(frozen=True)
class Capacitor:
    """A capacitor (farad) between two nodes."""

    name: str
    a: str
    b: str
    farad: float


@dataclass(frozen=True)
class Transducer:
    """A headphone driver: an impedance, optionally frequency dependent.

    ``z_curve`` is ``[(frequency_hz, ohm), ...]``, interpolated in log-frequency
    and flat outside its range; without it the impedance is ``z_ohm``.
    """

    name: str
    a: str
    b: str
    z_ohm: float
    z_curve: tuple[tuple[float, float], ...] = ()


@dataclass(frozen=True)
class Vcvs:
    """Voltage-controlled voltage source: ``V(out_p)-V(out_n) = gain*(V(ctl_p)-V(ctl_n))``."""

    name: str
    out_p: str
    out_n: str
    ctl_p: str
    ctl_n: str
    gain: float


@dataclass(frozen=True)
class Drive:
    """An ideal voltage source set by an active stage.

    The source value is ``coeff`` times the stage's output for ``role``
    (``left``/``right`` for stereo outputs, ``hot`` for mono outputs).
    """

    name: str
    pos: str
    neg: str
    stage: str
    role: str
    coeff: float


@dataclass(frozen=True)
class GroundSource:
    """An excitation from the mains: a ground-potential offset (voltage) or a leakage current.

    ``kind='voltage'``: a source of ``amplitude`` volts from ``neg`` to ``pos``.
    ``kind='current'``: ``amplitude`` amperes injected into ``pos``, returning from ``neg``.
    """

    name: str
    kind: str
    pos: str
    neg: str
    amplitude: float


@dataclass(frozen=True)
class Sense:
    """A quantity read from the circuit: a weighted sum of node voltages.

    ``kind`` is ``input`` (an active input's channel, volts), ``ear`` (volts
    across a headphone driver), ``leg`` (an output leg's volts) or ``current``
    (amperes out of an output leg). ``limit`` is the largest clean RMS value.
    """

    name: str
    kind: str
    terms: tuple[tuple[str, float], ...]
    device: str
    port: str
    role: str
    limit: float | None = None


@dataclass
class Netlist:
    """Every contact, conductor, ground path, driver and sensing point of a rig."""

    resistors: list[Resistor] = field(default_factory=list)
    capacitors: list[Capacitor] = field(default_factory=list)
    transducers: list[Transducer] = field(default_factory=list)
    vcvs: list[Vcvs] = field(default_factory=list)
    drives: list[Drive] = field(default_factory=list)
    ground_sources: list[GroundSource] = field(default_factory=list)
    senses: list[Sense] = field(default_factory=list)
    contact_roles: dict[str, tuple[str, str, str]] = field(default_factory=dict)
    """contact node -> (device, port, role) for device port contacts"""

    def nodes(self) -> list[str]:
        """All node names, earth first."""
        seen: dict[str, None] = {EARTH: None}
        for r in self.resistors:
            seen[r.a] = seen[r.b] = None
        for c in self.capacitors:
            seen[c.a] = seen[c.b] = None
        for t in self.transducers:
            seen[t.a] = seen[t.b] = None
        for v in self.vcvs:
            seen[v.out_p] = seen[v.out_n] = seen[v.ctl_p] = seen[v.ctl_n] = None
        for d in self.drives:
            seen[d.pos] = seen[d.neg] = None
        for g in self.ground_sources:
            seen[g.pos] = seen[g.neg] = None
        return list(seen)

    def conductive_groups(self) -> dict[str, frozenset[str]]:
        """Every node joined by wires and mated contacts, mapped to its whole group (one pass).

        Nodes with no conductive element are absent; their group is themselves alone.
        """
        adjacency: dict[str, list[str]] = {}
        for r in self.resistors:
            if r.conductive:
                adjacency.setdefault(r.a, []).append(r.b)
                adjacency.setdefault(r.b, []).append(r.a)
        groups: dict[str, frozenset[str]] = {}
        for start in adjacency:
            if start in groups:
                continue
            found, todo = {start}, [start]
            while todo:
                for nxt in adjacency[todo.pop()]:
                    if nxt not in found:
                        found.add(nxt)
                        todo.append(nxt)
            members = frozenset(found)
            groups.update(dict.fromkeys(members, members))
        return groups

    def conductive_group(self, node: str) -> frozenset[str]:
        """Nodes joined to ``node`` by wires and mated contacts (not through device circuits).

        For many look-ups take :meth:`conductive_groups` once instead.
        """
        return self.conductive_groups().get(node, frozenset((node,)))

    def contacts_reached(self, node: str) -> list[tuple[str, str, str, str]]:
        """Device contacts wired to ``node``: ``(node, device, port, role)``, sorted."""
        return sorted((n, *self.contact_roles[n]) for n in self.conductive_group(node)
                      if n in self.contact_roles)

    def stages(self) -> list[str]:
        """Active output stages (``device.port``) that drive this netlist, in order."""
        return list(dict.fromkeys(d.stage for d in self.drives))

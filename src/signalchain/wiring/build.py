"""Wire a resolved rig: mate every plug with its jack at contact level and build the netlist.

This is where ``signalchain check`` finds what does not plug together: unknown
ports, plugs that do not fit (with the adapter that would), outputs wired to
outputs, feedback loops through active stages, ports used twice, an interface
with no computer, a listener plugged into nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from signalchain.errors import Diagnostic, Location, RigTopologyError, error_at, warning_at
from signalchain.schema.cable import CableSpec
from signalchain.schema.device import PortSpec
from signalchain.schema.rig import CableConnection, EndRef, PlugConnection
from signalchain.wiring import devices as dv
from signalchain.wiring.adapters import adapter_path
from signalchain.wiring.connectors import CONTACTS, ROLES, SIZE, mated_contacts
from signalchain.wiring.flow import FlowNode, find_loops, signal_flow
from signalchain.wiring.netlist import Capacitor, Netlist, Resistor
from signalchain.wiring.resolve import ResolvedDevice, ResolvedRig


@dataclass
class EndState:
    """A connector end travelling along a chain of adapters: its contacts' node names."""

    connector: str
    gender: str
    nodes: dict[str, str]
    label: str


@dataclass
class BuiltRig:
    """A rig that plugs together: its netlist, warnings and who listens where."""

    rig: ResolvedRig
    netlist: Netlist
    warnings: list[Diagnostic] = field(default_factory=list)
    listeners: list[str] = field(default_factory=list)
    feeds: dict[str, str | None] = field(default_factory=dict)
    links: list[str] = field(default_factory=list)
    """One line per connection, in words."""
    host_linked: set[str] = field(default_factory=set)
    """Interfaces that a computer plays into."""
    signal_flow: dict[str, list[str]] = field(default_factory=dict)
    """Active stage (``device.port``) -> the stages it feeds through their devices' inputs,
    from the wiring (see :func:`signal_flow`); acyclic once :func:`build` accepts the rig."""
    port_connections: dict[tuple[str, str], int] = field(default_factory=dict)
    """(device, port) -> the index of the connection that plugs into it."""

    def connection_location(self, device: str, port: str) -> Location | None:
        """Where in the rig file the connection at a port is written (None if unplugged)."""
        index = self.port_connections.get((device, port))
        return None if index is None else self.rig.location("connections", index)

    @property
    def devices(self) -> dict[str, ResolvedDevice]:
        """The rig's devices by name."""
        return self.rig.devices


class _Builder:
    def __init__(self, rig: ResolvedRig):
        self.rig = rig
        self.net = Netlist()
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []
        self.used: dict[tuple[str, str], int] = {}
        self.peers: dict[tuple[str, str], list[tuple[str, str]]] = {}
        self.links: list[str] = []
        self.host_linked: set[str] = set()

    # ------------------------------------------------------------ devices
    def add_devices(self) -> None:
        """Add every device's power and the circuits of the ports connections use.

        A port no connection uses gets no circuit: nothing flows in or out of its contacts,
        so it cannot change any sense (but for the SPICE-style ``GMIN``, 1e-12 S from each
        node to earth), and skipping it keeps an unplugged many-port device cheap. Kept
        conservatively: every captive plug of a device named by ``plug:`` without a port,
        and every port in a device's ``links`` (wired to other ports inside the device).
        """
        plugged = self._plugged_ports()
        earthed = [d for d in self.rig.devices.values() if d.spec.power == "mains-earthed"]
        reference = earthed[0].outlet if earthed else None
        outlets_done: set[str] = set()
        env = self.rig.spec.environment
        for dev in self.rig.devices.values():
            dv.add_power(self.net, dev, reference, env, outlets_done)
            for pname, port in dev.spec.ports.items():
                if (dev.name, pname) in plugged:  # no circuit for a port nothing plugs into
                    self._add_port(dev, pname, port)
            dv.add_links(self.net, dev)

    def _plugged_ports(self) -> set[tuple[str, str]]:
        """(device, port) of every port a connection or an internal link uses."""
        plugged: set[tuple[str, str]] = set()
        for conn in self.rig.spec.connections:
            if isinstance(conn, CableConnection):
                ends = conn.ends if isinstance(conn.ends, list) else list(conn.ends.values())
                refs = [end.port for end in ends]
            else:
                refs = [conn.into]
                pdev = self.rig.devices.get(conn.plug.partition(".")[0])
                if "." not in conn.plug and pdev is not None:
                    plugged.update((pdev.name, p) for p, s in pdev.spec.ports.items()
                                   if s.captive)
                else:
                    refs.append(conn.plug)
            plugged.update((ref.partition(".")[0], ref.partition(".")[2]) for ref in refs)
        for dev in self.rig.devices.values():
            for group in dev.spec.links:
                plugged.update((dev.name, ref.partition(".")[0]) for ref in group)
        return plugged

    def _add_port(self, dev: ResolvedDevice, pname: str, port: PortSpec) -> None:
        """The circuit of one port: an output stage, an input, a driver or bare contacts."""
        if port.direction == "out" and port.feeds is not None:
            dv.add_output(self.net, dev.name, pname, port)
        elif port.direction == "in" and port.senses is not None:
            dv.add_input(self.net, dev.name, pname, port)
        elif dev.spec.kind == "headphones" and port.captive:
            dv.add_headphones(self.net, dev, pname)
        else:
            dv.add_passive_port(self.net, dev.name, pname, port)

    # -------------------------------------------------------- connections
    def _port(self, ref: str, loc: Location, path: str) -> tuple[ResolvedDevice, str] | None:
        dname, _, pname = ref.partition(".")
        dev = self.rig.devices.get(dname)
        if dev is None:
            names = ", ".join(self.rig.devices)
            self.errors.append(error_at(f"no device named {dname!r} in this rig (devices: "
                                        f"{names})", loc, path=path,
                                        hint=f"add it under 'devices:' or fix the name in {ref!r}",
                                        code="unknown-device"))
            return None
        if pname not in dev.spec.ports:
            ports = ", ".join(dev.spec.ports)
            self.errors.append(error_at(f"{dev.label} has no port {pname!r} (its ports: {ports})",
                                        loc, path=path, hint=f"write '{dname}.<port>' with one "
                                        "of those ports", code="unknown-port"))
            return None
        return dev, pname

    def _use(self, dev: str, pname: str, index: int, loc: Location, path: str) -> bool:
        key = (dev, pname)
        if key in self.used:
            first = self.used[key]
            first_loc = self.rig.location("connections", first)
            self.errors.append(error_at(
                f"{dev}.{pname} is already used by connection {first + 1} (line "
                f"{first_loc.line}); a socket takes one plug", loc, path=path,
                hint="use a Y splitter or another port", code="port-used-twice"))
            return False
        self.used[key] = index
        return True

    def _pair(self, a: EndState, b: EndState) -> list[tuple[str, str]] | None:
        touching = mated_contacts(a.connector, a.gender, b.connector, b.gender)
        if touching is None:
            return None
        return [(a.nodes[x], b.nodes[y]) for x, y in touching
                if a.nodes.get(x) and b.nodes.get(y)]

    def _join(self, pairs: list[tuple[str, str]], tag: str) -> None:
        for k, (x, y) in enumerate(pairs):
            self.net.resistors.append(Resistor(f"{tag}.mate{k}", x, y, dv.CONTACT_R_OHM,
                                               conductive=True))

    def _cable_nodes(self, tag: str, spec: CableSpec, length_m: float) -> dict[str, EndState]:
        """Add a cable's conductors; return its ends with their contact nodes."""
        ends = {name: EndState(e.connector, e.gender, {}, f"{spec.id} end '{name}'")
                for name, e in spec.ends.items()}
        shield_hub = None
        hubs = []
        for j, cond in enumerate(spec.conductors):
            hub = f"{tag}.w{j}"
            per_m = spec.shield_r_ohm_per_m if cond.role == "shield" else spec.r_ohm_per_m
            r_leg = max(per_m * length_m / 2.0, 1e-4)
            for ref in cond.joins:
                end, _, contact = ref.partition(".")
                node = f"{tag}.{end}.{contact}"
                ends[end].nodes[contact] = node
                self.net.resistors.append(Resistor(f"{tag}.w{j}.{ref}", node, hub, r_leg,
                                                   conductive=True))
            if cond.role == "shield":
                shield_hub = hub
            elif cond.role == "signal":
                hubs.append(hub)
        if shield_hub is not None and spec.c_pf_per_m > 0:
            for hub in hubs:
                self.net.capacitors.append(Capacitor(f"{hub}.c", hub, shield_hub,
                                                        spec.c_pf_per_m * 1e-12 * length_m))
        return ends

    def _adapter_hint(self, end: EndState, target: EndState) -> str:
        via = adapter_path(self.rig.catalog.adapters(), end, target)
        return f"add 'via: {via[0]}'" if via else "use a cable or adapter with the right connector"

    def _chain(self, index: int, start: EndState, vias: list[str], target: str, loc: Location,
               path: str, tag: str) -> tuple[ResolvedDevice, str] | None:
        """Plug ``start`` through adapters into the port ``target``; add contacts to the net."""
        found = self._port(target, loc, path)
        if found is None:
            return None
        dev, pname = found
        port = dev.spec.ports[pname]
        cur = start
        for k, ad_id in enumerate(vias):
            ad = self.rig.catalog.cable(ad_id)
            if ad is None or ad.kind != "adapter":
                close = [c for c in self.rig.catalog.close_matches(ad_id)
                         if c.startswith("adapter/")]
                hint = f"did you mean {close[0]!r}?" if close else \
                    "see 'signalchain catalog list --kind adapter'"
                self.errors.append(error_at(f"unknown adapter {ad_id!r}", loc, path=path,
                                            hint=hint, code="unknown-id"))
                return None
            ad_tag = f"{tag}.a{k + 1}"
            ends = self._cable_nodes(ad_tag, ad, ad.default_length_m)
            names = list(ends)
            for first, second in ((names[0], names[1]), (names[1], names[0])):
                pairs = self._pair(cur, ends[first])
                if pairs:
                    self._join(pairs, ad_tag)
                    cur = ends[second]
                    break
            else:
                self.errors.append(error_at(
                    f"{cur.label} ({SIZE[cur.connector]} {cur.gender}) does not fit adapter "
                    f"{ad_id}", loc, path=path, hint="check the order of 'via:' (from the cable "
                    "outwards)", code="plug-does-not-fit"))
                return None
        jack = EndState(port.connector, port.gender,
                        {c: dv.contact_node(dev.name, pname, c) for c in
                         CONTACTS[port.connector]}, f"{dev.name}.{pname}")
        pairs = self._pair(cur, jack)
        if pairs is None:
            what = f"{SIZE[cur.connector]} {cur.gender}"
            there = f"{SIZE[port.connector]} {port.gender}"
            self.errors.append(error_at(
                f"{cur.label} ({what}, {cur.connector}) does not fit {dev.name}.{pname} "
                f"({there}, {port.connector})", loc, path=path,
                hint=self._adapter_hint(cur, jack), code="plug-does-not-fit"))
            return None
        self._join(pairs, f"c{index + 1}.{dev.name}.{pname}")
        return dev, pname

    def add_connections(self) -> None:
        for index, conn in enumerate(self.rig.spec.connections):
            loc = self.rig.location("connections", index)
            path = f"connections.{index}"
            if isinstance(conn, CableConnection):
                self._cable(index, conn, loc, path)
            else:
                self._plug(index, conn, loc, path)

    def _cable_spec(self, index: int, conn: CableConnection, path: str) -> CableSpec | None:
        spec = self.rig.catalog.cable(conn.cable)
        if spec is None:
            close = self.rig.catalog.close_matches(conn.cable, kinds=(CableSpec,))
            hint = (f"did you mean {' or '.join(repr(c) for c in close)}?" if close
                    else "see 'signalchain catalog list --kind cable'")
            self.errors.append(error_at(f"unknown cable {conn.cable!r}",
                                        self.rig.doc.value_location(("connections", index,
                                                                     "cable")),
                                        path=path + ".cable", hint=hint, code="unknown-id"))
        return spec

    def _cable_ends(self, conn: CableConnection, spec: CableSpec, loc: Location, path: str
                    ) -> dict[str, EndRef] | None:
        """The cable's ends as plugged (end name → port), or None after an error."""
        names = list(spec.ends)
        if isinstance(conn.ends, list):
            if len(conn.ends) == len(names):
                return dict(zip(names, conn.ends, strict=True))
            self.errors.append(error_at(
                f"{conn.cable} has {len(names)} ends ({', '.join(names)}) but "
                f"{len(conn.ends)} are given", loc, path=path + ".ends",
                hint=f"list {len(names)} ports, or name the ends: "
                f"ends: {{{', '.join(n + ': dev.port' for n in names)}}}", code="cable-ends"))
            return None
        unknown = [k for k in conn.ends if k not in spec.ends]
        if unknown:
            self.errors.append(error_at(
                f"{conn.cable} has no end {unknown[0]!r} (its ends: {', '.join(names)})", loc,
                path=path + ".ends", code="cable-ends"))
            return None
        for missing in (n for n in names if n not in conn.ends):
            self.warnings.append(warning_at(f"end {missing!r} of {conn.cable} is not "
                                            "plugged in", loc, path=path, code="loose-end"))
        return dict(conn.ends)

    def _cable(self, index: int, conn: CableConnection, loc: Location, path: str) -> None:
        spec = self._cable_spec(index, conn, path)
        plugged = None if spec is None else self._cable_ends(conn, spec, loc, path)
        if spec is None or plugged is None:
            return
        length = spec.default_length_m if (spec.fixed_length or conn.length is None) \
            else conn.length
        tag = f"c{index + 1}"
        ends = self._cable_nodes(tag, spec, length)
        ports: list[tuple[ResolvedDevice, str]] = []
        for end_name, ref in plugged.items():
            epath = f"{path}.ends.{end_name}"
            found = self._chain(index, ends[end_name], ref.via, ref.port, loc, epath,
                                f"{tag}.{end_name}")
            if found and self._use(found[0].name, found[1], index, loc, epath):
                ports.append(found)
        self._check_directions(ports, loc, path, conn.cable)
        self.links.append(f"{conn.cable} ({length:.1f} m): " + " ↔ ".join(
            f"{d.name}.{p}" for d, p in ports))

    def _check_directions(self, ports: list[tuple[ResolvedDevice, str]], loc: Location,
                          path: str, what: str) -> None:
        outs = [f"{d.name}.{p}" for d, p in ports if d.spec.ports[p].direction == "out"]
        ins = [f"{d.name}.{p}" for d, p in ports if d.spec.ports[p].direction == "in"]
        for i, (d, p) in enumerate(ports):
            for d2, p2 in ports[i + 1:]:
                self.peers.setdefault((d.name, p), []).append((d2.name, p2))
                self.peers.setdefault((d2.name, p2), []).append((d.name, p))
        if ins and not outs and len(ports) > 1:
            self.errors.append(error_at(
                f"{what} wires input to input ({' and '.join(ins)}); nothing drives it", loc,
                path=path, hint="connect an output (line out or headphone out) to one end",
                code="input-to-input"))

    def _plug_port(self, conn: PlugConnection, loc: Location, path: str
                   ) -> tuple[ResolvedDevice, str] | None:
        """The device and captive plug that ``plug:`` names, or None after an error."""
        dname, _, pname = conn.plug.partition(".")
        dev = self.rig.devices.get(dname)
        if dev is None:
            self.errors.append(error_at(
                f"no device named {dname!r} in this rig (devices: {', '.join(self.rig.devices)})",
                loc, path=path + ".plug", code="unknown-device"))
            return None
        captive = [p for p, s in dev.spec.ports.items() if s.captive]
        if pname and pname not in captive:
            self.errors.append(error_at(f"{dev.label} has no captive plug {pname!r} "
                                        f"(plugs: {', '.join(captive) or 'none'})", loc,
                                        path=path + ".plug", code="unknown-port"))
            return None
        if not pname and len(captive) != 1:
            hint = ("use 'cable:' with 'ends:' for a device with sockets" if not captive
                    else f"write '{dname}.<plug>' with one of {', '.join(captive)}")
            self.errors.append(error_at(
                f"{dev.label} has {'no' if not captive else 'several'} captive plug(s); "
                "'plug:' needs exactly one", loc, path=path + ".plug", hint=hint,
                code="no-captive-plug"))
            return None
        return dev, pname or captive[0]

    def _plug(self, index: int, conn: PlugConnection, loc: Location, path: str) -> None:
        found_plug = self._plug_port(conn, loc, path)
        if found_plug is None:
            return
        dev, pname = found_plug
        dname = dev.name
        port = dev.spec.ports[pname]
        start = EndState(port.connector, port.gender,
                         {c: dv.contact_node(dname, pname, c) for c in CONTACTS[port.connector]},
                         f"{dname}'s plug")
        if not self._use(dname, pname, index, loc, path + ".plug"):
            return
        found = self._chain(index, start, conn.via, conn.into, loc, path + ".into",
                            f"c{index + 1}")
        if found is None:
            return
        tdev, tport = found
        if not self._use(tdev.name, tport, index, loc, path + ".into"):
            return
        if tdev.spec.ports[tport].direction == "in":
            self.errors.append(error_at(
                f"{dname}'s plug goes into {conn.into}, which is an input", loc,
                path=path + ".into", hint="plug headphones into an output", code="into-input"))
            return
        self.peers.setdefault((dname, pname), []).append((tdev.name, tport))
        self.peers.setdefault((tdev.name, tport), []).append((dname, pname))
        via = f" via {', '.join(conn.via)}" if conn.via else ""
        self.links.append(f"{dname} plugs into {conn.into}{via}")

    # --------------------------------------------------------------- checks
    def check_driven_contacts(self) -> None:
        """Driven output contacts wired to another output (their signals would fight).

        A contact is driven when a stage's source sits behind it; what it is wired to comes
        from the netlist's conductors and mated contacts, so a summing Y and a breakout cable
        are found the same way. A driven contact wired to ground is not judged here: that is
        a load, found on the solved circuit (:func:`signalchain.evaluate.shorted_outputs`).
        """
        sources = {n for d in self.net.drives for n in (d.pos, d.neg)}
        driven: dict[str, str] = {}
        for r in self.net.resistors:
            if r.a in sources and r.b in self.net.contact_roles:
                dev, port, _role = self.net.contact_roles[r.b]
                driven[r.b] = f"{dev}.{port}"
        grounds = {n for n, (_d, _p, role) in self.net.contact_roles.items() if role == "ground"}
        reported: set[frozenset[str]] = set()
        groups = self.net.conductive_groups()
        for node, owner in driven.items():
            group = groups.get(node, frozenset((node,)))
            if group & grounds:
                continue
            others = {driven[n] for n in group if n in driven and driven[n] != owner}
            for other in others:
                pair = frozenset((owner, other))
                if pair in reported:
                    continue
                reported.add(pair)
                dev, port = other.split(".")
                index = self.used.get((dev, port), 0)
                self.errors.append(error_at(
                    f"outputs {owner} and {other} are wired together (their signals would "
                    "fight)", self.rig.location("connections", index),
                    path=f"connections.{index}", hint="one end must go into an input; to feed "
                    "one amp from two outputs use a stereo breakout (left/right) cable",
                    code="output-to-output"))

    def check_feedback_loops(self, flow: dict[FlowNode, set[FlowNode]]) -> None:
        """An active stage whose output reaches its own input, directly or through others.

        Such a rig has no stable operating point (it howls or latches), so no figure of it
        means anything: an error, naming the loop (``amp.out1 → amp.input → amp.out1``).
        """
        for cycle in find_loops(flow):
            names = [name for name, _kind in cycle]
            text = " → ".join(names)
            inputs = [name for name, kind in cycle if kind != "out"]
            dev, _, port = inputs[0].partition(".")
            index = self.used.get((dev, port), 0)
            self.errors.append(error_at(
                f"feedback loop through active stages: {text} (the signal would feed itself "
                "and howl or latch up)", self.rig.location("connections", index),
                path=f"connections.{index}", hint=f"unplug the cable into {inputs[0]}: no "
                "output may feed an input that leads back to it", code="feedback-loop"))

    def check_hosts_and_listeners(self) -> list[str]:
        """Every interface has a computer playing into it, every listener is plugged in."""
        listeners = []
        for dev in self.rig.devices.values():
            if dev.spec.kind == "interface":
                self._check_host_link(dev)
            if dev.spec.kind == "headphones":
                listeners.append(dev.name)
                self._check_plugged_in(dev)
        return listeners

    def _check_host_link(self, dev: ResolvedDevice) -> None:
        hosts = [p for p, s in dev.spec.ports.items() if s.signal == "host"]
        linked = any(self.rig.devices[d].spec.kind == "computer"
                     for p in hosts for d, _ in self.peers.get((dev.name, p), []))
        if linked:
            self.host_linked.add(dev.name)
        if not hosts or linked:
            return
        computers = [d.name for d in self.rig.devices.values() if d.spec.kind == "computer"]
        comp = computers[0] if computers else "laptop"
        extra = "" if computers else " (and add 'laptop: generic/laptop' to devices)"
        self.errors.append(error_at(
            f"{dev.label} has no USB link to a computer, so nothing plays into it",
            dev.location, path=f"devices.{dev.name}",
            hint=f"add '- cable: usb' with 'ends: [{comp}.usb, {dev.name}.{hosts[0]}]'{extra}",
            code="no-host-link"))

    def _check_plugged_in(self, dev: ResolvedDevice) -> None:
        plugs = [p for p, s in dev.spec.ports.items() if s.captive]
        if not any((dev.name, p) in self.used for p in plugs):
            self.errors.append(error_at(
                f"listener {dev.name} ({dev.model or 'inline'}) is not plugged into anything",
                dev.location, path=f"devices.{dev.name}",
                hint=f"add '- plug: {dev.name}' with 'into: <amp>.<output>'",
                code="listener-unconnected"))

    def feeds_and_sharing(self, listeners: list[str]) -> dict[str, str | None]:
        feeds: dict[str, str | None] = {}
        per_output: dict[str, list[str]] = {}
        stages = set(self.net.stages())
        drives_by_contact = {node: f"{dev}.{port}" for node, (dev, port, _r)
                             in self.net.contact_roles.items() if f"{dev}.{port}" in stages}
        groups = self.net.conductive_groups()
        for name in listeners:
            dev = self.rig.devices[name]
            plug = next((p for p, s in dev.spec.ports.items() if s.captive), None)
            feed = None
            if plug is not None:
                tip = dv.contact_node(name, plug, ROLES[dev.spec.ports[plug].connector]["hot"])
                for node in sorted(groups.get(tip, frozenset((tip,)))):
                    if node in drives_by_contact:
                        feed = drives_by_contact[node]
                        break
            feeds[name] = feed
            if feed:
                per_output.setdefault(feed, []).append(name)
        for stage, names in per_output.items():
            if len(names) > 1:
                dev = self.rig.devices[stage.split(".")[0]]
                self.warnings.append(warning_at(
                    f"{len(names)} pairs of headphones ({', '.join(names)}) share {stage} "
                    "through a passive splitter: one volume for all, and the load is their "
                    "parallel impedance", dev.location, path=f"devices.{dev.name}",
                    hint="use one amp output per listener", code="passive-split"))
        return feeds


def build(rig: ResolvedRig) -> BuiltRig:
    """Wire a resolved rig into a netlist, or raise :class:`RigTopologyError`."""
    b = _Builder(rig)
    b.add_devices()
    b.add_connections()
    listeners = b.check_hosts_and_listeners()
    if not b.errors:
        b.check_driven_contacts()
    flow: dict[tuple[str, str], set[tuple[str, str]]] = {}
    if not b.errors:
        flow = signal_flow(b.net, rig)
        b.check_feedback_loops(flow)
    if b.errors:
        raise RigTopologyError(b.errors + b.warnings)
    feeds = b.feeds_and_sharing(listeners)
    stage_flow: dict[str, list[str]] = {}
    for (node, kind), nxt in flow.items():
        if kind == "out":
            stage_flow[node] = sorted({o for inp in nxt for o, _k in flow.get(inp, ())})
    return BuiltRig(rig, b.net, b.warnings, listeners, feeds, b.links, b.host_linked, stage_flow,
                    dict(b.used))

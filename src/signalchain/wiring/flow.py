"""The signal flow of a wired rig: which outputs drive which inputs, and loops in it."""

from __future__ import annotations

from signalchain.wiring.netlist import Netlist
from signalchain.wiring.resolve import ResolvedRig

FlowNode = tuple[str, str]
"""A node of the signal-flow graph: ``("dev.port", "out")`` for an active output, or
``("dev.port", channel)`` for what an input senses of one of its device's internal channels."""


def signal_flow(net: Netlist, rig: ResolvedRig) -> dict[FlowNode, set[FlowNode]]:
    """Which active outputs drive which inputs, and which outputs each input then feeds.

    Derived from the netlist, not from port names: an output reaches an input when one of its
    driven contacts (a source behind ``z_out``) is conductively joined (wires, mated contacts,
    passive links) to a contact the input senses. A driven contact joined to a ground contact
    is shorted and carries nothing on, and a ground contact is never a signal path, so
    coupling through shared ground returns is not flow. Inside a device, an input's channel
    feeds every output that carries the same internal channel (as
    :func:`signalchain.graph.compile.compile_rig` maps them).
    """
    sources = {n for d in net.drives for n in (d.pos, d.neg)}
    grounds = {n for n, (_d, _p, role) in net.contact_roles.items()
               if role in ("ground", "shield")}
    stages = set(net.stages())
    groups = net.conductive_groups()
    flow: dict[FlowNode, set[FlowNode]] = {}
    for r in net.resistors:
        if r.a not in sources or r.b not in net.contact_roles:
            continue
        dev, port, _role = net.contact_roles[r.b]
        targets = flow.setdefault((f"{dev}.{port}", "out"), set())
        group = groups.get(r.b, frozenset((r.b,)))
        if not group & grounds:  # a shorted leg drives nothing
            targets.update(_sensed(net, rig, group))
    for inputs in list(flow.values()):
        for name, channel in inputs:
            dname = name.partition(".")[0]
            owner = rig.devices[dname]
            flow[(name, channel)] = {
                (f"{dname}.{p}", "out") for p, spec in owner.spec.ports.items()
                if f"{dname}.{p}" in stages and channel in spec.channel_roles("feeds").values()}
    return flow


def _sensed(net: Netlist, rig: ResolvedRig, group: frozenset[str]) -> set[FlowNode]:
    """(input, channel) of every input contact in a conductive group."""
    found: set[FlowNode] = set()
    for node in group:
        if node not in net.contact_roles:
            continue
        idev, iport, role = net.contact_roles[node]
        spec = rig.devices[idev].spec.ports[iport]
        if spec.direction != "in" or spec.senses is None:
            continue
        roles = spec.channel_roles("senses")
        channel = roles.get(role, roles.get("hot"))  # a balanced input's cold leg: hot
        if channel is not None:
            found.add((f"{idev}.{iport}", channel))
    return found


def find_loops(flow: dict[FlowNode, set[FlowNode]]) -> list[list[FlowNode]]:
    """Loops in the signal flow: at least one per loop, each once per set of ports.

    Each is a closed path that starts and ends at an output.
    """
    loops: list[list[FlowNode]] = []
    seen_sets: set[frozenset[str]] = set()
    state: dict[FlowNode, int] = {}  # 1 on the stack, 2 done

    def visit(start: FlowNode) -> None:
        stack: list[tuple[FlowNode, list[FlowNode]]] = [(start, sorted(flow.get(start, ())))]
        path = [start]
        state[start] = 1
        while stack:
            node, todo = stack[-1]
            if not todo:
                stack.pop()
                path.pop()
                state[node] = 2
                continue
            nxt = todo.pop(0)
            if state.get(nxt) == 1:
                cycle = path[path.index(nxt):]
                first = min(i for i, (_n, kind) in enumerate(cycle) if kind == "out")
                cycle = cycle[first:] + cycle[:first]
                key = frozenset(name for name, _kind in cycle)
                if key not in seen_sets:
                    seen_sets.add(key)
                    loops.append([*cycle, cycle[0]])
            elif nxt not in state:
                state[nxt] = 1
                path.append(nxt)
                stack.append((nxt, sorted(flow.get(nxt, ()))))

    for node in sorted(flow):
        if node not in state:
            visit(node)
    return loops

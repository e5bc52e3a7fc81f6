"""The signal-flow diagram: devices, ports, cables by ID, adapters, and L and R to each ear.

Devices are drawn with their ports, cables with their IDs, adapters where they are, and the
program's left and right channels coloured along the way to each ear.

Drawn with Graphviz (the ``graphviz`` package and the ``dot`` program). What each cable
carries comes from the solved circuit (:func:`signalchain.graph.carried.channels_at_ports`)
and what each ear hears from the simulation, so a TS plug that grounds a ring, a breakout
cable or a one-ear method look like what they do. Problems found by the simulation are
marked on the cable or cord they are about: a shorted output, one-ear listening, ears in
antiphase.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from signalchain.errors import Diagnostic, RigError, UsageError
from signalchain.extras import require, require_program
from signalchain.wiring.connectors import CONTACTS
from signalchain.wiring.topology import signal_sides

if TYPE_CHECKING:
    from signalchain.results import Evaluation, ListenerFigures
    from signalchain.rig import CableInfo, DeviceInfo, Rig

CHANNEL_COLOURS = {"L": "#1f6fd1", "R": "#d1331f"}
"""The program's channels, as in the two-ear picture."""
NEUTRAL = "#6b7380"
PROBLEM = "#b00020"
DIGITAL = "#404854"
NOTE = "#a15c00"
"""Notes that are no fault: a ring tied to the sleeve by a TS plug (an unbalanced leg)."""
KIND_ORDER = ("computer", "interface", "amp", "splitter", "headphones")
KIND_FILL = {"computer": "#eef1f5", "interface": "#e7f0fb", "amp": "#eef7ec",
             "splitter": "#f5f0e6", "headphones": "#fbf0ea"}
FORMATS = ("svg", "png", "pdf")
FONT = "DejaVu Sans"


def _h(text: object) -> str:
    """Text for a Graphviz HTML-like label."""
    return escape(str(text), quote=True)


def _colour(channels: Iterable[str]) -> str:
    """One colour per channel: Graphviz draws ``a:b`` as parallel lines."""
    found = [CHANNEL_COLOURS.get(c, NEUTRAL) for c in sorted(channels)]
    return ":".join(found) if found else NEUTRAL


def _device_label(dev: DeviceInfo, hears: str = "") -> str:
    ports = [p for p in dev.ports if p.plugged]
    name = "" if dev.name == dev.id else f'<br/><font point-size="8">{_h(dev.name)}</font>'
    rows = [f'<tr><td colspan="1" bgcolor="{KIND_FILL.get(dev.kind, "#f2f2f2")}">'
            f'<b>{_h(dev.id)}</b>{name}<br/><font point-size="7" color="#5b6470">'
            f'{_h(dev.model or "your own")} · {_h(dev.kind)}</font></td></tr>']
    for p in ports:
        rows.append(f'<tr><td port="{_h(p.ref.port)}" align="left"><font point-size="10">'
                    f'{_h(p.label)}</font> <font point-size="8" color="#5b6470">'
                    f'{_h(p.connector)} {_h(p.gender)}</font></td></tr>')
    if hears:
        rows.append(f'<tr><td align="left"><font point-size="9">{_h(hears)}</font></td></tr>')
    knobs = ", ".join(f"{k} {v:.0%}" for k, v in sorted(dev.knobs.items()))
    if knobs:
        rows.append(f'<tr><td align="left"><font point-size="8" color="#5b6470">knobs: '
                    f'{_h(knobs)}</font></td></tr>')
    return ('<<table border="0" cellborder="1" cellspacing="0" cellpadding="4">'
            + "".join(rows) + "</table>>")


def _ears_text(lf: ListenerFigures) -> str:
    def side(s: str) -> str:
        heard = [c.channel for c in lf.program_at(s)]
        return "+".join(heard) if heard else "—"

    return f"left ear {side('left')} · right ear {side('right')}"


def _problems(ev: Evaluation) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """Marks per shorted stage (``device.port``) and per listener, from the findings."""
    legs = {"right": "R", "left": "L", "cold": "cold leg", "hot": "hot leg"}
    stages: dict[str, list[str]] = {}
    listeners: dict[str, list[str]] = {}
    for f in ev.findings:
        if f.code == "shorted-output":
            role = str(f.data.get("role", ""))
            mark = f"⚠ {legs.get(role, role)} shorted"
            if mark not in stages.get(f.subject, []):  # each listener fed reports it
                stages.setdefault(f.subject, []).append(mark)
        elif f.code in ("one-ear", "antiphase", "missing-channel"):
            text = {"one-ear": "⚠ one ear only", "antiphase": "⚠ ears in antiphase",
                    "missing-channel": f"⚠ no {f.data.get('channel', '')}"}[f.code]
            if text not in listeners.get(f.subject, []):
                listeners.setdefault(f.subject, []).append(text)
    return stages, listeners


def grounded_rings(rig: Rig) -> set[str]:
    """Ports (``device.port``) whose ring is joined to their sleeve by what is plugged in.

    A mono TS plug in a stereo or balanced jack does it; read off the netlist.
    """
    from signalchain.wiring.devices import contact_node

    net = rig.built.netlist
    groups = net.conductive_groups()
    found = set()
    for dev in rig.topology().devices:
        for p in dev.ports:
            if not p.plugged or "ring" not in CONTACTS.get(p.connector, ()):
                continue
            ring = contact_node(dev.id, p.ref.port, "ring")
            if contact_node(dev.id, p.ref.port, "sleeve") in groups.get(ring, frozenset()):
                found.add(str(p.ref))
    return found


class _Drawing:
    """Builds the Graphviz graph of one rig."""

    def __init__(self, rig: Rig, ev: Evaluation, id_prefix: str):
        from signalchain.graph.carried import channels_at_ports

        graphviz = require("graphviz")
        self.rig, self.ev, self.p = rig, ev, id_prefix
        self.topo = rig.topology()
        self.ports = {str(p.ref): p for d in self.topo.devices for p in d.ports}
        self.carried = channels_at_ports(rig.graph, dict(ev.knobs))
        self.shorted, self.marks = _problems(ev)
        self.rings = grounded_rings(rig)
        self.dot: Any = graphviz.Digraph(
            name=f"{id_prefix}rig", engine="dot",
            graph_attr={"rankdir": "TB", "fontname": FONT, "nodesep": "0.25",
                        "ranksep": "0.45", "bgcolor": "transparent", "id": f"{id_prefix}graph",
                        "pad": "0.2"},
            node_attr={"fontname": FONT, "shape": "plain", "fontsize": "11"},
            edge_attr={"fontname": FONT, "fontsize": "9", "arrowsize": "0.6",
                       "penwidth": "2"})

    def node_id(self, port: str) -> str:
        dev, _, name = port.partition(".")
        return f"{dev}:{name}"

    def devices(self) -> None:
        for kind in KIND_ORDER + ("",):
            group = [d for d in self.topo.devices
                     if d.kind == kind or (not kind and d.kind not in KIND_ORDER)]
            if not group:
                continue
            with self.dot.subgraph(name=f"{self.p}rank_{kind or 'other'}") as sub:
                sub.attr(rank="same")
                for dev in group:
                    lf = next((x for x in self.ev.listeners if x.id == dev.id), None)
                    hears = _ears_text(lf) if lf is not None else ""
                    sub.node(dev.id, _device_label(dev, hears), id=f"{self.p}dev-{dev.id}",
                             tooltip=dev.name)

    def _channels(self, ports: Iterable[str]) -> frozenset[str]:
        found: set[str] = set()
        for p in ports:
            found |= self.carried.get(p, frozenset())
        return frozenset(found)

    def _ordered(self, cable: CableInfo) -> tuple[list[str], list[str]]:
        """The cable's ends the signal comes from (outputs) and goes to."""
        return signal_sides([str(p) for p in cable.ports],
                            lambda e: self.ports[e].direction == "out")

    def _label(self, cable: CableInfo, extra: list[str], colour: str = PROBLEM) -> str:
        parts = [f"<b>{_h(cable.cable_id)}</b>"]
        if cable.item is not None:
            length = f" {cable.length_m:g} m" if cable.length_m is not None else ""
            parts.append(f"{_h(cable.item)}{_h(length)}")
        parts += [f'<font color="{colour}">{_h(x)}</font>' for x in extra]
        return "<" + "<br/>".join(parts) + ">"

    def _edge(self, a: str, b: str, cable_id: str, part: str, **attrs: str) -> None:
        self.dot.edge(a, b, id=f"{self.p}{cable_id}-{part}", **attrs)

    def cable(self, cable: CableInfo) -> None:
        src, dst = self._ordered(cable)
        cid = cable.cable_id
        if cable.item is None:  # a device's own cord plugged into a socket
            self.cord(cable)
            return
        problems = [m for s in src for m in self.shorted.get(s, [])]
        style = {"style": "dashed", "color": PROBLEM} if problems else {}
        notes = [f"ring to sleeve at {p}" for p in (*src, *dst) if p in self.rings]
        digital = all(self.ports[p].signal == "host" for p in (*src, *dst))
        if digital:
            self._edge(self.node_id(src[0]), self.node_id(dst[0]), cid, "a",
                       label=self._label(cable, []), color=DIGITAL, penwidth="1.2",
                       style="dashed", arrowhead="none", tooltip=f"{cid} USB")
            return
        if len(src) == 1 and len(dst) == 1:
            self._edge(self.node_id(src[0]), self.node_id(dst[0]), cid, "a",
                       label=self._label(cable, problems or notes,
                                         PROBLEM if problems else NOTE),
                       color=style.get("color", _colour(self._channels(src))),
                       style=style.get("style", "solid"), tooltip=cid)
            return
        join = f"{cid}-join"  # a breakout (Y) cable: its legs meet in the moulding
        self.dot.node(join, "", shape="point", width="0.08", id=f"{self.p}{join}")
        for i, s in enumerate(src):
            self._edge(self.node_id(s), join, cid, f"leg{i}", arrowhead="none",
                       color=_colour(self._channels([s])), tooltip=cid)
        for i, d in enumerate(dst):
            self._edge(join, self.node_id(d), cid, f"out{i}",
                       label=self._label(cable, problems or notes,
                                         PROBLEM if problems else NOTE),
                       color=style.get("color", _colour(self._channels(src))),
                       style=style.get("style", "solid"), tooltip=cid)

    def cord(self, cable: CableInfo) -> None:
        """A listener's (or splitter's) cord: from the socket to the device, via adapters."""
        plug, socket = (str(p) for p in cable.ports)  # Rig.topology: the plug first
        who = plug.partition(".")[0]
        lf = next((x for x in self.ev.listeners if x.id == who), None)
        if lf is not None:
            heard = {c.channel for s in ("left", "right") for c in lf.program_at(s)}
        else:
            heard = set(self.carried.get(socket, frozenset()))
        marks = self.marks.get(who, [])
        colour = PROBLEM if marks else _colour(heard)
        style = "dashed" if marks else "solid"
        hops = [self.node_id(socket)]
        for i, adapter in enumerate(cable.adapters):
            node = f"{cable.cable_id}-adapter{i}"
            self.dot.node(node, f"<<font point-size='8'>{_h(adapter)}</font>>", shape="box",
                          style="rounded,filled", fillcolor="#f4f4f4", color="#9aa1ab",
                          margin="0.05,0.02", id=f"{self.p}{node}", height="0.2")
            hops.append(node)
        hops.append(self.node_id(plug))
        for i, (a, b) in enumerate(zip(hops, hops[1:], strict=False)):
            last = i == len(hops) - 2
            label = self._label(cable, marks) if i == 0 else ""
            self._edge(a, b, cable.cable_id, f"hop{i}", label=label, color=colour,
                       style=style, arrowhead="normal" if last else "none",
                       tooltip=cable.cable_id)

    def legend(self) -> None:
        rows = [((CHANNEL_COLOURS["L"],), "left channel (L)"),
                ((CHANNEL_COLOURS["R"],), "right channel (R)"),
                ((CHANNEL_COLOURS["L"], CHANNEL_COLOURS["R"]), "both, side by side"),
                ((DIGITAL,), "USB (digital, dashed)"), ((PROBLEM,), "a problem (dashed)")]
        cells = "".join(
            '<tr><td>' + "".join(f'<font color="{c}">━━</font>' for c in colours)
            + f'</td><td align="left"><font point-size="9">{_h(t)}</font></td></tr>'
            for colours, t in rows)
        with self.dot.subgraph(name=f"cluster_{self.p}legend") as sub:
            sub.attr(label="", color="#d8dde3", id=f"{self.p}legend")
            sub.node(f"{self.p}legend", f'<<table border="0" cellspacing="0">{cells}</table>>',
                     id=f"{self.p}legend-key")

    def build(self, legend: bool) -> Any:
        self.devices()
        for cable in self.topo.cables:
            self.cable(cable)
        if legend:
            self.legend()
        return self.dot


def diagram_graph(rig: Rig, evaluation: Evaluation | None = None, *, id_prefix: str = "d",
                  legend: bool = True) -> Any:
    """The rig as a ``graphviz.Digraph`` (see the module's description).

    Parameters
    ----------
    rig : Rig
        A rig that plugs together.
    evaluation : Evaluation, optional
        Its simulation (made here if not given).
    id_prefix : str
        Prefix of every element id, so that several diagrams can share one page.
    legend : bool
        Draw the colour key.
    """
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_-]{0,30}", id_prefix):
        raise ValueError(f"id_prefix {id_prefix!r}: a letter, then letters, digits, - or _")
    ev = evaluation if evaluation is not None else rig.simulate()
    return _Drawing(rig, ev, id_prefix).build(legend)


def _clean_svg(svg: str) -> str:
    """Graphviz's SVG as an element to inline: no prolog, DOCTYPE or generator comments."""
    svg = re.sub(r"<\?xml[^>]*\?>\s*", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>\s*", "", svg)
    svg = re.sub(r"<!--.*?-->\s*", "", svg, flags=re.S)
    return svg.strip() + "\n"


DOT_TIME_LIMIT_S = 30.0
"""How long ``dot`` may lay a diagram out (the largest rig the limits allow takes ~1 s)."""


def _run_dot(source: str, fmt: str) -> bytes:
    """Lay ``source`` out with ``dot`` as ``fmt``, stopped after :data:`DOT_TIME_LIMIT_S`."""
    import subprocess

    program = require_program("dot", "graphviz")
    try:
        done = subprocess.run([program, f"-T{fmt}"], input=source.encode("utf-8"),
                              capture_output=True, timeout=DOT_TIME_LIMIT_S, check=False)
    except subprocess.TimeoutExpired:
        raise RigError([Diagnostic(
            "error", f"Graphviz took longer than {DOT_TIME_LIMIT_S:g} s to draw the diagram "
            "and was stopped", hint="draw a smaller rig", code="diagram-failed")]) from None
    if done.returncode != 0:
        reason = done.stderr.decode("utf-8", "replace").strip()[:300] or f"exit {done.returncode}"
        raise RigError([Diagnostic("error", f"Graphviz could not draw the diagram: {reason}",
                                   code="diagram-failed")])
    return done.stdout


def diagram_svg(rig: Rig, evaluation: Evaluation | None = None, *, id_prefix: str = "d",
                legend: bool = True) -> str:
    """The diagram as SVG text to inline in a page (deterministic: same rig, same text)."""
    dot = diagram_graph(rig, evaluation, id_prefix=id_prefix, legend=legend)
    return _clean_svg(_run_dot(dot.source, "svg").decode("utf-8"))


def write_diagram(rig: Rig, path: Path, *, force: bool = False) -> None:
    """Write the diagram as SVG, PNG or PDF (by the file's suffix), atomically.

    Raises
    ------
    UsageError
        For another suffix.
    OutputExistsError
        If ``path`` exists and ``force`` is False.
    """
    from signalchain.io import check_output_file, write_bytes_atomic

    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise UsageError([Diagnostic("error", f"--out {str(path)!r}: write .svg, .png or .pdf",
                                     code="bad-option")])
    check_output_file(path, force=force)
    if fmt == "svg":
        data = diagram_svg(rig).encode("utf-8")
    else:
        data = _run_dot(diagram_graph(rig).source, fmt)
    write_bytes_atomic(path, data, force=force)

"""Export a rig's passive network as a SPICE netlist that ngspice runs unmodified.

Drive sources become AC voltage sources carrying the drive values the active
stages produce for the chosen excitation (a program channel at the
reference level), so the netlist reproduces what signalchain computes; the
``.control`` block prints the voltage across each of a listener's drivers.

Nothing from the rig reaches the output as written: node names keep only ASCII letters,
digits and ``_`` (:func:`spice_node_names`), and every free text -- the title, the
element names in ``;`` comments, the probe labels ``echo`` prints -- goes through
:func:`spice_text`, so no line can be anything but the element and control lines
written here (a name holding a newline and ``.control`` would otherwise make
``ngspice -b`` run shell commands).
"""

from __future__ import annotations

import cmath
import math
import re
import unicodedata

import numpy as np

from signalchain.circuit.system import GMIN_S, transducer_z
from signalchain.wiring.netlist import EARTH, Netlist

_UNSAFE_TEXT = re.compile(r"[^A-Za-z0-9 _.,:/+-]")
_UNSAFE_LABEL = re.compile(r"[^A-Za-z0-9_.:-]")
TEXT_MAX_CHARS = 200
"""Longest free text (title, comment) written; longer text is cut."""


def spice_text(text: str, *, label: bool = False) -> str:
    """Make free text safe to write into a SPICE netlist, on one line.

    Accented letters lose their accents; then every character but ASCII letters, digits,
    space and ``_.,:/+-`` (for ``label=True``: letters, digits and ``_.:-``, no space)
    becomes ``_``, and the result is cut to :data:`TEXT_MAX_CHARS`. So no newline,
    carriage return or other control character, no ``;``, ``$``, backquote, quote,
    brace, ``*`` or ``=`` and nothing outside ASCII survives: the text can start no new
    line and, inside ``.control``, run or expand nothing.

    Parameters
    ----------
    text : str
        Anything (a rig name, an element name).
    label : bool
        Stricter, for words ``echo`` prints in the ``.control`` block. The default is False.
    """
    plain = "".join(c for c in unicodedata.normalize("NFKD", text)
                    if not unicodedata.combining(c))
    pattern = _UNSAFE_LABEL if label else _UNSAFE_TEXT
    return pattern.sub("_", plain)[:TEXT_MAX_CHARS]


_RESERVED_NODES = {"0", "gnd"}
"""Names ngspice takes for its ground node (it ignores case)."""


def spice_node_names(net: Netlist) -> dict[str, str]:
    """Map node names to SPICE-safe names (``earth`` -> ``0``).

    Only ASCII letters, digits and ``_`` are kept; names are unique ignoring case (ngspice
    does) and never ngspice's ground names ``0`` or ``gnd``.
    """
    names = {EARTH: "0"}
    used = set(_RESERVED_NODES)
    for node in net.nodes():
        if node == EARTH:
            continue
        base = re.sub(r"[^A-Za-z0-9_]", "_", node) or "_"
        name, k = base, 1
        while name.lower() in used:
            k += 1
            name = f"{base}_{k}"
        used.add(name.lower())
        names[node] = name
    return names


def _num(x: float) -> str:
    return f"{x:.12g}"


def to_spice(net: Netlist, freq_hz: float, drive_values: dict[str, complex],
             ground_values: dict[str, complex] | None = None,
             probes: list[tuple[str, str, str]] | None = None, title: str = "signalchain") -> str:
    """Write the netlist as SPICE text for one AC frequency.

    Parameters
    ----------
    net : Netlist
    freq_hz : float
        Frequency of the ``.ac`` analysis (headphone impedance curves are evaluated here).
    drive_values : dict
        Drive column (``stage:role``) -> complex source value (V). Missing columns are 0.
    ground_values : dict, optional
        Ground source name -> complex value (V or A). Missing sources are 0.
    probes : list of (label, node_plus, node_minus)
        Differential voltages to print.
    title : str
        First line of the netlist.
    """
    n = spice_node_names(net)
    ground_values = ground_values or {}
    t = spice_text
    lines = [f"* {t(title)}", f"* AC analysis at {freq_hz:g} Hz, exported by signalchain"]
    for k, r in enumerate(net.resistors):
        lines.append(f"R{k} {n[r.a]} {n[r.b]} {_num(r.ohm)} ; {t(r.name)}")
    for k, c in enumerate(net.capacitors):
        lines.append(f"C{k} {n[c.a]} {n[c.b]} {_num(c.farad)} ; {t(c.name)}")
    for k, td in enumerate(net.transducers):
        z = float(transducer_z(td, np.array([freq_hz]))[0])
        lines.append(f"RT{k} {n[td.a]} {n[td.b]} {_num(z)} ; {t(td.name)} at {freq_hz:g} Hz")
    for k, v in enumerate(net.vcvs):
        lines.append(f"E{k} {n[v.out_p]} {n[v.out_n]} {n[v.ctl_p]} {n[v.ctl_n]} {_num(v.gain)}"
                     f" ; {t(v.name)}")
    for k, d in enumerate(net.drives):
        value = drive_values.get(f"{d.stage}:{d.role}", 0j) * d.coeff
        mag, ph = abs(value), math.degrees(cmath.phase(value))
        lines.append(f"VD{k} {n[d.pos]} {n[d.neg]} DC 0 AC {_num(mag)} {_num(ph)} ; {t(d.name)}")
    for k, g in enumerate(net.ground_sources):
        value = ground_values.get(g.name, 0j)
        mag, ph = abs(value), math.degrees(cmath.phase(value))
        kind = "VG" if g.kind == "voltage" else "IG"
        # SPICE current flows n+ -> source -> n-, i.e. it is injected into n-
        a, b = (g.pos, g.neg) if g.kind == "voltage" else (g.neg, g.pos)
        lines.append(f"{kind}{k} {n[a]} {n[b]} DC 0 AC {_num(mag)} {_num(ph)} ; {t(g.name)}")
    for node, name in n.items():
        if node != EARTH:
            lines.append(f"RGMIN_{name} {name} 0 {_num(1.0 / GMIN_S)}")
    lines += [".control", f"ac lin 1 {_num(freq_hz)} {_num(freq_hz)}"]
    for label, plus, minus in probes or []:
        lines.append(f"echo probe {spice_text(label, label=True)}")
        lines.append(f"print vm({n[plus]},{n[minus]}) vp({n[plus]},{n[minus]})")
    lines += [".endc", ".end", ""]
    return "\n".join(lines)


_VALUE = re.compile(r"^\s*(vm|vp)\(([^)]*)\)\s*=\s*([-+0-9.eE]+)", re.MULTILINE)


def parse_ngspice_output(text: str) -> list[complex]:
    """Read ``print vm(...) vp(...)`` results from ngspice batch output, in order."""
    mags: list[float] = []
    phases: list[float] = []
    for kind, _nodes, value in _VALUE.findall(text):
        (mags if kind == "vm" else phases).append(float(value))
    return [m * cmath.exp(1j * p) for m, p in zip(mags, phases, strict=True)]

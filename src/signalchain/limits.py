"""Cost limits on untrusted input: how big a rig, a YAML document or a render may get.

Every limit has a documented default, sized so that the largest input it allows is
handled in a few seconds and a few hundred MB on a small machine. The CLI
overrides them with ``signalchain --limit NAME=VALUE`` (before the command); the
library reads the limits in force with :func:`current` and a caller (the web
page, a test) sets its own with :func:`using`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Limits:
    """The limits in force (see ``docs/limits.md`` for why each default is what it is).

    Attributes
    ----------
    rig_bytes : int
        Largest rig (or catalog) file read, in bytes. ruamel's round-trip parser costs
        about 3 µs per byte of comments or blank lines, super-linearly past 128 KiB
        (a 4 MB file of comments took 14 s); the worst 64 KiB file parses in 0.2 s of
        CPU. A rig of 64 listeners is 7-20 KiB, the largest catalog file 12 KiB.
    yaml_nodes : int
        Largest number of YAML nodes a document may have once aliases are expanded
        (an "alias bomb" of a few lines expands to billions). Parsing costs 60-120 µs
        per node, so the largest document allowed parses in 0.3-0.6 s of CPU; the
        largest realistic rig (64 listeners, or an inline amp with 64 ports and 64
        listeners) has 800-2,200 nodes, the largest catalog file 1,600.
    yaml_depth : int
        Deepest nesting of mappings and sequences (a rig needs 7).
    devices : int
        Most devices in one rig.
    ports_per_device : int
        Most ports on one (inline) device.
    listeners : int
        Most headphones in one rig.
    connections : int
        Most connections in one rig. Checking the wiring costs about the square of the
        connections (256 of them: about 2 s of CPU); a 64-listener amp tree with Y
        splitters needs 108.
    circuit_nodes : int
        Most circuit nodes in a rig's netlist, and (at 12 per node) most sense-excitation
        pairs of its transfer, which grows as the square of the active ports plugged in
        (``circuit.mna.check_size``). A 64-listener amp tree has 1,239 nodes (2,391 with
        two adapters per listener) and 31,600 pairs; an amp with 64 listeners plugged
        straight in 791 nodes and 50,000 pairs. Solving is near linear in the nodes
        (5,000: about 3 s of CPU and 140 MB peak for the whole simulate); the costliest
        transfer allowed (60,000 pairs) takes about 1.5 s and 200 MB
        (``benchmarks/rig_size.py``).
    render_seconds : float
        Longest render, in seconds of audio.
    program_channels : int
        Most channels an audio file given as the program may have.
    advise_candidates : int
        Most distinct candidate methods ``advise`` builds, solves and tunes (after merging
        those that join the same contacts the same way, and trying only the first of
        identical interfaces or amps). Each costs 30-40 ms of CPU, so the most allowed take
        2-3 s; the bundled examples need 3-8, two interfaces and two amps about 20, every
        catalog interface with every catalog amp (9 x 7) 261 (8 s).
    """

    rig_bytes: int = 64 * 1024
    yaml_nodes: int = 5_000
    yaml_depth: int = 32
    devices: int = 256
    ports_per_device: int = 64
    listeners: int = 64
    connections: int = 256
    circuit_nodes: int = 5_000
    render_seconds: float = 3600.0
    program_channels: int = 64
    advise_candidates: int = 64

    def describe(self) -> dict[str, float | int]:
        """Every limit by its CLI name (``rig-bytes``), for help texts and docs."""
        return {f.name.replace("_", "-"): getattr(self, f.name) for f in dataclasses.fields(self)}

    def with_values(self, values: dict[str, str]) -> Limits:
        """A copy with limits given by CLI name and text value (``{'render-seconds': '7200'}``).

        Raises
        ------
        ValueError
            Naming the unknown limit (and the valid names) or the bad value.
        """
        changes: dict[str, Any] = {}  # each value has its field's type (int or float)
        fields = {f.name.replace("_", "-"): f for f in dataclasses.fields(self)}
        for name, text in values.items():
            field = fields.get(name)
            if field is None:
                raise ValueError(f"unknown limit {name!r}; valid: {', '.join(sorted(fields))}")
            try:
                value = float(text)
            except ValueError:
                raise ValueError(f"limit {name}={text!r} is not a number") from None
            if not math.isfinite(value) or value <= 0:
                raise ValueError(f"limit {name}={text!r} must be a positive finite number")
            if field.type in ("int", int):
                if value != int(value):
                    raise ValueError(f"limit {name}={text!r} must be a whole number")
                changes[field.name] = int(value)
            else:
                changes[field.name] = value
        return dataclasses.replace(self, **changes)


DEFAULT = Limits()
_CURRENT: ContextVar[Limits] = ContextVar("signalchain_limits", default=DEFAULT)


def current() -> Limits:
    """The limits in force in this context."""
    return _CURRENT.get()


@contextlib.contextmanager
def using(limits: Limits) -> Iterator[Limits]:
    """Put ``limits`` in force for the duration of a ``with`` block."""
    token = _CURRENT.set(limits)
    try:
        yield limits
    finally:
        _CURRENT.reset(token)

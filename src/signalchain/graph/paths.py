"""Who is on whose path: each listener's stages, inputs and knobs, from the rig's structure.

The answer does not depend on where the knobs are: a stage feeds a listener directly when the
solved passive network carries its output to one of their ears, and every stage upstream of
such a stage in the rig's signal flow feeds them too. So a knob turned down -- however steep
its taper, however long the chain behind it -- hides nothing upstream of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from signalchain import thresholds as th
from signalchain import units
from signalchain.graph.compile import SignalGraph
from signalchain.refs import KnobRef


@dataclass(frozen=True)
class ListenerPath:
    """What lies between the computer and one listener, whatever the knobs are set to."""

    listener: str
    stages: tuple[str, ...]
    """Active stages (``device.port``) whose signal reaches the listener, in graph order."""
    inputs: tuple[str, ...]
    """Inputs (``device.port``) through which it passes from one of them to the next."""
    knobs: tuple[KnobRef, ...]
    """The knobs of those stages."""

    @property
    def ids(self) -> tuple[str, ...]:
        """Every stage id whose headroom limits the listener (stages, inputs, drivers)."""
        return (*self.stages, *self.inputs, f"{self.listener}.drivers")


def upstream_stages(graph: SignalGraph) -> dict[str, set[str]]:
    """Each stage → the stages that feed it directly in the rig's signal flow."""
    upstream: dict[str, set[str]] = {sid: set() for sid in graph.stages}
    for src, dsts in graph.built.signal_flow.items():
        for dst in dsts:
            upstream.setdefault(dst, set()).add(src)
    return upstream


def stage_depth(graph: SignalGraph) -> dict[str, int]:
    """How many active stages precede each stage in the rig's signal flow (0: a DAC)."""
    upstream = upstream_stages(graph)
    depth = {sid: 0 for sid in upstream}
    for _ in range(len(depth)):  # longest path in a DAG (build refuses loops)
        changed = False
        for sid, ups in upstream.items():
            d = max((depth.get(u, 0) + 1 for u in ups), default=0)
            if d > depth[sid]:
                depth[sid], changed = d, True
        if not changed:
            break
    return depth


def _with_upstream(stages: list[str], upstream: dict[str, set[str]]) -> set[str]:
    """These stages and every stage upstream of them."""
    found: set[str] = set()
    todo = list(stages)
    while todo:
        sid = todo.pop()
        if sid not in found:
            found.add(sid)
            todo.extend(upstream.get(sid, ()))
    return found


def listener_paths(graph: SignalGraph) -> dict[str, ListenerPath]:
    """Each listener's path, from the solved passive network and the rig's signal flow.

    A stage feeds a listener directly when the passive transfer from its output to one of
    their ears (1 kHz) is above :data:`~signalchain.thresholds.ON_PATH_DB`; every stage
    upstream of a path stage is on the path too. An input is on the path when a path stage
    carries what it senses and the passive transfer from a path stage to it is above the
    same floor.
    """
    transfer = np.abs(graph.solution.transfer[graph.i_ref][:, :graph.n_drive])
    floor = float(units.from_db(th.ON_PATH_DB))
    upstream = upstream_stages(graph)
    senses = graph.built.netlist.senses
    paths = {}
    for who in graph.built.listeners:
        ears = [graph.ear_senses[e] for e, (w, _s) in enumerate(graph.ears) if w == who]
        direct = [graph.drive_stage[j]
                  for j in np.flatnonzero(transfer[ears].max(axis=0) > floor)]
        on = _with_upstream(direct, upstream)
        stages = tuple(dict.fromkeys(s for s in graph.drive_stage if s in on))
        cols = [j for j, s in enumerate(graph.drive_stage) if s in on]
        inputs = tuple(dict.fromkeys(
            f"{senses[i].device}.{senses[i].port}" for c, i in enumerate(graph.input_senses)
            if graph.input_map[cols, c].any() and transfer[i, cols].max(initial=0.0) > floor))
        knobs = tuple(dict.fromkeys(KnobRef.of(st.device, st.knob) for st in
                                    (graph.stages[s] for s in stages) if st.knob))
        paths[who] = ListenerPath(who, stages, inputs, knobs)
    return paths

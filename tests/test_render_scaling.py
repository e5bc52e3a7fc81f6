"""A rig's render does the work its size needs: each level of amps computes only the inputs
it reads, with the same samples as computing every input."""

from __future__ import annotations

import json

import numpy as np

from signalchain.api import check_rig
from signalchain.graph import compile_rig
from signalchain.render.engine import Renderer
from signalchain.render.programs import open_program


def amp_tree(listeners: int) -> str:
    """An interface into a chain of HM-4s (each amp's out4 feeds the next), a listener on
    each of the other outputs."""
    devices = {"laptop": "generic/laptop", "src": "focusrite/scarlett-2i2-3rd-gen"}
    connections = [{"cable": "usb", "ends": ["laptop.usb", "src.usb"]},
                   {"cable": "trs-cable", "ends": ["src.headphones", "amp0.input"]}]
    amps = -(-listeners // 3)
    for a in range(amps):
        devices[f"amp{a}"] = "mackie/hm-4"
        if a + 1 < amps:
            connections.append({"cable": "trs-cable",
                                "ends": [f"amp{a}.out4", f"amp{a + 1}.input"]})
    for i in range(listeners):
        devices[f"l{i}"] = "sennheiser/hd-600"
        connections.append({"plug": f"l{i}", "into": f"amp{i // 3}.out{i % 3 + 1}"})
    return json.dumps({"signalchain": 1, "name": "amp chain", "devices": devices,
                       "connections": connections})


def test_each_level_reads_only_its_inputs_with_the_same_samples():
    graph = compile_rig(check_rig(amp_tree(9), text=True))
    fast = Renderer.from_graph(graph, graph.knob_positions, 48000, seed=3)
    every = Renderer.from_graph(graph, graph.knob_positions, 48000, seed=3)
    plans = [p for p in fast._level_inputs if p is not None]
    assert len(plans) >= 2  # the chain's amps sit on several levels
    assert all(len(read) < len(graph.input_senses) for read, _, _ in plans)
    every._level_inputs = [None] * len(every._level_inputs)
    for block in open_program("builtin:music", 48000, 0.5).blocks(9600):
        a, b = fast.process(block), every.process(block)
        for who in a:
            np.testing.assert_array_equal(a[who], b[who])
    for who in fast.stats:
        assert [s.summary() for s in fast.stats[who]] == [s.summary() for s in every.stats[who]]

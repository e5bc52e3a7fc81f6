"""Cost of check + compile + evaluate as rigs grow (target: the largest rig the limits allow
builds, compiles and evaluates in a few seconds and well under 500 MB peak RSS).

Synthetic rigs:

- ``tree N`` (or ``tree N:K``): an interface's headphone out feeding a tree of Mackie HM-4
  amps (each output into the next amp's input) whose last outputs carry Y splitters, two
  listeners per splitter, for N listeners (each plugged in through K pairs of
  6.35-to-3.5 and back adapters: many nodes, no more senses);
- ``inline P`` (or ``inline P:L``): one inline amp with P ports (one input, P - 1
  outputs) fed by an interface, L of its outputs used by listeners (default: the default
  listener limit); the other outputs are unplugged;
- ``fanout C``: the most transfer per node the limits let through -- C connections, each
  an inline device's captive input plug pushed into an inline amp's output (two drive
  columns and six senses for eight nodes), amps and sinks of at most ``ports_per_device``
  ports.

Each size runs in a fresh process (so peak RSS is that rig's own, interpreter and
libraries included: about 75 MB) several times; the table shows CPU time
(``time.process_time``, all threads) of check + compile + evaluate and the peak resident
set size (``ru_maxrss``), min / median / max over the repeats, plus the circuit's size:
nodes, senses and excitation columns. A rig over a limit shows the refusal instead.

Run ``python benchmarks/rig_size.py`` (``--repeat N``, ``--sizes tree:4,fanout:72,...``,
``--no-limits``); ``--solvers`` times the dense and the sparse MNA solver on each rig
(where they cross is ``circuit.mna.DENSE_MAX_UNKNOWNS``). On a machine shared with other
work, ``OPENBLAS_NUM_THREADS=1`` gives steadier figures.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

REPEAT = 3
DEFAULT_SIZES = ("tree:4", "tree:16", "tree:64", "tree:64:3", "tree:64:4", "inline:64",
                 "inline:1000:64", "fanout:70", "fanout:72")
"""Up to the largest rigs the default limits allow (64 listeners; 4,695 nodes; an amp with
64 ports; 59,640 transfers per frequency) and just past them (5,847 nodes; 63,072
transfers; a 1000-port amp, which the YAML limits refuse)."""
NOISE = {"knob_min_dbu_a": -100, "knob_max_dbu_a": -89}


def _head() -> tuple[dict[str, Any], list[dict[str, Any]]]:
    devices: dict[str, Any] = {"laptop": "generic/laptop",
                               "src": "focusrite/scarlett-2i2-3rd-gen"}
    connections: list[dict[str, Any]] = [{"cable": "usb", "ends": ["laptop.usb", "src.usb"]}]
    return devices, connections


def tree_rig(listeners: int, adapter_pairs: int = 0) -> dict[str, Any]:
    """N listeners on a tree of 4-output amps, two per Y splitter on the last outputs."""
    devices, connections = _head()
    devices["amp0"] = "mackie/hm-4"
    connections.append({"cable": "trs-cable", "ends": ["src.headphones", "amp0.input"]})
    free = [f"amp0.out{k}" for k in range(1, 5)]
    pairs = (listeners + 1) // 2
    n_amps = 1
    while len(free) < pairs:
        out = free.pop(0)
        amp = f"amp{n_amps}"
        n_amps += 1
        devices[amp] = "mackie/hm-4"
        connections.append({"cable": "trs-cable", "ends": [out, f"{amp}.input"]})
        free += [f"{amp}.out{k}" for k in range(1, 5)]
    for i in range(listeners):
        out = free[i // 2]
        y = f"y{i // 2}"
        if i % 2 == 0:
            devices[y] = "splitter/y-6.35"
            connections.append({"plug": y, "into": out})
        devices[f"l{i}"] = "sennheiser/hd-600"
        via = ["adapter/6.35f-3.5m", "adapter/3.5f-6.35m"] * adapter_pairs
        connections.append({"plug": f"l{i}", "into": f"{y}.{'ab'[i % 2]}", "via": via})
    return {"signalchain": 1, "name": f"tree of amps, {listeners} listeners",
            "devices": devices, "connections": connections}


def inline_rig(ports: int, listeners: int) -> dict[str, Any]:
    """One inline amp with ``ports`` ports; ``listeners`` of its outputs are used."""
    devices, connections = _head()
    out = {"connector": "trs-6.35", "direction": "out", "signal": "stereo",
           "feeds": {"left": "L", "right": "R"}, "gain_db": 12, "z_out_ohm": 10,
           "max_v_rms": 3.2, "noise": NOISE}
    amp_ports: dict[str, Any] = {
        "input": {"connector": "trs-6.35", "direction": "in", "signal": "stereo",
                  "senses": {"left": "L", "right": "R"}, "z_in_ohm": 10e3}}
    for k in range(1, ports):
        amp_ports[f"o{k}"] = out
    devices["amp"] = {"kind": "amp", "power": "mains-floating", "ports": amp_ports}
    connections.append({"cable": "trs-cable", "ends": ["src.headphones", "amp.input"]})
    for i in range(min(listeners, ports - 1)):
        devices[f"l{i}"] = "sennheiser/hd-600"
        connections.append({"plug": f"l{i}", "into": f"amp.o{i + 1}"})
    return {"signalchain": 1, "name": f"inline amp with {ports} ports",
            "devices": devices, "connections": connections}


def fanout_rig(connections: int, ports_per_device: int) -> dict[str, Any]:
    """``connections`` amp outputs, each taking the captive input plug of a sink device."""
    out = {"connector": "trs-6.35", "direction": "out", "signal": "stereo",
           "feeds": {"left": "L", "right": "R"}, "gain_db": 0, "z_out_ohm": 10,
           "max_v_rms": 3.2, "noise": NOISE}
    plug_in = {"connector": "trs-6.35", "gender": "plug", "captive": True, "direction": "in",
               "signal": "stereo", "senses": {"left": "L", "right": "R"}, "z_in_ohm": 10e3}
    devices: dict[str, Any] = {}
    conns: list[dict[str, Any]] = []
    for k in range(connections):
        amp, sink = f"amp{k // ports_per_device}", f"sink{k // ports_per_device}"
        devices.setdefault(amp, {"kind": "amp", "power": "mains-floating", "ports": {}})
        devices.setdefault(sink, {"kind": "amp", "power": "none", "ports": {}})
        devices[amp]["ports"][f"o{k}"] = out
        devices[sink]["ports"][f"i{k}"] = plug_in
        conns.append({"plug": f"{sink}.i{k}", "into": f"{amp}.o{k}"})
    return {"signalchain": 1, "name": f"fan-out of {connections} connections",
            "devices": devices, "connections": conns}


def make_rig(kind: str, size: str) -> dict[str, Any]:
    """The synthetic rig ``kind`` ('tree', 'inline' or 'fanout') of the given size."""
    from signalchain import limits

    first, _, second = size.partition(":")
    if kind == "tree":
        return tree_rig(int(first), int(second or 0))
    if kind == "inline":
        return inline_rig(int(first), int(second or limits.DEFAULT.listeners))
    if kind == "fanout":
        return fanout_rig(int(first), min(limits.current().ports_per_device,
                                          limits.DEFAULT.ports_per_device))
    raise ValueError(f"unknown rig kind {kind!r}")


def _lift_limits() -> None:
    """Put every whole-number limit at a billion (to measure past the defaults)."""
    import dataclasses

    from signalchain import limits

    big = {f.name: 10**9 for f in dataclasses.fields(limits.Limits) if f.type in ("int", int)}
    limits.set_current(dataclasses.replace(limits.current(), **big))


def _measure_one(kind: str, size: str) -> dict[str, Any]:
    """Run check + compile + evaluate once in this process; return the figures."""
    from signalchain.api import check_rig
    from signalchain.errors import RigError
    from signalchain.evaluate import evaluate
    from signalchain.graph import compile_rig
    from signalchain.wiring.netlist import EARTH

    text = json.dumps(make_rig(kind, size))
    evaluate(compile_rig(check_rig(json.dumps(tree_rig(1)), text=True)))  # warm-up
    t0 = time.process_time()
    try:
        built = check_rig(text, text=True)
        t1 = time.process_time()
        graph = compile_rig(built)
        t2 = time.process_time()
        evaluate(graph)
    except RigError as exc:
        return {"refused": str(exc).splitlines()[0], "total_s": time.process_time() - t0,
                "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}
    t3 = time.process_time()
    net = built.netlist
    return {"check_s": t1 - t0, "compile_s": t2 - t1, "evaluate_s": t3 - t2,
            "total_s": t3 - t0, "nodes": sum(1 for n in net.nodes() if n != EARTH),
            "senses": len(net.senses), "columns": len(graph.solution.columns),
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def _solver_times(kind: str, size: str, repeat: int) -> dict[str, Any]:
    """Median CPU time of the dense and the sparse solver on one rig's netlist."""
    from signalchain.api import check_rig
    from signalchain.circuit import mna
    from signalchain.graph.compile import frequency_grid

    net = check_rig(json.dumps(make_rig(kind, size)), text=True).netlist
    grid = frequency_grid(50.0, {1: 0.0, 3: -6.0, 5: -12.0})
    out: dict[str, Any] = {"unknowns": sum(1 for n in net.nodes() if n != mna.EARTH)
                           + len(net.drives) + len(net.vcvs)
                           + sum(g.kind == "voltage" for g in net.ground_sources)}
    for method in ("dense", "sparse"):
        times = []
        for _ in range(repeat):
            t0 = time.process_time()
            mna.solve(net, grid, method=method)
            times.append(time.process_time() - t0)
        out[method] = statistics.median(times)
    return out


def _spread(values: list[float]) -> str:
    return f"{min(values):7.2f} {statistics.median(values):7.2f} {max(values):7.2f}"


def _run(item: str, flags: list[str]) -> dict[str, Any]:
    cmd = [sys.executable, __file__, "--one", item, *flags]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        return {"failed": (proc.stderr.strip().splitlines() or ["?"])[-1]}
    return json.loads(proc.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=REPEAT)
    parser.add_argument("--sizes", default=",".join(DEFAULT_SIZES),
                        help="comma-separated kind:size (tree:N listeners, inline:P[:L] "
                        "ports, fanout:C connections)")
    parser.add_argument("--no-limits", action="store_true",
                        help="lift the size limits (to measure past them)")
    parser.add_argument("--solvers", action="store_true",
                        help="time the dense and the sparse solver on each rig instead "
                        "(where they cross over sets mna.DENSE_MAX_UNKNOWNS)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.no_limits:
        _lift_limits()
    flags = ["--no-limits"] if args.no_limits else []
    if args.one:
        kind, _, size = args.one.partition(":")
        print(json.dumps(_measure_one(kind, size)))
        return
    if args.solvers:
        print(f"{'rig':16s} {'unknowns':>8s} {'dense ms':>9s} {'sparse ms':>9s}  (median CPU)")
        for item in args.sizes.split(","):
            kind, _, size = item.partition(":")
            t = _solver_times(kind, size, args.repeat)
            print(f"{item:16s} {t['unknowns']:8d} {t['dense'] * 1e3:9.1f} "
                  f"{t['sparse'] * 1e3:9.1f}")
        return
    print(f"{'rig':16s} {'nodes':>6s} {'senses':>6s} {'cols':>5s}   "
          f"{'CPU s (min med max)':>23s}   {'peak RSS MB (min med max)':>25s}")
    for item in args.sizes.split(","):
        runs = [_run(item, flags) for _ in range(args.repeat)]
        bad = next((r for r in runs if "failed" in r), None)
        if bad is not None:
            print(f"{item:16s} failed: {bad['failed']}")
            continue
        spread = (f"{_spread([r['total_s'] for r in runs]):>23s}   "
                  f"{_spread([r['peak_mb'] for r in runs]):>25s}")
        if "refused" in runs[0]:
            print(f"{item:16s} {'refused':>20s}   {spread}\n{'':16s} {runs[0]['refused']}")
            continue
        r0 = runs[0]
        print(f"{item:16s} {r0['nodes']:6d} {r0['senses']:6d} {r0['columns']:5d}   {spread}")
        parts = {k: statistics.median(r[k] for r in runs)
                 for k in ("check_s", "compile_s", "evaluate_s")}
        print(f"{'':16s} median CPU: check {parts['check_s']:.2f} s, compile "
              f"{parts['compile_s']:.2f} s, evaluate {parts['evaluate_s']:.2f} s")


if __name__ == "__main__":
    main()

"""Render cost as rigs grow (issue 14: cost linear in listeners, < 300 MB at 64 listeners).

Renders ``--seconds`` of builtin:music at 48 kHz through the synthetic amp-tree rigs of
``benchmarks/rig_size.py`` (an interface's headphone out into a tree of Mackie HM-4s, two
listeners per Y splitter on the last outputs) with 4, 16 and 64 listeners. Each size runs in
a fresh process, so its peak RSS is its own; the engine's CPU time (``time.process_time``)
is taken ``--repeat`` times in that process. Linear scaling means listener-seconds per CPU
second stay constant: the target is N listeners at >= (4-listener x RT) * 4 / N * 0.8.

Run ``python -m benchmarks.render_scaling`` (``--sizes 4,16,64``, ``--seconds 10``).
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

FS = 48000
BLOCK = 48000


def measure(listeners: int, seconds: float, repeat: int) -> dict[str, Any]:
    """Check, compile and build the engine once, then time the render ``repeat`` times."""
    from benchmarks.rig_size import tree_rig

    from signalchain.api import check_rig
    from signalchain.graph import compile_rig
    from signalchain.render.engine import Renderer
    from signalchain.render.programs import open_program

    t0 = time.process_time()
    graph = compile_rig(check_rig(json.dumps(tree_rig(listeners)), text=True))
    t_compile = time.process_time() - t0
    blocks = list(open_program("builtin:music", FS, seconds).blocks(BLOCK))
    times = []
    for _ in range(repeat):
        engine = Renderer.from_graph(graph, graph.knob_positions, FS)
        t0 = time.process_time()
        for block in blocks:
            engine.process(block)
        times.append(time.process_time() - t0)
    paths = engine.paths_ear.paths + engine.paths_in.paths
    return {"listeners": listeners, "compile_s": t_compile, "times_s": times,
            "columns": len(engine.gains), "iir": sum(pf.sos is not None for *_, pf in paths),
            "fir": sum(pf.taps is not None for *_, pf in paths),
            "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="4,16,64")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.seconds, args.repeat)))
        return
    print(f"{args.seconds:.0f} s of builtin:music at {FS} Hz through an amp tree; CPU time, "
          f"min/median/max of {args.repeat}")
    print(f"{'listeners':>9} {'columns':>7} {'IIR':>4} {'FIR':>4} {'check+compile':>13} "
          f"{'engine x RT (min/med/max)':>26} {'listener-s per CPU-s':>21} {'target':>8} "
          f"{'peak RSS':>9}")
    base = None
    for n in (int(s) for s in args.sizes.split(",")):
        out = subprocess.run([sys.executable, "-m", "benchmarks.render_scaling", "--one",
                              str(n), "--seconds", str(args.seconds), "--repeat",
                              str(args.repeat)], capture_output=True, text=True, check=True)
        r = json.loads(out.stdout.splitlines()[-1])
        xrt = sorted(args.seconds / t for t in r["times_s"])
        med = statistics.median(xrt)
        per_listener = med * n
        base = base or per_listener
        target = "-" if n == 4 else ("OK" if per_listener >= 0.8 * base else "BELOW")
        print(f"{n:9d} {r['columns']:7d} {r['iir']:4d} {r['fir']:4d} "
              f"{r['compile_s']:12.2f}s {xrt[0]:8.0f}/{med:.0f}/{xrt[-1]:.0f}".ljust(70)
              + f"{per_listener:12.0f} {target:>8} {r['peak_mb']:7.0f} MB")


if __name__ == "__main__":
    main()

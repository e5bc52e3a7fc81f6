"""How long ``simulate`` takes per rig after import (target: under 50 ms).

Times check + compile (MNA solve) + evaluate for every bundled example,
after one warm-up run that loads the catalog. Reports CPU time (the machine is
shared, so wall time measures the neighbours): min, median and max of several
repetitions per rig, split into the three steps, plus the wall-clock median.
"""

from __future__ import annotations

import statistics
import time

from signalchain.api import check_rig
from signalchain.demo import example_paths
from signalchain.evaluate import evaluate
from signalchain.graph import compile_rig

REPEAT = 15


def main() -> None:
    paths = example_paths()
    evaluate(compile_rig(check_rig(paths[0])))  # warm-up: catalog load, imports
    worst_median = 0.0
    print(f"{'rig':30s} {'CPU ms min/median/max':>22s} {'check':>6s} {'solve':>6s} "
          f"{'eval':>6s} {'wall':>6s}")
    for path in paths:
        total, steps, wall = [], [], []
        for _ in range(REPEAT):
            w0, t0 = time.perf_counter(), time.process_time()
            built = check_rig(path)
            t1 = time.process_time()
            graph = compile_rig(built)
            t2 = time.process_time()
            evaluate(graph)
            t3 = time.process_time()
            wall.append((time.perf_counter() - w0) * 1e3)
            total.append((t3 - t0) * 1e3)
            steps.append(((t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t2) * 1e3))
        med = statistics.median(total)
        worst_median = max(worst_median, med)
        parts = [statistics.median(s[k] for s in steps) for k in range(3)]
        print(f"{path.stem[:30]:30s} {min(total):6.1f} /{med:6.1f} /{max(total):6.1f} "
              f"{parts[0]:6.1f} {parts[1]:6.1f} {parts[2]:6.1f} {statistics.median(wall):6.1f}")
    verdict = "OK" if worst_median < 50 else "SLOWER THAN TARGET"
    print(f"worst median {worst_median:.1f} ms of CPU per rig (target < 50 ms): {verdict}")


if __name__ == "__main__":
    main()

"""How long ``simulate`` takes per rig after import (target: under 50 ms).

Times check + compile (MNA solve) + evaluate for every bundled example,
after one warm-up run that loads the catalog. Prints the median and worst of
several repetitions per rig.
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
    print(f"{'rig':40s} {'median ms':>10s} {'max ms':>8s}  (check + solve + evaluate)")
    for path in paths:
        times = []
        for _ in range(REPEAT):
            t0 = time.perf_counter()
            evaluate(compile_rig(check_rig(path)))
            times.append((time.perf_counter() - t0) * 1e3)
        med = statistics.median(times)
        worst_median = max(worst_median, med)
        print(f"{path.stem:40s} {med:10.1f} {max(times):8.1f}")
    verdict = "OK" if worst_median < 50 else "SLOWER THAN TARGET"
    print(f"worst median {worst_median:.1f} ms per rig (target < 50 ms): {verdict}")


if __name__ == "__main__":
    main()

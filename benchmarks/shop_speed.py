"""How fast ``shop`` ranks candidates: candidates per second, in-process vs 2 local processes.

The seed rig (examples/01) with the HM-4 replaced by each of N synthetic amps (from
:mod:`signalchain.catalog.synthetic`, drawn from the bundled amps' ranges) and the bundled
ones: each candidate is a full ``advise`` (enumerate, build, tune, judge). Reports CPU time
of this process in-process (min / median / max) and wall time for both, with candidates per
second; the workers' start-up (imports, catalog) is done before the clock starts.

Run: ``python -m benchmarks.shop_speed [--amps 40] [--repeat 3] [--dask]``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics
import time
from concurrent.futures import ProcessPoolExecutor

from signalchain.catalog import default_catalog
from signalchain.catalog.synthetic import synthetic_catalog
from signalchain.demo import example_path
from signalchain.rig import Rig
from signalchain.shop import shop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--amps", type=int, default=40)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dask", action="store_true", help="also on a Dask LocalCluster of "
                        "2 processes")
    args = parser.parse_args()
    catalog = synthetic_catalog(default_catalog(), headphones=0, amps=args.amps, seed=0)
    rig = Rig.from_path(example_path("01"), catalog)
    rig.simulate()
    n = len(catalog.ids("amp")) - 1  # the booster is not a candidate
    cpu, wall, wall2 = [], [], []
    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(2, mp_context=ctx) as pool:
        shop(Rig.from_path(example_path("01")), "hm4", executor=pool)  # warm the workers
        for _ in range(args.repeat):
            t, w = time.process_time(), time.perf_counter()
            shop(rig, "hm4")
            cpu.append(time.process_time() - t)
            wall.append(time.perf_counter() - w)
            w = time.perf_counter()
            shop(rig, "hm4", executor=pool)
            wall2.append(time.perf_counter() - w)
    print(f"{n} candidate amps (synthetic and bundled), each a full advise of the seed rig")
    print(f"in-process   CPU s min/median/max {min(cpu):.2f} / {statistics.median(cpu):.2f} / "
          f"{max(cpu):.2f}   candidates/s {n / statistics.median(cpu):.1f} (CPU)")
    for name, times in (("in-process", wall), ("--workers 2", wall2)):
        print(f"{name:12s} wall s min/median/max {min(times):.2f} / "
              f"{statistics.median(times):.2f} / {max(times):.2f}   candidates/s "
              f"{n / statistics.median(times):.1f} (wall)")
    if args.dask:
        _dask(rig, n, args.repeat)


def _dask(rig: Rig, n: int, repeat: int) -> None:
    """Wall time on a Dask LocalCluster of 2 processes (one task per candidate)."""
    import distributed

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        pool = client.get_executor()
        shop(Rig.from_path(example_path("01")), "hm4", executor=pool)  # warm the workers
        walls = []
        for _ in range(repeat):
            w = time.perf_counter()
            shop(rig, "hm4", executor=pool)
            walls.append(time.perf_counter() - w)
    print(f"{'Dask, 2 proc':12s} wall s min/median/max {min(walls):.2f} / "
          f"{statistics.median(walls):.2f} / {max(walls):.2f}   candidates/s "
          f"{n / statistics.median(walls):.1f} (wall)")


if __name__ == "__main__":
    main()

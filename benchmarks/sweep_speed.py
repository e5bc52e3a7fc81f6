"""How fast ``sweep`` simulates: listener-points per second of CPU, in-process.

A knob × cable-length grid over the seed rig (examples/01, four listeners): every length is
a new circuit (built and solved once), every knob setting an evaluation of it. Reports CPU
time (``time.process_time``: the machine is shared), min / median / max of the repeats, and
the same points as plain ``Rig.simulate`` calls in the same run as the baseline.

Run: ``python -m benchmarks.sweep_speed [--knobs 25] [--lengths 8] [--repeat 3]``.
The issue's target is 5,000 listener-points/s on one core for a 10,000-point sweep.
"""

from __future__ import annotations

import argparse
import statistics
import time

from signalchain.demo import example_path
from signalchain.rig import Rig
from signalchain.sweep import Variable, parse_vary, sweep


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--knobs", type=int, default=25)
    parser.add_argument("--lengths", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dask", action="store_true", help="also on a Dask LocalCluster of "
                        "2 processes, and its per-task overhead")
    args = parser.parse_args()
    rig = Rig.from_path(example_path("01"))
    rig.simulate()  # warm-up: imports, catalog
    variables = [parse_vary(f"C02.length=1m..30m:{args.lengths}:log", rig),
                 parse_vary(f"scarlett.headphones=0..1:{args.knobs}", rig)]
    n_points = args.knobs * args.lengths
    sweeps, plain = [], []
    for _ in range(args.repeat):
        t = time.process_time()
        result = sweep(rig, variables)
        sweeps.append(time.process_time() - t)
        t = time.process_time()
        for length in variables[0].values:
            data = rig.to_dict()
            data["connections"][1]["length"] = length
            circuit = Rig.from_dict(data, "bench.yaml", rig.catalog)
            for knob in variables[1].values:
                circuit.simulate({"scarlett.headphones": float(knob)})
        plain.append(time.process_time() - t)
    rows = len(result.rows)
    print(f"{n_points} points × {rows // n_points} listeners = {rows} listener-points")
    for name, times in (("sweep", sweeps), ("simulate loop (baseline)", plain)):
        rates = sorted(rows / t for t in times)
        print(f"{name:26s} CPU s min/median/max {min(times):.2f} / {statistics.median(times):.2f}"
              f" / {max(times):.2f}   listener-points/s {rates[0]:.0f} / "
              f"{statistics.median(rates):.0f} / {rates[-1]:.0f}")
    print(f"ratio sweep / baseline (median CPU): "
          f"{statistics.median(sweeps) / statistics.median(plain):.2f}")
    _processes(rig, variables, rows, args.repeat)
    if args.dask:
        _dask(rig, variables, rows, args.repeat)


def _dask(rig: Rig, variables: list[Variable], rows: int, repeat: int) -> None:
    """Wall time on a Dask LocalCluster (2 processes), and what one task costs it."""
    import distributed

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        pool = client.get_executor()
        sweep(rig, [variables[1]], executor=pool, chunk_points=1)  # warm the workers
        walls = []
        for _ in range(repeat):
            t = time.perf_counter()
            sweep(rig, variables, executor=pool)
            walls.append(time.perf_counter() - t)
        t = time.perf_counter()
        for f in [pool.submit(int, i) for i in range(400)]:
            f.result()
        per_task = (time.perf_counter() - t) / 400
    print(f"{'Dask, 2 processes':26s} wall s min/median/max {min(walls):.2f} / "
          f"{statistics.median(walls):.2f} / {max(walls):.2f}   listener-points/s "
          f"{rows / statistics.median(walls):.0f} (wall, median)")
    print(f"Dask per-task overhead (400 empty tasks): {per_task * 1e3:.2f} ms")


def _processes(rig: Rig, variables: list[Variable], rows: int, repeat: int) -> None:
    """Wall time in-process vs 2 local processes (their CPU is not this process's)."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    walls: dict[str, list[float]] = {"in-process": [], "--workers 2": []}
    for _ in range(repeat):
        t = time.perf_counter()
        sweep(rig, variables)
        walls["in-process"].append(time.perf_counter() - t)
        with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
            # the workers' start-up (imports, catalog) is not the sweep's
            sweep(rig, [variables[1]], executor=pool, chunk_points=1)
            t = time.perf_counter()
            sweep(rig, variables, executor=pool)
            walls["--workers 2"].append(time.perf_counter() - t)
    for name, times in walls.items():
        print(f"{name:26s} wall s min/median/max {min(times):.2f} / "
              f"{statistics.median(times):.2f} / {max(times):.2f}   listener-points/s "
              f"{rows / statistics.median(times):.0f} (wall, median)")


if __name__ == "__main__":
    main()

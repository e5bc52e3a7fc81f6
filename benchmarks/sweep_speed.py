"""How fast ``sweep`` simulates: listener-points per second of CPU, in-process.

A knob × cable-length grid over the seed rig (examples/01, four listeners; 100 × 100 =
10,000 points by default): every length is a new circuit (built and solved once), every knob
setting on it one point of a batched evaluation (:func:`signalchain.evaluate.evaluate_many`).
Reports CPU time (``time.process_time``: the machine is shared), min / median / max of the
repeats, for

- the grid,
- the same number of knob settings on one circuit (what a knob sweep costs),
- the baseline: plain ``Rig.simulate`` calls, one per point, on a subsample of the grid
  (every length, every tenth knob setting) in the same run, as listener-points per second,

then wall times in-process vs ``--workers 2`` (and a Dask LocalCluster with ``--dask``, with
its per-task overhead).

Run: ``python -m benchmarks.sweep_speed [--knobs 100] [--lengths 100] [--repeat 3] [--dask]``.
The issue's target is 5,000 listener-points/s on one core for a 10,000-point sweep.
"""

from __future__ import annotations

import argparse
import statistics
import time

from signalchain.demo import example_path
from signalchain.rig import Rig
from signalchain.sweep import Variable, parse_vary, sweep
from signalchain.threads import solver_threads


def _stats(name: str, times: list[float], rows: int) -> None:
    rates = sorted(rows / t for t in times)
    print(f"{name:34s} CPU s min/median/max {min(times):6.2f} / {statistics.median(times):6.2f}"
          f" / {max(times):6.2f}   listener-points/s {rates[0]:6.0f} / "
          f"{statistics.median(rates):6.0f} / {rates[-1]:6.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--knobs", type=int, default=100)
    parser.add_argument("--lengths", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dask", action="store_true", help="also on a Dask LocalCluster of "
                        "2 processes, and its per-task overhead")
    args = parser.parse_args()
    rig = Rig.from_path(example_path("01"))
    rig.simulate()  # warm-up: imports, catalog
    variables = [parse_vary(f"C02.length=1m..30m:{args.lengths}:log", rig),
                 parse_vary(f"scarlett.headphones=0..1:{args.knobs}", rig)]
    knob_only = [parse_vary(f"scarlett.headphones=0..1:{args.knobs * args.lengths}", rig)]
    n_points = args.knobs * args.lengths
    grid, knobs, plain = [], [], []
    plain_rows = 0
    for _ in range(args.repeat):
        t = time.process_time()
        result = sweep(rig, variables)
        grid.append(time.process_time() - t)
        t = time.process_time()
        sweep(rig, knob_only)
        knobs.append(time.process_time() - t)
        t = time.process_time()
        plain_rows = 0
        with solver_threads():  # as the sweep runs: the same BLAS threads
            for length in variables[0].values:
                data = rig.to_dict()
                data["connections"][1]["length"] = f"{length} m"
                circuit = Rig.from_dict(data, "bench.yaml", rig.catalog)
                for knob in variables[1].values[::10]:
                    plain_rows += len(circuit.simulate(
                        {"scarlett.headphones": float(knob)}).listeners)
        plain.append(time.process_time() - t)
    rows = len(result.rows)
    print(f"{n_points} points ({args.lengths} lengths × {args.knobs} knob settings) × "
          f"{rows // n_points} listeners = {rows} listener-points")
    _stats("sweep, knob × length grid", grid, rows)
    _stats("sweep, knob only (one circuit)", knobs, rows)
    _stats(f"simulate loop ({plain_rows} l-points)", plain, plain_rows)
    per_point = [t / plain_rows for t in plain]
    print(f"ratio sweep / simulate loop, CPU per listener-point (median): "
          f"{statistics.median(grid) / rows / statistics.median(per_point):.3f}")
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

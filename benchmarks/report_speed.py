"""How long the HTML report of the seed rig takes, and how big it is (targets: < 3 s, < 2 MB).

The rig is examples/01 (Scarlett 2i2 headphone out into a Mackie HM-4, four listeners); the
report is built from a freshly loaded rig each time (load, simulate, pictures, cable schedule,
listening clips, HTML), as ``signalchain report`` does. Times are CPU seconds of this process
(``time.process_time``: other load on the machine does not count) and, for reference, wall
seconds; each line gives the minimum, median and maximum of the runs. The same-work baseline
is ``simulate`` on a freshly loaded rig, so the ratio says what the report adds.

Run: python benchmarks/report_speed.py [--repeat N] [--tune] [--advise]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

from signalchain.demo import example_path
from signalchain.report.html import ReportOptions, build_report
from signalchain.rig import Rig

TARGET_S = 3.0
TARGET_BYTES = 2_000_000


def timed(fn: Callable[[], object], repeat: int) -> tuple[list[float], list[float]]:
    """CPU and wall seconds of ``repeat`` calls."""
    cpu, wall = [], []
    for _ in range(repeat):
        c0, w0 = time.process_time(), time.perf_counter()
        fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return cpu, wall


def line(label: str, values: list[float]) -> str:
    return (f"{label}: min {min(values):6.3f} s, median {statistics.median(values):6.3f} s, "
            f"max {max(values):6.3f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--tune", action="store_true")
    parser.add_argument("--advise", action="store_true")
    args = parser.parse_args()
    path = example_path("01")
    options = ReportOptions(tune=args.tune, advise=args.advise)
    build_report(Rig.from_path(path), options)  # warm: imports, fonts, the catalog
    size = len(build_report(Rig.from_path(path), options).encode())
    base_cpu, _ = timed(lambda: Rig.from_path(path).simulate(), args.repeat)
    cpu, wall = timed(lambda: build_report(Rig.from_path(path), options), args.repeat)
    print(line("baseline (load + simulate), CPU", base_cpu))
    print(line("report, CPU", cpu))
    print(line("report, wall", wall))
    ratio = statistics.median(cpu) / statistics.median(base_cpu)
    verdict = "OK" if statistics.median(cpu) < TARGET_S else "SLOWER THAN TARGET"
    print(f"report/baseline CPU ratio {ratio:.1f}; target < {TARGET_S:g} s: {verdict}")
    print(f"size {size / 1e6:.2f} MB (target < {TARGET_BYTES / 1e6:g} MB): "
          f"{'OK' if size < TARGET_BYTES else 'TOO BIG'}")


if __name__ == "__main__":
    main()

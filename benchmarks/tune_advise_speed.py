"""How long tune and advise take on the seed rig (targets: tune < 200 ms, advise < 2 s).

The rig is examples/01 (Scarlett 2i2 headphone out into a Mackie HM-4, four listeners).
tune is timed on an already compiled rig (as the CLI does after 'check'); advise from
the resolved devices, including building, solving and tuning every candidate.
"""

from __future__ import annotations

import statistics
import time

from signalchain.demo import example_path
from signalchain.rig import Rig


def timed(fn, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), max(times)


def main() -> None:
    rig = example_path("01")
    tuned = Rig.from_path(rig)
    tuned.tune()  # warm-up (and the solve)
    med, worst = timed(tuned.tune, 10)
    print(f"tune   {rig.name}: median {med * 1e3:6.1f} ms, max {worst * 1e3:6.1f} ms "
          f"(target < 200 ms): {'OK' if med < 0.2 else 'SLOWER THAN TARGET'}")
    loaded = Rig.from_path(rig)
    for priority in ("quality", "convenience"):
        med, worst = timed(lambda p=priority: loaded.advise(priority=p), 3)
        n = len(loaded.advise(priority=priority))
        print(f"advise {rig.name} ({priority}, {n} methods): median {med:5.2f} s, max "
              f"{worst:5.2f} s (target < 2 s): {'OK' if med < 2 else 'SLOWER THAN TARGET'}")


if __name__ == "__main__":
    main()

"""How long tune and advise take on the seed rig (targets: tune < 200 ms, advise < 2 s).

The rig is examples/01 (Scarlett 2i2 headphone out into a Mackie HM-4, four listeners).
tune is timed on an already compiled rig (as the CLI does after 'check'); advise from
the resolved devices, including building, solving and tuning every candidate.
"""

from __future__ import annotations

import statistics
import time

from signalchain.advise import advise
from signalchain.api import check_rig, load_rig
from signalchain.catalog import default_catalog
from signalchain.demo import example_path
from signalchain.graph import compile_rig
from signalchain.schema.loader import plain_data
from signalchain.tune import tune
from signalchain.wiring.resolve import resolve


def timed(fn, repeat: int) -> tuple[float, float]:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), max(times)


def main() -> None:
    rig = example_path("01")
    graph = compile_rig(check_rig(rig))
    tune(graph)  # warm-up
    med, worst = timed(lambda: tune(graph), 10)
    print(f"tune   {rig.name}: median {med * 1e3:6.1f} ms, max {worst * 1e3:6.1f} ms "
          f"(target < 200 ms): {'OK' if med < 0.2 else 'SLOWER THAN TARGET'}")
    spec, doc = load_rig(rig)
    resolved = resolve(spec, doc, default_catalog())
    raw = plain_data(doc.data["devices"])
    for priority in ("quality", "convenience"):
        med, worst = timed(lambda p=priority: advise(resolved, raw, priority=p), 3)
        n = len(advise(resolved, raw, priority=priority))
        print(f"advise {rig.name} ({priority}, {n} methods): median {med:5.2f} s, max "
              f"{worst:5.2f} s (target < 2 s): {'OK' if med < 2 else 'SLOWER THAN TARGET'}")


if __name__ == "__main__":
    main()

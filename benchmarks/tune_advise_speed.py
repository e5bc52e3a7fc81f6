"""How long tune and advise take (targets: tune < 100 ms and advise < 1 s on the seed rig,
tune < 1 s on 16 listeners).

The rig is examples/01 (Scarlett 2i2 headphone out into a Mackie HM-4, four listeners).
tune is timed on an already compiled rig (as the CLI does after 'check'); advise from
the resolved devices, including building, solving and tuning every candidate. tune is
also timed on the 16-listener amp tree of ``benchmarks/rig_size.py`` (five HM-4s: their
knobs and the interface's are the shared knobs that set several listeners at once). Times are
CPU seconds of this process (``time.process_time``), so other load on the machine does
not count; each line gives the minimum, median and maximum of the runs.

With ``--wide N M``, advise is also timed on a rig with N interfaces and M amps (the
catalog's in turn: 9 interface and 7 amp models, then the same again), the case whose cost
grows with the interface x amp pairs of distinct models; ``--limit K`` sets the
``advise-candidates`` limit for it.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from benchmarks.rig_size import tree_rig

from signalchain import limits
from signalchain.advise import Advice
from signalchain.catalog import default_catalog
from signalchain.demo import example_path
from signalchain.rig import Rig
from signalchain.schema.device import DeviceSpec


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, float, float]:
    """(min, median, max) CPU seconds of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return min(times), statistics.median(times), max(times)


def figures(label: str, times: tuple[float, float, float], target_s: float, unit: float,
            suffix: str) -> str:
    low, med, high = (t * unit for t in times)
    verdict = "OK" if times[1] < target_s else "SLOWER THAN TARGET"
    return (f"{label}: min {low:7.3f}{suffix}, median {med:7.3f}{suffix}, max {high:7.3f}"
            f"{suffix} (target < {target_s * unit:g}{suffix}): {verdict}")


def advise_fresh(path: Path, priority: str) -> Advice:
    """advise on a freshly loaded rig (loading, resolving, building and tuning included)."""
    return Rig.from_path(path).advise(priority=priority)


def wide_rig(interfaces: int, amps: int) -> Rig:
    """A rig with many interfaces and amps (the catalog's, in turn) and two listeners."""
    catalog = default_catalog()
    kinds: dict[str, list[str]] = {"interface": [], "amp": []}
    for entry_id, entry in catalog.entries.items():
        if isinstance(entry, DeviceSpec) and entry.kind in kinds:
            kinds[entry.kind].append(entry_id)
    devices = {"laptop": "generic/laptop", "alice": "sennheiser/hd-600",
               "bob": "sennheiser/hd-600"}
    devices.update({f"if{i}": kinds["interface"][i % len(kinds["interface"])]
                    for i in range(interfaces)})
    devices.update({f"amp{i}": kinds["amp"][i % len(kinds["amp"])] for i in range(amps)})
    return Rig.from_dict({"signalchain": 1, "devices": devices, "connections": []})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--wide", type=int, nargs=2, metavar=("N", "M"))
    parser.add_argument("--limit", type=int, default=limits.DEFAULT.advise_candidates)
    args = parser.parse_args()
    rig = example_path("01")
    tuned = Rig.from_path(rig)
    tuned.tune()  # warm-up (and the solve)
    print(figures(f"tune   {rig.name}", timed(tuned.tune, 10), 0.1, 1e3, " ms"))
    tree = Rig.from_dict(tree_rig(16))
    tree.tune()
    print(figures("tune   amp tree, 16 listeners", timed(tree.tune, args.repeat), 1.0, 1e3,
                  " ms"))
    for priority in ("quality", "convenience"):
        n = len(Rig.from_path(rig).advise(priority=priority))
        times = timed(partial(advise_fresh, rig, priority), args.repeat)
        print(figures(f"advise {rig.name} ({priority}, {n} methods)", times, 1.0, 1.0, " s"))
    if args.wide:
        n_if, n_amp = args.wide
        bounds = limits.DEFAULT.with_values({"advise-candidates": str(args.limit)})
        with limits.using(bounds):
            n = len(wide_rig(n_if, n_amp).advise())
            times = timed(lambda: wide_rig(n_if, n_amp).advise(), 1)
        print(figures(f"advise {n_if} interfaces x {n_amp} amps ({n} methods)", times, 2.0,
                      1.0, " s"))


if __name__ == "__main__":
    main()

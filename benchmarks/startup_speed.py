"""How long a whole ``signalchain`` command takes, start to exit (issue 14, "instant start").

Targets: ``signalchain check examples/01-*.yaml`` under 0.3 s and ``signalchain simulate``
under 0.5 s. Each is run as a fresh process (``python -m signalchain``) several times, after
one warm-up run of each (which keeps the parsed bundled catalog, see
:mod:`signalchain.catalog.cache`, and writes the ``.pyc`` files an installed package has).
The table shows wall time and CPU time (user + system of the child, from ``os.wait4``),
min / median / max, beside the floor every command pays: ``python -c "import numpy"``,
timed in the same rounds, interleaved with the commands. On a machine shared with other work
the absolute figures move; the ratios to the floor hold better.

``PYTHONDONTWRITEBYTECODE`` is removed from the children's environment (a set one would
make every run compile signalchain's sources again, which no installed copy does); the
cache folder is the usual one (``SIGNALCHAIN_CACHE`` if set).

Run ``python benchmarks/startup_speed.py`` (``--repeat N``, ``--rig FILE``); from a checkout
without an installed copy, ``PYTHONPATH=src``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPEAT = 7
ROOT = Path(__file__).resolve().parent.parent
RIG = ROOT / "examples" / "01-headphone-out-to-splitter.yaml"
TARGETS = {"check": 0.3, "simulate": 0.5}
"""Seconds per whole command (issue 14)."""


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run(argv: list[str]) -> tuple[float, float]:
    """Run a command once: (wall seconds, CPU seconds of the child). Fails on a non-zero exit."""
    with tempfile.TemporaryFile() as errors:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=errors, env=_env())
        _pid, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            errors.seek(0)
            sys.exit(f"{' '.join(argv)} exited {proc.returncode}:\n"
                     f"{errors.read().decode(errors='replace')}")
    return wall, usage.ru_utime + usage.ru_stime


def _spread(values: list[float]) -> str:
    return (f"{min(values):5.2f} {statistics.median(values):5.2f} {max(values):5.2f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=REPEAT, help="runs per command")
    parser.add_argument("--rig", type=Path, default=RIG, help="the rig file")
    args = parser.parse_args()
    commands = {"import numpy": [sys.executable, "-c", "import numpy"],
                "check": [sys.executable, "-m", "signalchain", "check", str(args.rig)],
                "simulate": [sys.executable, "-m", "signalchain", "simulate", str(args.rig)]}
    for argv in commands.values():  # warm-up: the kept catalog, .pyc files
        run(argv)
    times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
    for _ in range(args.repeat):  # interleaved, so every command sees the same neighbours
        for name, argv in commands.items():
            times[name].append(run(argv))

    floor = statistics.median(cpu for _wall, cpu in times["import numpy"])
    floor_wall = statistics.median(wall for wall, _cpu in times["import numpy"])
    print(f"{args.repeat} runs each, {args.rig.name}")
    print(f"{'command':14s} {'wall s (min med max)':>20s} {'CPU s (min med max)':>20s} "
          f"{'x floor':>8s} {'target':>7s}  verdict (median wall / CPU)")
    for name, rows in times.items():
        walls, cpus = [w for w, _c in rows], [c for _w, c in rows]
        ratio = statistics.median(cpus) / floor if floor > 0 else float("nan")
        target = TARGETS.get(name)
        if target is None:
            verdict, shown = "the floor every command pays", ""
        else:
            verdict = " / ".join("OK" if statistics.median(v) < target else "over"
                                 for v in (walls, cpus))
            shown = f"{target:.1f} s"
        print(f"{name:14s} {_spread(walls):>20s} {_spread(cpus):>20s} {ratio:8.1f} "
              f"{shown:>7s}  {verdict}")
    print(f"floor: import numpy, median {floor_wall:.2f} s wall, {floor:.2f} s CPU")


if __name__ == "__main__":
    main()

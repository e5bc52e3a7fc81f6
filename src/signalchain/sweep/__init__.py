"""``sweep``: many simulations of one rig at once (knobs, lengths, environment, devices).

The points are a grid (every combination of the variables' values) or ``random`` draws.
Points that share their circuit (the same lengths, environment and devices: only knobs
differ) are grouped, so each circuit is built and solved once and every knob setting on it
is an evaluation of the solved graph. The result is data: one :class:`SweepRow` per point
and listener with every figure ``simulate`` reports for that listener.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from signalchain.errors import Diagnostic, RigError, UsageError
from signalchain.gcpause import gc_paused
from signalchain.sweep.vary import Variable, parse_vary
from signalchain.threads import on_solver_threads

if TYPE_CHECKING:
    from signalchain.results import ListenerFigures
    from signalchain.rig import Rig

__all__ = ["MAX_POINTS", "SweepResult", "SweepRow", "Variable", "parse_vary", "points",
           "sweep"]

CHUNK_POINTS = 256
"""Points per task sent to an executor: enough that scheduling costs little next to them."""
MAX_POINTS = 100_000
"""Points one sweep may have (each is a simulation; a grid over that: use ``random``)."""
Value = float | str
Point = tuple[Value, ...]


@dataclass(frozen=True)
class SweepRow:
    """One listener at one point of the sweep."""

    point: int
    values: tuple[Value, ...]
    """The variables' values at this point, in the sweep's variable order."""
    listener: str
    program_spl_db: float
    peak_spl_db: float
    noise_spl_dba: float
    hum_spl_dba: float
    clips_at_dbfs: float | None
    clip_stage: str | None
    ears: dict[str, dict[str, float]]
    """Per ear (``left``, ``right``): each program channel's level there, dB SPL."""
    findings: tuple[str, ...]
    """The codes of the listener's findings at this point."""


@dataclass(frozen=True)
class SweepResult:
    """A finished sweep: its variables and its rows (point by point, listener by listener)."""

    variables: tuple[Variable, ...]
    rows: tuple[SweepRow, ...]


def points(variables: Sequence[Variable], random: int | None = None, seed: int = 0
           ) -> list[Point]:
    """Every combination of the values, or ``random`` points drawn from them.

    Random draws are uniform over a numeric range (log-uniform for ``:log``), over the
    listed values otherwise; the same seed gives the same points.

    Raises
    ------
    UsageError
        For more than :data:`MAX_POINTS` points.
    """
    if random is not None:
        from signalchain.render.run import seed_problem

        problem = seed_problem(seed)
        if problem is not None:
            raise UsageError([problem])
        if not 1 <= random <= MAX_POINTS:
            raise UsageError([Diagnostic("error", f"--random {random}: 1 to {MAX_POINTS} "
                                         "points", code="bad-option")])
        rng = np.random.default_rng(seed)
        columns: list[list[Value]] = []
        for var in variables:
            if var.ranged:
                nums = [float(x) for x in var.values]
                lo, hi = min(nums), max(nums)
                draw = (np.exp(rng.uniform(math.log(lo), math.log(hi), random)) if var.log
                        else rng.uniform(lo, hi, random))
                columns.append([float(x) for x in draw])
            else:
                columns.append([var.values[int(i)]
                                for i in rng.integers(len(var.values), size=random)])
        return [tuple(col[i] for col in columns) for i in range(random)]
    count = math.prod(len(v.values) for v in variables)
    if count > MAX_POINTS:
        raise UsageError([Diagnostic(
            "error", f"the grid has {count} points; a sweep takes at most {MAX_POINTS}",
            hint="use fewer values, or --random N to draw N points", code="too-many-points")])
    return list(itertools.product(*(v.values for v in variables)))


def _structure(variables: Sequence[Variable], point: Point) -> tuple[Value, ...]:
    return tuple(v for var, v in zip(variables, point, strict=True) if var.structural)


def _circuit(rig: Rig, variables: Sequence[Variable], point: Point) -> Rig:
    """The rig with this point's lengths, environment and devices."""
    data = rig.to_dict()
    for var, value in zip(variables, point, strict=True):
        if var.kind == "length":
            index = int(var.target[1:].partition(".")[0]) - 1
            data["connections"][index] = {**data["connections"][index],
                                          "length": f"{value} m"}
        elif var.kind == "environment":
            key = var.target.partition(".")[2]
            data.setdefault("environment", {})[key] = (int(value) if key == "mains_hz"
                                                       else f"{value} V")
        elif var.kind == "device":
            old = data["devices"][var.target]
            keep = {k: old[k] for k in ("knobs", "settings", "outlet", "name")
                    if isinstance(old, dict) and k in old}
            new = rig.catalog.device(str(value))
            if "knobs" in keep and new is not None:  # the knobs the new model has too
                keep["knobs"] = {k: v for k, v in keep["knobs"].items() if k in new.knobs}
            data["devices"][var.target] = {"model": value, **keep} if keep else value
    from signalchain.rig import Rig

    return Rig.from_dict(data, rig.doc.filename, rig.catalog)


def _knobs(known: Mapping[str, float], variables: Sequence[Variable], point: Point
           ) -> dict[str, float]:
    return {var.target: float(v) for var, v in zip(variables, point, strict=True)
            if var.kind == "knob" and var.target in known}


def _row(index: int, point: Point, lf: ListenerFigures) -> SweepRow:
    ears = {side: {c.channel: c.spl_db for c in ear.program if not c.crosstalk}
            for side, ear in lf.ears.items()}
    return SweepRow(index, point, lf.id, lf.program_spl_db, lf.peak_spl_db, lf.noise_spl_dba,
                    lf.hum_spl_dba, lf.clips_at_dbfs, lf.clip_stage, ears,
                    tuple(w.code for w in lf.warnings))


@on_solver_threads
def _run_chunk(rig: Rig, variables: Sequence[Variable], chunk: Sequence[tuple[int, Point]],
               listeners: Sequence[str] | None) -> list[SweepRow]:
    """Simulate a run of points that share one circuit (a task for an executor)."""
    try:
        circuit = (_circuit(rig, variables, chunk[0][1])
                   if any(v.structural for v in variables) else rig)
        circuit.graph  # noqa: B018 -- a swap that does not fit fails here, not mid-way
    except RigError as exc:
        where = ", ".join(f"{v.target}={x}" for v, x in zip(variables, chunk[0][1],
                                                            strict=True) if v.structural)
        raise RigError([Diagnostic(
            "error", f"the sweep's circuit at {where} cannot be built (the rig's wiring "
            "does not fit it):", hint="leave that value out; 'signalchain shop' rewires "
            "each candidate as advise would", code="sweep-point"), *exc.diagnostics]
        ) from None
    known = circuit.knobs
    with gc_paused():  # see gcpause: the rows are many small objects, in no cycle
        figures = circuit.simulate_many([_knobs(known, variables, p) for _i, p in chunk])
        return [_row(i, point, lf) for (i, point), lfs in zip(chunk, figures, strict=True)
                for lf in lfs if not listeners or lf.id in listeners]


def _chunks(variables: Sequence[Variable], pts: Sequence[Point], size: int
            ) -> list[list[tuple[int, Point]]]:
    """The points grouped by circuit, each group cut into runs of at most ``size``."""
    groups: dict[tuple[Value, ...], list[tuple[int, Point]]] = {}
    for i, p in enumerate(pts):
        groups.setdefault(_structure(variables, p), []).append((i, p))
    return [group[k:k + size] for group in groups.values()
            for k in range(0, len(group), size)]


def sweep(rig: Rig, variables: Sequence[Variable], *, random: int | None = None,
          seed: int = 0, listeners: Sequence[str] | None = None,
          executor: Executor | None = None, chunk_points: int = CHUNK_POINTS) -> SweepResult:
    """Simulate the rig at every point of the variables' grid (or ``random`` points).

    Parameters
    ----------
    rig : Rig
        The rig (its own knob positions are the starting point).
    variables : sequence of Variable
        What varies (:func:`~signalchain.sweep.vary.parse_vary`).
    random : int, optional
        Draw this many points instead of the full grid.
    seed : int
        Seed of the random draws.
    listeners : sequence of str, optional
        Report only these listeners.
    executor : concurrent.futures.Executor, optional
        Where to run the work: None runs it here; a ``ProcessPoolExecutor`` on local
        processes; ``dask.distributed.Client(...).get_executor()`` on a Dask cluster. The
        points go out in runs of ``chunk_points`` that share one circuit, and the rows are
        the same whatever runs them.

    Raises
    ------
    RigError
        If a point's circuit cannot be built (a swapped device whose ports do not fit).
    """
    if listeners:
        unknown = [w for w in listeners if w not in rig.listeners]
        if unknown:
            raise UsageError([Diagnostic("error", f"no listener {unknown[0]!r}", hint=(
                "the rig's listeners: " + ", ".join(rig.listeners)), code="bad-listener")])
    pts = points(variables, random, seed)
    names = tuple(listeners) if listeners else None
    rows: list[SweepRow] = []
    if executor is None:
        # one run per circuit here: splitting it would only solve the circuit again
        for chunk in _chunks(variables, pts, len(pts) or 1):
            rows.extend(_run_chunk(rig, variables, chunk, names))
    else:
        # a task that builds its own circuit gets the rig without the solved one
        payload = rig.unsolved() if any(v.structural for v in variables) else rig
        futures = [executor.submit(_run_chunk, payload, tuple(variables), chunk, names)
                   for chunk in _chunks(variables, pts, max(1, chunk_points))]
        for future in futures:
            rows.extend(future.result())
    rows.sort(key=lambda r: r.point)
    return SweepResult(tuple(variables), tuple(rows))

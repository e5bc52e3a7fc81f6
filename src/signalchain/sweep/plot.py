"""A sweep as a line chart: one figure against the first varied quantity.

One line per listener when one quantity varies; with two, one line per value of the second
quantity (for one listener). The chart is :mod:`signalchain.draw.chart`'s hand-drawn SVG.
"""

from __future__ import annotations

import math

from signalchain.draw.chart import Chart, Series
from signalchain.errors import Diagnostic, UsageError
from signalchain.sweep import SweepResult

METRICS = {"program_spl_db": "program level (dB SPL)", "peak_spl_db": "peaks (dB SPL)",
           "noise_spl_dba": "hiss (dBA)", "hum_spl_dba": "hum (dBA)",
           "clips_at_dbfs": "clips at (dBFS)"}
"""What a sweep can plot, with its axis label."""
COLOURS = ("#1f6fd1", "#c0392b", "#2e8b57", "#8e44ad", "#e07b00", "#16a085", "#7f8c8d",
           "#d35400")
MAX_LINES = 8


def sweep_svg(result: SweepResult, metric: str = "noise_spl_dba",
              listener: str | None = None) -> str:
    """The sweep's chart as SVG text.

    Raises
    ------
    UsageError
        For an unknown metric, a first quantity that is not numeric, or more than two
        varied quantities.
    """
    if metric not in METRICS:
        raise UsageError([Diagnostic("error", f"--metric {metric!r} cannot be plotted",
                                     hint="one of " + ", ".join(METRICS), code="bad-option")])
    variables = result.variables
    if not 1 <= len(variables) <= 2 or not variables[0].numeric:
        raise UsageError([Diagnostic(
            "error", "a plot needs one or two varied quantities, the first a number (a knob, "
            "a length, the environment)", hint="write the table only (--out), or vary less",
            code="bad-plot")])
    x_var = variables[0]
    unit = f" ({x_var.unit})" if x_var.unit else " (position)"
    who = listener or (result.rows[0].listener if result.rows else "")
    y_label = METRICS[metric] + (f" at {who}'s ears" if len(variables) == 2 else "")
    chart = Chart(x_var.target + unit, y_label, log_x=x_var.log)
    lines: dict[str, list[tuple[float, float]]] = {}
    for row in result.rows:
        if len(variables) == 1:
            key = row.listener
        elif row.listener == who:
            second = row.values[1]
            key = f"{variables[1].target}={second:g}" if isinstance(second, float) \
                else f"{variables[1].target}={second}"
        else:
            continue
        value = getattr(row, metric)
        lines.setdefault(key, []).append((float(row.values[0]),
                                          math.nan if value is None else float(value)))
    for i, (label, pts) in enumerate(list(lines.items())[:MAX_LINES]):
        pts.sort()
        chart.series.append(Series([x for x, _ in pts], [y for _, y in pts],
                                    COLOURS[i % len(COLOURS)], label, f"s{i}", marker="dot"))
    return chart.svg("sweep")

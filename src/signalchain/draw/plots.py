"""The report's plots as inline SVG (data from :mod:`signalchain.curves`).

Hiss against the interface knob at equal loudness, hum against cable length, and each ear's
frequency response, drawn with :mod:`signalchain.draw.chart`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from signalchain import thresholds as th
from signalchain.draw.chart import Chart, Rule, Series

if TYPE_CHECKING:
    from signalchain.results import Evaluation
    from signalchain.rig import Rig

SIDE_COLOURS = {"left": "#1f6fd1", "right": "#d1331f"}
CABLE_COLOURS = ("#1d232b", "#2b8a3e", "#7a3fb8")
BEST = "#2b8a3e"
LISTENER_COLOURS = ("#1f6fd1", "#d1331f", "#2b8a3e", "#7a3fb8", "#e07b00", "#1d232b")
GUIDE = "#9aa1ab"
NOW = "#e07b00"


def hiss_vs_knob_svg(rig: Rig, evaluation: Evaluation, listener: str, *,
                     id_prefix: str = "hs") -> str | None:
    """Hiss at equal loudness against the first knob on the path; None with one knob."""
    from signalchain.curves import hiss_vs_knob

    sweep = hiss_vs_knob(rig, evaluation, listener)
    if sweep is None or not sweep.reachable.any():
        return None
    x = [float(v) for v in sweep.positions * 100]
    hiss = [float(v) for v in sweep.hiss_dba]
    usable = sweep.reachable & ~sweep.clips
    chart = Chart(f"{sweep.knob} (%), {sweep.follower} set for {sweep.target_spl_db:g} dB SPL",
                  "hiss at the ear (dBA)", x_range=(0.0, 100.0))
    chart.series.append(Series([v for v, ok in zip(x, usable, strict=True) if ok],
                               [h for h, ok in zip(hiss, usable, strict=True) if ok],
                               "#1d232b", "hiss at the ear", "hiss", marker="dot"))
    if sweep.clips.any():
        chart.series.append(Series([v for v, c in zip(x, sweep.clips, strict=True) if c],
                                   [h for h, c in zip(hiss, sweep.clips, strict=True) if c],
                                   "#b00020", "music peaks clip", "clipping", line=False,
                                   marker="cross"))
    best = sweep.best
    if best is not None:
        chart.series.append(Series(
            [x[best]], [hiss[best]], BEST, f"least hiss: {sweep.knob} {x[best]:.0f} %, "
            f"{sweep.follower} {sweep.follower_positions[best] * 100:.0f} %", "best",
            line=False, marker="star"))
    now = evaluation.knobs.get(sweep.knob)
    if now is not None:
        chart.rules.append(Rule(now * 100, True, NOW, f"rig file: {now * 100:.0f} %", "now"))
    chart.rules.append(Rule(th.HISS_AUDIBLE_DBA, False, GUIDE,
                            f"audible from {th.HISS_AUDIBLE_DBA:g} dBA", "audible", "2 3"))
    return chart.svg(id_prefix)


def hum_vs_length_svg(rig: Rig, evaluation: Evaluation, *, id_prefix: str = "hm"
                      ) -> str | None:
    """Hum against cable length between earthed devices; None if there is no such link."""
    from signalchain.curves import hum_vs_length

    sweep = hum_vs_length(rig, evaluation)
    if sweep is None:
        return None
    lengths = [float(v) for v in sweep.lengths_m]
    chart = Chart(f"length of {sweep.cable_id} (m)", f"hum at {sweep.listener}'s ear (dBA)",
                  log_x=True, x_range=(min(lengths), max(lengths)))
    for i, (item, hum) in enumerate(sweep.hum_dba.items()):
        written = " (as written)" if item == sweep.written else ""
        chart.series.append(Series(lengths, [float(v) for v in hum], CABLE_COLOURS[i % 3],
                                   f"{item}{written}", f"hum-{i}", marker="dot"))
    chart.rules.append(Rule(th.HUM_AUDIBLE_DBA, False, GUIDE,
                            f"audible from {th.HUM_AUDIBLE_DBA:g} dBA", "audible", "2 3"))
    chart.rules.append(Rule(4.6, True, NOW, "15 ft", "15ft"))
    return chart.svg(id_prefix)


def response_svg(rig: Rig, evaluation: Evaluation, *, id_prefix: str = "fr") -> str | None:
    """Every listener's ears: level against frequency, relative to 1 kHz (one line each).

    None for a rig without listeners.
    """
    from signalchain.curves import ear_responses

    if not evaluation.listeners:
        return None
    chart = Chart("frequency (Hz)", "level re 1 kHz (dB)", log_x=True,
                  x_range=(20.0, 20000.0))
    for i, lf in enumerate(evaluation.listeners):
        freqs, sides = ear_responses(rig, evaluation, lf.id)
        for side, level in sides.items():
            ok = np.isfinite(level)
            if not ok.any():
                continue
            chart.series.append(Series(
                [float(f) for f in freqs[ok]], [float(v) for v in level[ok]],
                LISTENER_COLOURS[i % 6], f"{lf.id} {side}", f"response-{lf.id}-{side}",
                dash="" if side == "left" else "5 3"))
    return chart.svg(id_prefix)

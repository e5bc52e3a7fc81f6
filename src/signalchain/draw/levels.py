"""The level diagram of one listener's path (RaneNote 135 style), as inline SVG.

One bar per stage, from its noise floor to its clip point (:mod:`signalchain.levels`); the
program's average and peaks are drawn through the bars, so the headroom above the peaks and
the margin above the noise show at a glance. Bars whose peaks clip are red.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from signalchain.draw.mpl import figure, to_svg

if TYPE_CHECKING:
    from signalchain.results import Evaluation
    from signalchain.rig import Rig

WINDOW = "#dfe9f6"
WINDOW_EDGE = "#7f9cc0"
CLIPPING = "#f6d9d9"
AVERAGE = "#1f6fd1"
PEAK = "#e07b00"
NOISE = "#6b7380"
FLOOR_DBU = -130.0
"""Where a bar with no noise at all starts."""


def level_diagram_svg(rig: Rig, evaluation: Evaluation, listener_id: str, *,
                      id_prefix: str = "lv") -> str:
    """The level diagram of one listener as SVG text to inline (deterministic).

    Parameters
    ----------
    rig : Rig
        The rig.
    evaluation : Evaluation
        Its simulation.
    listener_id : str
        Whose path.
    id_prefix : str
        Prefix of every element id.
    """
    from signalchain.levels import level_windows

    windows = level_windows(rig, evaluation, listener_id)
    xs = list(range(len(windows)))
    with figure(5.6, 3.4) as (fig, ax):
        for x, w in zip(xs, windows, strict=True):
            bottom = w.noise_dbu if math.isfinite(w.noise_dbu) else FLOOR_DBU
            top = w.clip_dbu if w.clip_dbu is not None else max(w.peak_dbu + 6.0, bottom)
            clips = w.headroom_db is not None and w.headroom_db < 0
            ax.bar(x, top - bottom, bottom=bottom, width=0.55,
                   color=CLIPPING if clips else WINDOW, edgecolor=WINDOW_EDGE,
                   linewidth=0.8, gid=f"window-{x}", hatch=None if w.clip_dbu is not None
                   else "///")
            if w.headroom_db is not None:
                ax.annotate(f"{w.headroom_db:+.0f} dB", (x, top), textcoords="offset points",
                            xytext=(0, 3), ha="center", fontsize=7.5, color="#3b434d")
            ax.annotate(f"{w.noise_margin_db:.0f} dB", (x + 0.3, (w.average_dbu + bottom) / 2),
                        fontsize=7, color=NOISE, rotation=90, va="center")
        ax.plot(xs, [w.average_dbu for w in windows], "-o", color=AVERAGE, markersize=3.5,
                linewidth=1.6, label="average (−18 dBFS)", gid="average")
        ax.plot(xs, [w.peak_dbu for w in windows], "--", color=PEAK, linewidth=1.3,
                label="peaks (+12 dB)", gid="peaks")
        ax.plot(xs, [w.noise_dbu if math.isfinite(w.noise_dbu) else FLOOR_DBU
                     for w in windows], ":", color=NOISE, linewidth=1.2,
                label="noise (dBA)", gid="noise")
        ax.set_xticks(xs, [w.stage.replace(".", ".\n", 1) for w in windows], fontsize=8)
        ax.set_ylabel("level at the stage (dBu)")
        ax.set_xlim(-0.6, len(windows) - 0.4)
        lows = [w.noise_dbu for w in windows if math.isfinite(w.noise_dbu)]
        ax.set_ylim(min(lows, default=FLOOR_DBU) - 8, max(
            [w.clip_dbu for w in windows if w.clip_dbu is not None]
            + [w.peak_dbu for w in windows]) + 10)
        fig.legend(loc="outside lower center", ncols=3, fontsize=7.5)
        ax.set_title("bars: noise floor to clipping · above: headroom over the peaks · "
                     "beside: margin over the noise", loc="left", fontsize=7.5, color="#5b6470")
        return to_svg(fig, id_prefix)

"""The report's plots as inline SVG (data from :mod:`signalchain.curves`).

Hiss against the interface knob at equal loudness, hum against cable length, and each ear's
frequency response.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from signalchain import thresholds as th
from signalchain.draw.mpl import figure, legend_below, to_svg

if TYPE_CHECKING:
    from signalchain.results import Evaluation
    from signalchain.rig import Rig

SIDE_COLOURS = {"left": "#1f6fd1", "right": "#d1331f"}
CABLE_COLOURS = ("#1d232b", "#2b8a3e", "#7a3fb8")
BEST = "#2b8a3e"
LISTENER_COLOURS = ("#1f6fd1", "#d1331f", "#2b8a3e", "#7a3fb8", "#e07b00", "#1d232b")


def hiss_vs_knob_svg(rig: Rig, evaluation: Evaluation, listener: str, *,
                     id_prefix: str = "hs") -> str | None:
    """Hiss at equal loudness against the first knob on the path; None with one knob."""
    from signalchain.curves import hiss_vs_knob

    sweep = hiss_vs_knob(rig, evaluation, listener)
    if sweep is None or not sweep.reachable.any():
        return None
    x = sweep.positions * 100
    with figure(5.0, 3.0) as (fig, ax):
        usable = sweep.reachable & ~sweep.clips
        ax.plot(x[sweep.reachable], sweep.hiss_dba[sweep.reachable], "-", color="#9aa1ab",
                linewidth=1.2, gid="hiss-all")
        ax.plot(x[usable], sweep.hiss_dba[usable], "o-", color="#1d232b", markersize=3,
                linewidth=1.6, label="hiss at the ear", gid="hiss")
        if sweep.clips.any():
            ax.plot(x[sweep.clips], sweep.hiss_dba[sweep.clips], "x", color="#b00020",
                    label="music peaks clip", gid="clipping")
        best = sweep.best
        if best is not None:
            ax.plot([x[best]], [sweep.hiss_dba[best]], "*", color=BEST, markersize=13,
                    label=f"least hiss: {sweep.knob} {x[best]:.0f} %, {sweep.follower} "
                          f"{sweep.follower_positions[best] * 100:.0f} %", gid="best")
        now = evaluation.knobs.get(sweep.knob)
        if now is not None:
            ax.axvline(now * 100, color="#e07b00", linestyle="--", linewidth=1,
                       label=f"rig file: {now * 100:.0f} %", gid="now")
        ax.axhline(th.HISS_AUDIBLE_DBA, color="#9aa1ab", linestyle=":", linewidth=1,
                   label=f"audible from {th.HISS_AUDIBLE_DBA:g} dBA", gid="audible")
        ax.set_xlabel(f"{sweep.knob} (%), {sweep.follower} set for "
                      f"{sweep.target_spl_db:g} dB SPL")
        ax.set_ylabel("hiss at the ear (dBA)")
        ax.set_xlim(0, 103)
        legend_below(fig, ax, 2)
        return to_svg(fig, id_prefix)


def hum_vs_length_svg(rig: Rig, evaluation: Evaluation, *, id_prefix: str = "hm"
                      ) -> str | None:
    """Hum against cable length between earthed devices; None if there is no such link."""
    from signalchain.curves import hum_vs_length

    sweep = hum_vs_length(rig, evaluation)
    if sweep is None:
        return None
    with figure(5.0, 3.0) as (fig, ax):
        for i, (item, hum) in enumerate(sweep.hum_dba.items()):
            written = " (as written)" if item == sweep.written else ""
            ax.semilogx(sweep.lengths_m, hum, "o-", color=CABLE_COLOURS[i % 3], markersize=3,
                        label=f"{item}{written}", gid=f"hum-{i}")
        ax.axhline(th.HUM_AUDIBLE_DBA, color="#9aa1ab", linestyle=":", linewidth=1,
                   label=f"audible from {th.HUM_AUDIBLE_DBA:g} dBA", gid="audible")
        ax.axvline(4.6, color="#e07b00", linestyle="--", linewidth=1, label="15 ft",
                   gid="15ft")
        ax.set_xlabel(f"length of {sweep.cable_id} (m)")
        ax.set_ylabel(f"hum at {sweep.listener}'s ear (dBA)")
        legend_below(fig, ax, 2)
        return to_svg(fig, id_prefix)


def response_svg(rig: Rig, evaluation: Evaluation, *, id_prefix: str = "fr") -> str | None:
    """Every listener's ears: level against frequency, relative to 1 kHz (one line each).

    None for a rig without listeners.
    """
    from signalchain.curves import ear_responses

    if not evaluation.listeners:
        return None

    with figure(5.6, 3.2) as (fig, ax):
        lows, highs = [-1.0], [1.0]
        for i, lf in enumerate(evaluation.listeners):
            freqs, sides = ear_responses(rig, evaluation, lf.id)
            for side, level in sides.items():
                ok = np.isfinite(level)
                if not ok.any():
                    continue
                ax.semilogx(freqs[ok], level[ok], color=LISTENER_COLOURS[i % 6],
                            linestyle="-" if side == "left" else "--", linewidth=1.5,
                            label=f"{lf.id} {side}", gid=f"response-{lf.id}-{side}")
                lows.append(float(level[ok].min()))
                highs.append(float(level[ok].max()))
        ax.set_xlim(20, 20000)
        ax.set_ylim(min(lows) - 1, max(highs) + 1)
        ax.set_xlabel("frequency (Hz)")
        ax.set_ylabel("level re 1 kHz (dB)")
        legend_below(fig, ax, 4)
        return to_svg(fig, id_prefix)

"""The level diagram of one listener's path (RaneNote 135 style), as inline SVG.

One bar per stage, from its noise floor to its clip point (:mod:`signalchain.levels`); the
program's average and peaks are drawn through the bars, so the headroom above the peaks and
the margin above the noise show at a glance. Bars whose peaks clip are red; a bar with no
clip point (headphones with no power rating) is hatched at the top. Hand-written SVG: it is
simple geometry, and a report has one per listener.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING
from xml.sax.saxutils import escape, quoteattr

if TYPE_CHECKING:
    from signalchain.levels import LevelWindow
    from signalchain.results import Evaluation
    from signalchain.rig import Rig

WINDOW = "#dfe9f6"
WINDOW_EDGE = "#7f9cc0"
CLIPPING = "#f6d9d9"
CLIPPING_EDGE = "#b00020"
AVERAGE = "#1f6fd1"
PEAK = "#e07b00"
NOISE = "#6b7380"
FLOOR_DBU = -130.0
"""Where a bar with no noise at all starts."""
WIDTH, HEIGHT = 600, 330
LEFT, RIGHT, TOP, BOTTOM = 58, 14, 30, 92
GRID_DB = 20


def _range(windows: tuple[LevelWindow, ...]) -> tuple[float, float]:
    lows = [w.noise_dbu for w in windows if math.isfinite(w.noise_dbu)] or [FLOOR_DBU]
    highs = [w.clip_dbu for w in windows if w.clip_dbu is not None]
    highs += [w.peak_dbu for w in windows if math.isfinite(w.peak_dbu)]
    highs = [h for h in highs if math.isfinite(h)] or [0.0]
    low = math.floor((min(lows) - 8) / GRID_DB) * GRID_DB
    high = math.ceil((max(highs) + 8) / GRID_DB) * GRID_DB
    return low, high


class _Axes:
    def __init__(self, low: float, high: float, count: int):
        self.low, self.high, self.count = low, high, count

    def y(self, dbu: float) -> float:
        span = HEIGHT - TOP - BOTTOM
        clamped = min(max(dbu, self.low), self.high)
        return TOP + span * (self.high - clamped) / (self.high - self.low)

    def x(self, i: int) -> float:
        step = (WIDTH - LEFT - RIGHT) / self.count
        return LEFT + step * (i + 0.5)

    @property
    def bar_w(self) -> float:
        return min(70.0, (WIDTH - LEFT - RIGHT) / self.count * 0.5)


def _grid(ax: _Axes) -> list[str]:
    out = []
    level = ax.low
    while level <= ax.high + 1e-9:
        y = ax.y(level)
        out.append(f'<line x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}" '
                   'stroke="#e3e7ec" stroke-width="0.8"/>'
                   f'<text x="{LEFT - 6}" y="{y + 3.5:.1f}" text-anchor="end" font-size="10" '
                   f'fill="#3b434d">{level:+.0f}</text>')
        level += GRID_DB
    mid = (TOP + HEIGHT - BOTTOM) / 2
    out.append(f'<text x="14" y="{mid:.0f}" font-size="10" fill="#3b434d" '
               f'transform="rotate(-90 14 {mid:.0f})" text-anchor="middle">'
               'level at the stage (dBu)</text>')
    return out


def _bar(ax: _Axes, i: int, w: LevelWindow, prefix: str) -> list[str]:
    x, half = ax.x(i), ax.bar_w / 2
    bottom = w.noise_dbu if math.isfinite(w.noise_dbu) else FLOOR_DBU
    top = w.clip_dbu if w.clip_dbu is not None else max(w.peak_dbu + 6.0, bottom)
    clips = w.headroom_db is not None and w.headroom_db < 0
    fill, edge = (CLIPPING, CLIPPING_EDGE) if clips else (WINDOW, WINDOW_EDGE)
    y0, y1 = ax.y(top), ax.y(bottom)
    out = [f'<g id="{prefix}-window-{i}" class="window" data-stage={quoteattr(w.stage)}>',
           f'<rect x="{x - half:.1f}" y="{y0:.1f}" width="{ax.bar_w:.1f}" '
           f'height="{max(y1 - y0, 1):.1f}" fill="{fill}" stroke="{edge}" stroke-width="1"'
           + ('' if w.clip_dbu is not None else ' stroke-dasharray="4 3"') + '/>']
    if not math.isfinite(w.average_dbu):
        out.append(f'<text x="{x:.1f}" y="{y0 - 5:.1f}" text-anchor="middle" font-size="9" '
                   'fill="#5b6470">no signal</text>')
    elif w.headroom_db is not None:
        out.append(f'<text x="{x:.1f}" y="{y0 - 5:.1f}" text-anchor="middle" font-size="10" '
                   f'fill="{edge if clips else "#1d232b"}">{w.headroom_db:+.0f} dB</text>')
    else:
        out.append(f'<text x="{x:.1f}" y="{y0 - 5:.1f}" text-anchor="middle" font-size="9" '
                   'fill="#5b6470">no rating</text>')
    ym = (ax.y(w.average_dbu) + y1) / 2
    if math.isfinite(w.noise_margin_db):
        out.append(f'<text x="{x + half + 4:.1f}" y="{ym:.1f}" font-size="9" fill="{NOISE}" '
                   f'transform="rotate(-90 {x + half + 4:.1f} {ym:.1f})" text-anchor="middle" '
                   f'dy="8">{w.noise_margin_db:.0f} dB</text>')
    device, _, port = w.stage.partition(".")
    for k, line in enumerate((device, port)):
        out.append(f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16 + 12 * k}" '
                   f'text-anchor="middle" font-size="10" fill="#1d232b">{escape(line)}</text>')
    out.append("</g>")
    return out


def _line(ax: _Axes, values: list[float], colour: str, dash: str, name: str,
          prefix: str) -> str:
    points = " ".join(f"{ax.x(i):.1f},{ax.y(v if math.isfinite(v) else FLOOR_DBU):.1f}"
                      for i, v in enumerate(values))
    marks = "".join(f'<circle cx="{ax.x(i):.1f}" cy="{ax.y(v):.1f}" r="2.6" fill="{colour}"/>'
                    for i, v in enumerate(values) if math.isfinite(v))
    return (f'<g id="{prefix}-{name}"><polyline points="{points}" fill="none" '
            f'stroke="{colour}" stroke-width="1.8"'
            + (f' stroke-dasharray="{dash}"' if dash else "") + f'/>{marks}</g>')


PROGRAM_LABEL = "average (−18 dBFS)"
SPEECH_LABEL = "average speech"


def _legend(prefix: str, average_label: str) -> str:
    items = [(AVERAGE, "", average_label), (PEAK, "6 3", "peaks (+12 dB)"),
             (NOISE, "2 3", "noise (A-weighted)")]
    y = HEIGHT - 22
    parts = [f'<g id="{prefix}-legend" font-size="10" fill="#1d232b">']
    x = LEFT
    for colour, dash, text in items:
        parts.append(f'<line x1="{x}" y1="{y - 3}" x2="{x + 24}" y2="{y - 3}" stroke="{colour}" '
                     'stroke-width="1.8"' + (f' stroke-dasharray="{dash}"' if dash else "")
                     + f'/><text x="{x + 30}" y="{y}">{escape(text)}</text>')
        x += 170
    parts.append(f'<text x="{LEFT}" y="{y + 15}" fill="#5b6470" font-size="9">bars: noise '
                 'floor to clip point · above: headroom over the peaks · beside: margin '
                 'over the noise</text></g>')
    return "".join(parts)


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

    return windows_svg(level_windows(rig, evaluation, listener_id),
                       "level diagram of " + listener_id, id_prefix, PROGRAM_LABEL)


def recording_diagram_svg(rig: Rig, evaluation: Evaluation, input_id: str, *,
                          id_prefix: str = "rv") -> str:
    """The level diagram of one recording input (microphone to converter) as SVG text."""
    from signalchain.levels import recording_windows

    return windows_svg(recording_windows(rig, evaluation, input_id),
                       "recording level diagram of " + input_id, id_prefix, SPEECH_LABEL)


def windows_svg(windows: tuple[LevelWindow, ...], label: str, id_prefix: str,
                average_label: str) -> str:
    """Level windows drawn as bars on one dBu axis, with average, peaks and noise lines."""
    ax = _Axes(*_range(windows), len(windows))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="levels" viewBox="0 0 {WIDTH} '
             f'{HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
             f'aria-label={quoteattr(label)} '
             'font-family="DejaVu Sans, Helvetica, Arial, sans-serif">']
    parts += _grid(ax)
    for i, w in enumerate(windows):
        parts += _bar(ax, i, w, id_prefix)
    parts.append(_line(ax, [w.noise_dbu for w in windows], NOISE, "2 3", "noise", id_prefix))
    parts.append(_line(ax, [w.peak_dbu for w in windows], PEAK, "6 3", "peaks", id_prefix))
    parts.append(_line(ax, [w.average_dbu for w in windows], AVERAGE, "", "average",
                       id_prefix))
    parts.append(_legend(id_prefix, average_label))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"

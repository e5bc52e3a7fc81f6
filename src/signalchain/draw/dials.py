"""A knob drawn as a dial: where it points, its percentage and its clock position.

Hand-written SVG (no plotting package). The dial has the usual 300° travel of a pot: fully
down points at 7 o'clock, half way at 12 and fully up at 5 o'clock (:data:`SWEEP_DEG`).
"""

from __future__ import annotations

import math
from xml.sax.saxutils import escape, quoteattr

from signalchain.units import clock_position

SWEEP_DEG = 300.0
"""A pot's travel: 0 % points 150° left of straight up (7 o'clock), 100 % 150° right (5),
as :func:`signalchain.units.clock_position` reads it."""
SIZE = 132


def _point(cx: float, cy: float, r: float, position: float) -> tuple[float, float]:
    angle = math.radians((position - 0.5) * SWEEP_DEG)
    return cx + r * math.sin(angle), cy - r * math.cos(angle)


def dial_svg(position: float, label: str, *, id_prefix: str = "dial") -> str:
    """SVG (for inline use) of a knob at ``position`` (0..1).

    Parameters
    ----------
    position : float
        The knob's position, 0 (fully down) to 1 (fully up).
    label : str
        What the knob is (``hm4.out1``); escaped, used as the picture's accessible name.
    id_prefix : str
        Unused by the drawing (it has no ids), kept so every picture function takes one.

    Returns
    -------
    str
        An ``<svg>`` element, the same text for the same arguments.
    """
    del id_prefix  # no element ids: nothing can collide when many dials share a page
    position = min(max(float(position), 0.0), 1.0)
    cx, cy, r = SIZE / 2, 58.0, 38.0
    x0, y0 = _point(cx, cy, r + 7, 0.0)
    x1, y1 = _point(cx, cy, r + 7, 1.0)
    xp, yp = _point(cx, cy, r + 7, position)
    large = 1 if position * SWEEP_DEG > 180 else 0
    xt, yt = _point(cx, cy, r - 8, position)
    ticks = "".join(
        f'<line x1="{_point(cx, cy, r + 3, t)[0]:.1f}" y1="{_point(cx, cy, r + 3, t)[1]:.1f}" '
        f'x2="{_point(cx, cy, r + 11, t)[0]:.1f}" y2="{_point(cx, cy, r + 11, t)[1]:.1f}" '
        'stroke="#8a8f98" stroke-width="1.2"/>' for t in (0, 0.25, 0.5, 0.75, 1.0))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="dial" viewBox="0 0 {SIZE} 140" '
        f'width="{SIZE}" height="140" role="img" '
        f'aria-label={quoteattr(f"{label} at {position:.0%}")} '
        f'data-position="{position:.4f}" '
        'font-family="DejaVu Sans, Helvetica, Arial, sans-serif">'
        f'<title>{escape(label)}: {position:.0%}, {clock_position(position)}</title>'
        f'{ticks}'
        f'<path d="M{x0:.1f},{y0:.1f} A{r + 7:.0f},{r + 7:.0f} 0 1 1 {x1:.1f},{y1:.1f}" '
        'fill="none" stroke="#e1e5ea" stroke-width="5" stroke-linecap="round"/>'
        + (f'<path d="M{x0:.1f},{y0:.1f} A{r + 7:.0f},{r + 7:.0f} 0 {large} 1 {xp:.1f},'
           f'{yp:.1f}" fill="none" stroke="#1f6fd1" stroke-width="5" '
           'stroke-linecap="round"/>' if position > 0.002 else "")
        + f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r:.0f}" fill="#2a3038"/>'
        f'<line x1="{cx:.1f}" y1="{cy:.1f}" x2="{xt:.1f}" y2="{yt:.1f}" stroke="#ffffff" '
        'stroke-width="4" stroke-linecap="round"/>'
        f'<text x="{cx:.1f}" y="{cy + r + 26:.1f}" text-anchor="middle" font-size="14" '
        f'font-weight="700" fill="#1d232b">{position:.0%}</text>'
        f'<text x="{cx:.1f}" y="{cy + r + 41:.1f}" text-anchor="middle" font-size="11" '
        f'fill="#5b6470">{escape(clock_position(position))}</text>'
        '</svg>')

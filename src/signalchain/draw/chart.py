"""A small line chart drawn as SVG by hand: axes, grid, lines, markers, reference lines, legend.

The report's plots need nothing more, and a plotting package would cost the report a second
of start-up; the SVG is small, byte-identical run to run, and its text is escaped here.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

WIDTH, HEIGHT = 540, 330
LEFT, RIGHT, TOP = 62, 16, 14
LEGEND_ROW_PX = 15
LEGEND_WIDE_CHARS = 38
"""A legend with a label longer than this is one column, not two."""
FONT = "DejaVu Sans, Helvetica, Arial, sans-serif"
Scale = Callable[[float], float]
"""Data value → pixel coordinate."""


@dataclass(frozen=True)
class Series:
    """One line (or set of markers) of a chart."""

    xs: Sequence[float]
    ys: Sequence[float]
    colour: str
    label: str
    gid: str
    dash: str = ""
    line: bool = True
    marker: str = ""
    """``""`` (none), ``"dot"``, ``"star"`` or ``"cross"``."""


@dataclass(frozen=True)
class Rule:
    """A horizontal (``at_y``) or vertical (``at_x``) reference line."""

    value: float
    vertical: bool
    colour: str
    label: str
    gid: str
    dash: str = "4 3"


@dataclass
class Chart:
    """A line chart; :meth:`svg` draws it."""

    x_label: str
    y_label: str
    log_x: bool = False
    x_range: tuple[float, float] | None = None
    series: list[Series] = field(default_factory=list)
    rules: list[Rule] = field(default_factory=list)

    def _points(self) -> tuple[list[float], list[float]]:
        xs = [x for s in self.series for x, y in zip(s.xs, s.ys, strict=True)
              if math.isfinite(x) and math.isfinite(y)]
        ys = [y for s in self.series for x, y in zip(s.xs, s.ys, strict=True)
              if math.isfinite(x) and math.isfinite(y)]
        ys += [r.value for r in self.rules if not r.vertical]
        return xs, ys

    def svg(self, id_prefix: str) -> str:
        """The chart as an inline ``<svg>`` element; every id starts with ``id_prefix``."""
        xs, ys = self._points()
        x_lo, x_hi = self.x_range or (min(xs, default=0.0), max(xs, default=1.0))
        y_lo, y_hi = _nice_range(min(ys, default=0.0), max(ys, default=1.0))
        labels = [s.label for s in self.series] + [r.label for r in self.rules]
        columns = 1 if any(len(label) > LEGEND_WIDE_CHARS for label in labels) else 2
        legend_rows = math.ceil(len(labels) / columns)
        bottom = 50 + LEGEND_ROW_PX * legend_rows
        plot_h = HEIGHT - TOP - bottom

        def px(x: float) -> float:
            if self.log_x:
                t = (math.log10(x) - math.log10(x_lo)) / (math.log10(x_hi) - math.log10(x_lo))
            else:
                t = (x - x_lo) / ((x_hi - x_lo) or 1.0)
            return LEFT + t * (WIDTH - LEFT - RIGHT)

        def py(y: float) -> float:
            return TOP + (y_hi - y) / ((y_hi - y_lo) or 1.0) * plot_h

        parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} '
                 f'{HEIGHT}" width="{WIDTH}" height="{HEIGHT}" font-family="{FONT}" '
                 f'font-size="10" id="{id_prefix}-chart">']
        parts += _axes(px, py, x_lo, x_hi, y_lo, y_hi, self.log_x, plot_h)
        parts.append(f'<text x="{(LEFT + WIDTH - RIGHT) / 2:.0f}" y="{TOP + plot_h + 32:.0f}" '
                     f'text-anchor="middle" fill="#1d232b">{escape(self.x_label)}</text>')
        mid = TOP + plot_h / 2
        parts.append(f'<text x="14" y="{mid:.0f}" transform="rotate(-90 14 {mid:.0f})" '
                     f'text-anchor="middle" fill="#1d232b">{escape(self.y_label)}</text>')
        for r in self.rules:
            parts.append(_rule(r, px, py, x_lo, x_hi, y_lo, y_hi, id_prefix))
        for s in self.series:
            parts.append(_series(s, px, py, id_prefix))
        parts.append(_legend(self.series, self.rules, TOP + plot_h + 46, id_prefix, columns))
        parts.append("</svg>")
        return "\n".join(parts) + "\n"


def _nice_step(span: float, target: int = 6) -> float:
    raw = span / target if span > 0 else 1.0
    power = 10.0 ** math.floor(math.log10(raw))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)


def _nice_range(lo: float, hi: float) -> tuple[float, float]:
    if hi - lo < 1.0:
        lo, hi = lo - 1.0, hi + 1.0
    step = _nice_step(hi - lo)
    return math.floor(lo / step) * step, math.ceil(hi / step) * step


def _log_ticks(lo: float, hi: float) -> list[float]:
    ticks = []
    for k in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        for m in (1, 2, 5):
            v = m * 10.0**k
            if lo * 0.999 <= v <= hi * 1.001:
                ticks.append(v)
    return ticks


def _tick_text(v: float) -> str:
    if abs(v) >= 1000:
        return f"{v / 1000:g}k"
    return f"{v:g}"


def _axes(px: Scale, py: Scale, x_lo: float, x_hi: float, y_lo: float, y_hi: float,
          log_x: bool, plot_h: float) -> list[str]:
    out = []
    step = _nice_step(y_hi - y_lo)
    y = y_lo
    while y <= y_hi + step / 1000:
        out.append(f'<line x1="{LEFT}" y1="{py(y):.1f}" x2="{WIDTH - RIGHT}" y2="{py(y):.1f}" '
                   'stroke="#e3e7ec"/>'
                   f'<text x="{LEFT - 5}" y="{py(y) + 3.5:.1f}" text-anchor="end" '
                   f'fill="#3b434d">{_tick_text(round(y, 6))}</text>')
        y += step
    if log_x:
        xticks = _log_ticks(x_lo, x_hi)
    else:
        xstep = _nice_step(x_hi - x_lo)
        xticks = [x_lo + i * xstep for i in range(int((x_hi - x_lo) / xstep + 1e-9) + 1)]
    for x in xticks:
        out.append(f'<line x1="{px(x):.1f}" y1="{TOP}" x2="{px(x):.1f}" y2="{TOP + plot_h:.1f}" '
                   'stroke="#e3e7ec"/>'
                   f'<text x="{px(x):.1f}" y="{TOP + plot_h + 14:.1f}" text-anchor="middle" '
                   f'fill="#3b434d">{_tick_text(round(x, 6))}</text>')
    out.append(f'<rect x="{LEFT}" y="{TOP}" width="{WIDTH - LEFT - RIGHT}" '
               f'height="{plot_h:.1f}" fill="none" stroke="#9aa1ab"/>')
    return out


def _rule(r: Rule, px: Scale, py: Scale, x_lo: float, x_hi: float, y_lo: float,
          y_hi: float, prefix: str) -> str:
    if r.vertical:
        a = (px(r.value), py(y_lo), px(r.value), py(y_hi))
    else:
        a = (px(x_lo), py(r.value), px(x_hi), py(r.value))
    return (f'<line id="{prefix}-{r.gid}" x1="{a[0]:.1f}" y1="{a[1]:.1f}" x2="{a[2]:.1f}" '
            f'y2="{a[3]:.1f}" stroke="{r.colour}" stroke-width="1.2" '
            f'stroke-dasharray="{r.dash}"/>')


def _marker(kind: str, x: float, y: float, colour: str) -> str:
    if kind == "dot":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.6" fill="{colour}"/>'
    if kind == "cross":
        return (f'<path d="M{x - 4:.1f},{y - 4:.1f}L{x + 4:.1f},{y + 4:.1f}M{x - 4:.1f},'
                f'{y + 4:.1f}L{x + 4:.1f},{y - 4:.1f}" stroke="{colour}" stroke-width="1.8"/>')
    if kind == "star":
        pts = " ".join(f"{x + (9 if k % 2 == 0 else 4) * math.sin(k * math.pi / 5):.1f},"
                       f"{y - (9 if k % 2 == 0 else 4) * math.cos(k * math.pi / 5):.1f}"
                       for k in range(10))
        return f'<polygon points="{pts}" fill="{colour}"/>'
    return ""


def _series(s: Series, px: Scale, py: Scale, prefix: str) -> str:
    pts = [(px(x), py(y)) for x, y in zip(s.xs, s.ys, strict=True)
           if math.isfinite(x) and math.isfinite(y)]
    out = [f'<g id="{prefix}-{s.gid}" data-label={quoteattr(s.label)}>']
    if s.line and len(pts) > 1:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
        out.append(f'<polyline points="{path}" fill="none" stroke="{s.colour}" '
                   'stroke-width="1.8"' + (f' stroke-dasharray="{s.dash}"' if s.dash else "")
                   + "/>")
    out += [_marker(s.marker, x, y, s.colour) for x, y in pts]
    out.append("</g>")
    return "".join(out)


def _legend(series: list[Series], rules: list[Rule], y0: float, prefix: str,
            columns: int) -> str:
    items = [(s.colour, s.dash, s.label) for s in series] + [(r.colour, r.dash, r.label)
                                                              for r in rules]
    out = [f'<g id="{prefix}-legend" fill="#1d232b" font-size="9">']
    for i, (colour, dash, label) in enumerate(items):
        x = LEFT + (i % columns) * (WIDTH - LEFT) / 2
        y = y0 + (i // columns) * LEGEND_ROW_PX
        out.append(f'<line x1="{x:.0f}" y1="{y - 3:.0f}" x2="{x + 20:.0f}" y2="{y - 3:.0f}" '
                   f'stroke="{colour}" stroke-width="1.8"'
                   + (f' stroke-dasharray="{dash}"' if dash else "")
                   + f'/><text x="{x + 25:.0f}" y="{y:.0f}">{escape(label)}</text>')
    out.append("</g>")
    return "".join(out)

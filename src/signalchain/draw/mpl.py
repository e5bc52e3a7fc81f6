"""Matplotlib for the pictures: a private style, and figures to deterministic inline SVG."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from signalchain.extras import require

STYLE = {
    "font.family": "DejaVu Sans", "font.size": 9.0, "axes.titlesize": 10.0,
    "axes.labelsize": 9.0, "axes.edgecolor": "#9aa1ab", "axes.grid": True,
    "grid.color": "#e3e7ec", "grid.linewidth": 0.7, "axes.spines.top": False,
    "axes.spines.right": False, "xtick.color": "#3b434d", "ytick.color": "#3b434d",
    "legend.frameon": False, "legend.fontsize": 8.0,
    "svg.hashsalt": "signalchain", "svg.fonttype": "none", "svg.id": None,
}
"""rcParams of every picture; ``svg.hashsalt`` and no dates keep the SVG byte-identical."""


@contextmanager
def figure(width_in: float, height_in: float) -> Iterator[tuple[Any, Any]]:
    """A (figure, axes) pair in :data:`STYLE`, closed afterwards; global state untouched."""
    matplotlib = require("matplotlib")
    require("matplotlib.figure")
    from matplotlib.figure import Figure

    style = {k: v for k, v in STYLE.items() if k in matplotlib.rcParams}
    with matplotlib.rc_context(style):
        # fixed margins (not a layout engine: that draws every figure twice)
        fig = Figure(figsize=(width_in, height_in))
        fig.subplots_adjust(left=0.13, right=0.97, top=0.95, bottom=0.34)
        ax = fig.add_subplot()
        yield fig, ax


def to_svg(fig: Any, id_prefix: str) -> str:
    """The figure as an inline ``<svg>`` element, its ids prefixed (unique in a page)."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None, "Creator": None})
    svg = buf.getvalue()
    svg = re.sub(r"<\?xml[^>]*\?>\s*", "", svg)
    svg = re.sub(r"<!DOCTYPE[^>]*>\s*", "", svg)
    svg = re.sub(r"<!--.*?-->\s*", "", svg, flags=re.S)
    svg = re.sub(r'<metadata>.*?</metadata>\s*', "", svg, flags=re.S)
    svg = re.sub(r'\bid="([^"]+)"', lambda m: f'id="{id_prefix}-{m.group(1)}"', svg)
    svg = re.sub(r'(url\(#|xlink:href="#|href="#)([^")]+)',
                 lambda m: f"{m.group(1)}{id_prefix}-{m.group(2)}", svg)
    return svg.strip() + "\n"


def legend_below(fig: Any, ax: Any, ncols: int) -> None:
    """The figure's legend under the axes, if anything is labelled."""
    if ax.get_legend_handles_labels()[0]:
        fig.legend(loc="lower center", ncols=ncols, fontsize=7)


"""The two-ear picture of one listener: what each ear hears, and the hiss and hum beside it.

Which channel, its polarity and level, and hiss and hum ("inaudible" below the threshold of
audibility).

Hand-written SVG (no plotting package): a head seen from above, an ear on each side, each ear
a card listing what arrives there. Colours follow the channel: L blue, R red, both purple,
nothing grey; an inverted arrival is marked "inverted" in red.
"""

from __future__ import annotations

import math
from xml.sax.saxutils import escape, quoteattr

from signalchain import thresholds as th
from signalchain.results import ChannelAtEar, EarFigures, ListenerFigures

CHANNEL_COLOURS = {"L": "#1f6fd1", "R": "#d1331f"}
"""Colour of each program channel, the same as in the signal-flow diagram."""
BOTH_COLOUR = "#7a3fb8"
NONE_COLOUR = "#8a8f98"
OTHER_COLOUR = "#2b8a3e"
WIDTH, HEIGHT = 560, 200
CARD_W, CARD_H = 200, 176


def channel_colour(channels: list[str]) -> str:
    """The colour of an ear that hears ``channels`` as program."""
    if not channels:
        return NONE_COLOUR
    if len(channels) == 1:
        return CHANNEL_COLOURS.get(channels[0], OTHER_COLOUR)
    return BOTH_COLOUR


def _level(value: float, audible_from: float) -> str:
    if value == -math.inf:
        return "none"
    if value < audible_from:
        return f"inaudible ({value:.0f} dBA)"
    return f"{value:.1f} dBA"


def _arrival(c: ChannelAtEar) -> tuple[str, str]:
    sign = "inverted" if c.polarity < 0 else "in phase"
    kind = " crosstalk" if c.crosstalk else ""
    return f"{c.channel}{kind}: {c.spl_db:.1f} dB SPL, {sign}", (
        "#b00020" if c.polarity < 0 else "#1d232b")


def _card(x: float, side: str, ear: EarFigures, program: list[ChannelAtEar],
          crosstalk: list[ChannelAtEar]) -> list[str]:
    colour = channel_colour([c.channel for c in program])
    heard = " + ".join(c.channel for c in program) or "nothing"
    lines: list[tuple[str, str, str]] = [(f"{side.title()} ear hears {heard}", colour, "700")]
    lines += [(*_arrival(c), "400") for c in program]
    lines += [(*_arrival(c), "400") for c in crosstalk[:2]]
    lines.append((f"hiss {_level(ear.noise_spl_dba, th.HISS_AUDIBLE_DBA)}",
                  "#1d232b" if ear.noise_audible else "#5b6470", "400"))
    lines.append((f"hum {_level(ear.hum_spl_dba, th.HUM_AUDIBLE_DBA)}",
                  "#1d232b" if ear.hum_audible else "#5b6470", "400"))
    out = [f'<g class="ear" data-side="{side}" data-heard={quoteattr(heard)}>',
           f'<rect x="{x:.0f}" y="12" width="{CARD_W}" height="{CARD_H}" rx="10" '
           f'fill="#ffffff" stroke="{colour}" stroke-width="2.5"/>']
    for i, (text, fill, weight) in enumerate(lines):
        out.append(f'<text x="{x + 12:.0f}" y="{38 + 22 * i}" fill="{fill}" '
                   f'font-weight="{weight}" font-size="13">{escape(text)}</text>')
    out.append("</g>")
    return out


def _head(cx: float, left: str, right: str) -> list[str]:
    """A head from above (nose up) with its two ears filled in their channel's colour."""
    return [
        '<g class="head">',
        f'<ellipse cx="{cx - 44:.0f}" cy="100" rx="9" ry="18" fill="{left}"/>',
        f'<ellipse cx="{cx + 44:.0f}" cy="100" rx="9" ry="18" fill="{right}"/>',
        f'<circle cx="{cx:.0f}" cy="100" r="42" fill="#f3ede6" stroke="#8a8f98" '
        'stroke-width="1.5"/>',
        f'<path d="M{cx - 8:.0f},60 L{cx:.0f},48 L{cx + 8:.0f},60" fill="#f3ede6" '
        'stroke="#8a8f98" stroke-width="1.5"/>',
        f'<text x="{cx - 30:.0f}" y="105" font-size="15" font-weight="700" '
        f'fill="{left}">L</text>',
        f'<text x="{cx + 21:.0f}" y="105" font-size="15" font-weight="700" '
        f'fill="{right}">R</text>',
        "</g>",
    ]


def ears_svg(lf: ListenerFigures) -> str:
    """SVG (for inline use) of what each of a listener's ears hears.

    Parameters
    ----------
    lf : ListenerFigures
        One listener's figures from :meth:`signalchain.Rig.simulate`.

    Returns
    -------
    str
        An ``<svg>`` element without an XML prolog; its text is escaped.
    """
    sides = {side: (lf.program_at(side), lf.crosstalk_at(side)) for side in ("left", "right")}
    colours = {side: channel_colour([c.channel for c in prog]) for side, (prog, _x)
               in sides.items()}
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="ears" viewBox="0 0 {WIDTH} '
             f'{HEIGHT}" width="{WIDTH}" height="{HEIGHT}" role="img" '
             f'aria-label={quoteattr("what each ear of " + lf.id + " hears")} '
             'font-family="DejaVu Sans, Helvetica, Arial, sans-serif">']
    parts += _card(8, "left", lf.ears["left"], *sides["left"])
    parts += _head(WIDTH / 2, colours["left"], colours["right"])
    parts += _card(WIDTH - CARD_W - 8, "right", lf.ears["right"], *sides["right"])
    parts.append("</svg>")
    return "\n".join(parts)

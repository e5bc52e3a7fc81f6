"""The two-ear picture of one listener: what each ear hears, and the hiss and hum beside it.

Which channel, its polarity and level, and hiss and hum ("inaudible" below the threshold of
audibility).

Hand-written SVG (no plotting package): a head seen from above, an ear on each side, each ear
a card listing what arrives there. Colours follow the channel: L blue, R red, both purple,
nothing grey; an inverted arrival is marked "inverted" in red.
"""

from __future__ import annotations

from xml.sax.saxutils import escape, quoteattr

from signalchain import thresholds as th
from signalchain.report.common import level_text
from signalchain.results import ChannelAtEar, EarFigures, ListenerFigures

CHANNEL_COLOURS = {"L": "#1f6fd1", "R": "#d1331f"}
"""Colour of each program channel, the same as in the signal-flow diagram."""
BOTH_COLOUR = "#7a3fb8"
NONE_COLOUR = "#8a8f98"
OTHER_COLOUR = "#2b8a3e"
WIDTH = 640
CARD_W = 250
LINE_PX = 21


def channel_colour(channels: list[str]) -> str:
    """The colour of an ear that hears ``channels`` as program."""
    if not channels:
        return NONE_COLOUR
    if len(channels) == 1:
        return CHANNEL_COLOURS.get(channels[0], OTHER_COLOUR)
    return BOTH_COLOUR


def _heard(program: list[ChannelAtEar]) -> str:
    return " + ".join(c.channel for c in program) or "nothing"


def _arrival(c: ChannelAtEar) -> tuple[str, str]:
    sign = "inverted" if c.polarity < 0 else "in phase"
    if c.crosstalk:
        return f"{c.channel} leaks: {c.spl_db:.1f} dB SPL, {sign}", "#5b6470"
    return f"{c.channel}: {c.spl_db:.1f} dB SPL, {sign}", (
        "#b00020" if c.polarity < 0 else "#1d232b")


def _lines(side: str, ear: EarFigures, program: list[ChannelAtEar],
           crosstalk: list[ChannelAtEar]) -> list[tuple[str, str, str]]:
    """(text, colour, weight) of each line of one ear's card."""
    colour = channel_colour([c.channel for c in program])
    heard = _heard(program)
    lines: list[tuple[str, str, str]] = [(f"{side.title()} ear hears {heard}", colour, "700")]
    lines += [(*_arrival(c), "400") for c in program]
    lines += [(*_arrival(c), "400") for c in crosstalk[:2]]
    lines.append((f"hiss {level_text(ear.noise_spl_dba, th.HISS_AUDIBLE_DBA, 'dBA')}",
                  "#1d232b" if ear.noise_audible else "#5b6470", "400"))
    lines.append((f"hum {level_text(ear.hum_spl_dba, th.HUM_AUDIBLE_DBA, 'dBA')}",
                  "#1d232b" if ear.hum_audible else "#5b6470", "400"))
    return lines


def _card(x: float, side: str, heard: str, lines: list[tuple[str, str, str]],
          height: float) -> list[str]:
    colour = lines[0][1]
    out = [f'<g class="ear" data-side="{side}" data-heard={quoteattr(heard)}>',
           f'<rect x="{x:.0f}" y="8" width="{CARD_W}" height="{height:.0f}" rx="10" '
           f'fill="#ffffff" stroke="{colour}" stroke-width="2.5"/>']
    for i, (text, fill, weight) in enumerate(lines):
        out.append(f'<text x="{x + 12:.0f}" y="{32 + LINE_PX * i}" fill="{fill}" '
                   f'font-weight="{weight}" font-size="13">{escape(text)}</text>')
    out.append("</g>")
    return out


def _head(cx: float, cy: float, left: str, right: str) -> list[str]:
    """A head from above (nose up) with its two ears filled in their channel's colour."""
    return [
        '<g class="head">',
        f'<ellipse cx="{cx - 44:.0f}" cy="{cy:.0f}" rx="9" ry="18" fill="{left}"/>',
        f'<ellipse cx="{cx + 44:.0f}" cy="{cy:.0f}" rx="9" ry="18" fill="{right}"/>',
        f'<circle cx="{cx:.0f}" cy="{cy:.0f}" r="42" fill="#f3ede6" stroke="#8a8f98" '
        'stroke-width="1.5"/>',
        f'<path d="M{cx - 8:.0f},{cy - 40:.0f} L{cx:.0f},{cy - 52:.0f} L{cx + 8:.0f},'
        f'{cy - 40:.0f}" fill="#f3ede6" stroke="#8a8f98" stroke-width="1.5"/>',
        f'<text x="{cx - 30:.0f}" y="{cy + 5:.0f}" font-size="15" font-weight="700" '
        f'fill="{left}">L</text>',
        f'<text x="{cx + 21:.0f}" y="{cy + 5:.0f}" font-size="15" font-weight="700" '
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
    lines = {side: _lines(side, lf.ears[side], *sides[side]) for side in sides}
    card_h = 18 + LINE_PX * max(len(v) for v in lines.values())
    height = card_h + 16
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="ears" viewBox="0 0 {WIDTH} '
             f'{height}" width="{WIDTH}" height="{height}" role="img" '
             f'aria-label={quoteattr("what each ear of " + lf.id + " hears")} '
             'font-family="DejaVu Sans, Helvetica, Arial, sans-serif">']
    parts += _card(8, "left", _heard(sides["left"][0]), lines["left"], card_h)
    parts += _head(WIDTH / 2, 8 + card_h / 2 + 6, lines["left"][0][1], lines["right"][0][1])
    parts += _card(WIDTH - CARD_W - 8, "right", _heard(sides["right"][0]), lines["right"],
                   card_h)
    parts.append("</svg>")
    return "\n".join(parts)

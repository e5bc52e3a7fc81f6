"""The two-ear picture: what each ear hears, from the simulation, escaped and well-formed."""

import xml.etree.ElementTree as ET

import signalchain as sc
from signalchain.draw.ears import BOTH_COLOUR, CHANNEL_COLOURS, NONE_COLOUR, ears_svg
from tests.conftest import EXAMPLES

NS = {"svg": "http://www.w3.org/2000/svg"}


def _heard(svg: str) -> dict[str, str]:
    root = ET.fromstring(svg)
    return {g.get("data-side"): g.get("data-heard") for g in root.iter(f"{{{NS['svg']}}}g")
            if g.get("class") == "ear"}


def _strokes(svg: str) -> dict[str, str]:
    root = ET.fromstring(svg)
    out = {}
    for g in root.iter(f"{{{NS['svg']}}}g"):
        if g.get("class") == "ear":
            rect = g.find("svg:rect", NS)
            assert rect is not None
            out[g.get("data-side")] = rect.get("stroke")
    return out


def test_the_seed_rig_is_stereo_in_the_picture():
    ev = sc.Rig.from_path(EXAMPLES / "01-headphone-out-to-splitter.yaml").simulate()
    for lf in ev.listeners:
        svg = ears_svg(lf)
        assert _heard(svg) == {"left": "L", "right": "R"}
        assert _strokes(svg) == {"left": CHANNEL_COLOURS["L"], "right": CHANNEL_COLOURS["R"]}
        assert f"{lf.program_at('left')[0].spl_db:.1f} dB SPL" in svg


def test_method_two_is_one_ear_in_the_picture():
    """A TRS cable from one impedance-balanced line out: L in one ear, nothing in the other."""
    ev = sc.Rig.from_path(EXAMPLES / "02-left-line-out-to-splitter.yaml").simulate()
    lf = ev.listeners[0]
    heard = _heard(ears_svg(lf))
    assert sorted(heard.values()) == ["L", "nothing"]
    assert NONE_COLOUR in _strokes(ears_svg(lf)).values()


def test_inverted_arrivals_are_marked():
    ev = (sc.Rig.from_path(EXAMPLES / "02-left-line-out-to-splitter.yaml")
          .with_devices({"scarlett": {"model": "motu/m2", "knobs": {"monitor": 0.7,
                                                                   "phones": 0.5}}})
          .simulate())
    svg = ears_svg(ev.listeners[0])
    assert _heard(svg) == {"left": "L", "right": "L"}
    assert "inverted" in svg and "in phase" in svg
    assert BOTH_COLOUR not in _strokes(svg).values()


def test_names_are_escaped():
    text = (EXAMPLES / "01-headphone-out-to-splitter.yaml").read_text()
    lf = sc.Rig.from_text(text, "x.yaml").simulate().listeners[0]
    hostile = type(lf)(**{**lf.__dict__, "id": 'a<b>&"c'})
    ET.fromstring(ears_svg(hostile))  # well-formed despite the markup in the id

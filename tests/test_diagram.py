"""The signal-flow diagram: an edge per cable with its ID, L and R coloured, problems marked."""

import re
import xml.etree.ElementTree as ET

import pytest
from typer.testing import CliRunner

import signalchain as sc
from signalchain.cli import app
from signalchain.draw.diagram import CHANNEL_COLOURS, PROBLEM, diagram_svg
from tests.conftest import EXAMPLES

SVG = "{http://www.w3.org/2000/svg}"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))
runner = CliRunner()


def edges(svg: str) -> dict[str, list[ET.Element]]:
    """Cable ID → its drawn edges (a cable with adapters or a breakout has several)."""
    found: dict[str, list[ET.Element]] = {}
    for g in ET.fromstring(svg).iter(f"{SVG}g"):
        if g.get("class") == "edge":
            m = re.fullmatch(r"d(C\d\d)-\w+", g.get("id", ""))
            if m:
                found.setdefault(m.group(1), []).append(g)
    return found


def strokes(group: ET.Element) -> set[str]:
    return {p.get("stroke") for p in group.iter(f"{SVG}path")} - {None}


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_one_edge_per_cable_with_its_id(path):
    rig = sc.Rig.from_path(path)
    svg = diagram_svg(rig)
    drawn = edges(svg)
    ids = [f"C{i + 1:02d}" for i in range(len(rig.spec.connections))]
    assert sorted(drawn) == ids
    texts = [t.text for t in ET.fromstring(svg).iter(f"{SVG}text")]
    for cid in ids:
        assert texts.count(cid) == 1, cid  # each ID labels its cable once
    nodes = {g.get("id") for g in ET.fromstring(svg).iter(f"{SVG}g") if g.get("class") == "node"}
    for who in rig.listeners:
        assert f"ddev-{who}" in nodes


def test_the_seed_rig_carries_both_channels_to_every_ear():
    svg = diagram_svg(sc.Rig.from_path(EXAMPLES / "01-headphone-out-to-splitter.yaml"))
    drawn = edges(svg)
    both = {CHANNEL_COLOURS["L"], CHANNEL_COLOURS["R"]}
    assert strokes(drawn["C02"][0]) == both  # headphone out → HM-4: L and R side by side
    for cid in ("C03", "C04", "C05", "C06"):  # each cord, through its adapter
        assert len(drawn[cid]) == 2 and all(strokes(e) == both for e in drawn[cid])
    assert "left ear L · right ear R" in svg


def test_method_two_carries_only_the_left_channel():
    svg = diagram_svg(sc.Rig.from_path(EXAMPLES / "02-left-line-out-to-splitter.yaml"))
    drawn = edges(svg)
    assert strokes(drawn["C02"][0]) == {CHANNEL_COLOURS["L"]}
    assert "⚠ one ear only" in svg and "right ear —" in svg


def test_a_breakout_cable_has_a_leg_per_channel():
    drawn = edges(diagram_svg(sc.Rig.from_path(EXAMPLES / "03-dual-ts-to-trs-to-splitter.yaml")))
    legs = [strokes(e) for e in drawn["C02"]]
    assert {CHANNEL_COLOURS["L"]} in legs and {CHANNEL_COLOURS["R"]} in legs


def test_a_ts_plug_in_the_headphone_out_is_marked_shorted():
    text = (EXAMPLES / "01-headphone-out-to-splitter.yaml").read_text().replace(
        "cable: trs-cable ", "cable: ts-cable  ")
    svg = diagram_svg(sc.Rig.from_text(text, "ts.yaml"))
    drawn = edges(svg)
    assert strokes(drawn["C02"][0]) == {PROBLEM}
    assert svg.count("⚠ R shorted") == 1


def test_same_rig_same_bytes_and_prefixed_ids():
    rig = sc.Rig.from_path(EXAMPLES / "01-headphone-out-to-splitter.yaml")
    assert diagram_svg(rig) == diagram_svg(sc.Rig.from_path(
        EXAMPLES / "01-headphone-out-to-splitter.yaml"))
    other = diagram_svg(rig, id_prefix="m3")
    ids = re.findall(r'\bid="([^"]+)"', other)
    assert ids and all(i.startswith(("m3", "a_m3")) for i in ids)
    assert not other.startswith("<?xml") and "<!DOCTYPE" not in other
    with pytest.raises(ValueError):
        diagram_svg(rig, id_prefix='x" onload="alert(1)')


def test_names_from_the_rig_file_are_escaped():
    text = (EXAMPLES / "01-headphone-out-to-splitter.yaml").read_text().replace(
        "  alice: sennheiser/hd-280-pro\n",
        "  alice:\n    kind: headphones\n    name: '<script>alert(1)</script> & \"co\"'\n"
        "    ports:\n      plug: {connector: trs-3.5, gender: plug, direction: in, "
        "signal: stereo, captive: true}\n"
        "    headphones: {z_ohm: 32, sensitivity_db_per_v: 110}\n")
    svg = diagram_svg(sc.Rig.from_text(text, "x.yaml"))
    ET.fromstring(svg)
    assert "<script>" not in svg and "&lt;script&gt;alert(1)&lt;/script&gt;" in svg


def test_the_command_writes_svg_and_png_and_keeps_files(tmp_path):
    rig = str(EXAMPLES / "01-headphone-out-to-splitter.yaml")
    res = runner.invoke(app, ["diagram", rig, "--out", str(tmp_path / "r.svg")])
    assert res.exit_code == 0, res.output
    ET.parse(tmp_path / "r.svg")
    res = runner.invoke(app, ["diagram", rig, "--out", str(tmp_path / "r.png")])
    assert res.exit_code == 0 and (tmp_path / "r.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    (tmp_path / "mine.svg").write_text("mine")
    res = runner.invoke(app, ["diagram", rig, "--out", str(tmp_path / "mine.svg")])
    assert res.exit_code == 1 and (tmp_path / "mine.svg").read_text() == "mine"
    assert runner.invoke(app, ["diagram", rig, "--out", str(tmp_path / "mine.svg"),
                               "--force"]).exit_code == 0
    res = runner.invoke(app, ["diagram", rig, "--out", str(tmp_path / "r.gif")])
    assert res.exit_code == 2 and ".svg, .png or .pdf" in res.stderr


def test_without_dot_the_error_names_the_package(monkeypatch, tmp_path):
    monkeypatch.setattr("shutil.which", lambda _name: None)
    res = runner.invoke(app, ["diagram", str(EXAMPLES / "01-headphone-out-to-splitter.yaml"),
                              "--out", str(tmp_path / "r.svg")])
    assert res.exit_code == 1 and "apt-get install graphviz" in res.stderr
    assert "Traceback" not in res.output


def test_ts_plugs_in_trs_jacks_are_noted_where_they_ground_the_ring():
    """Method 3's breakout puts TS plugs in the 2i2's TRS line outs: each jack's ring meets
    its sleeve (an impedance-balanced leg to ground, no fault), noted on the cable."""
    from signalchain.draw.diagram import grounded_rings

    rig = sc.Rig.from_path(EXAMPLES / "03-dual-ts-to-trs-to-splitter.yaml")
    assert grounded_rings(rig) == {"scarlett.line_out_1", "scarlett.line_out_2"}
    svg = diagram_svg(rig)
    assert "ring to sleeve at scarlett.line_out_1" in svg
    seed = sc.Rig.from_path(EXAMPLES / "01-headphone-out-to-splitter.yaml")
    assert not grounded_rings(seed) and "ring to sleeve" not in diagram_svg(seed)


def test_a_passive_splitter_sits_between_the_amp_and_its_listeners():
    from tests.test_wiring import BASE

    old = "  - plug: alice\n    into: amp.out1\n    via: adapter/3.5f-6.35m\n"
    new = ("  - {plug: y, into: amp.out1, via: adapter/3.5f-6.35m}\n"
           "  - {plug: alice, into: y.a}\n  - {plug: bob, into: y.b}\n")
    text = BASE.replace("  alice: audio-technica/ath-m50x",
                        "  alice: audio-technica/ath-m50x\n  bob: akg/k371\n  y: splitter/y-3.5"
                        ).replace(old, new)
    svg = diagram_svg(sc.Rig.from_text(text, "y.yaml"))
    drawn = edges(svg)
    both = {CHANNEL_COLOURS["L"], CHANNEL_COLOURS["R"]}
    for cid in drawn:  # every cord, the splitter's and the listeners', carries L and R
        if cid != "C01":
            assert all(strokes(e) == both for e in drawn[cid]), cid
    titles = {g.find(f"{SVG}title").text for g in ET.fromstring(svg).iter(f"{SVG}g")
              if g.get("class") == "edge"}
    assert "y:a&#45;&gt;alice:plug" in titles or "y:a->alice:plug" in titles

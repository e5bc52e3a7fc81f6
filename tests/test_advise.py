"""advise: the seed methods, verdicts from computed facts, volume controls, adapters."""

from __future__ import annotations

import json

import pytest

from signalchain.advise import advise
from signalchain.cli import app
from signalchain.rig import Rig
from tests.conftest import EXAMPLES

EX1 = EXAMPLES / "01-headphone-out-to-splitter.yaml"


def run_advise(path=EX1, text=None, **kw):
    rig = Rig.from_text(text) if text else Rig.from_path(path)
    return advise(rig, **kw)


@pytest.fixture(scope="module")
def quality():
    return run_advise(priority="quality")


@pytest.fixture(scope="module")
def convenience():
    return run_advise(priority="convenience")


def by_name(methods, *words):
    return next(m for m in methods if all(w in m.name for w in words))


def test_seed_methods_listed_with_verdicts(quality):
    hp = by_name(quality, "headphone output", "TRS cable")
    left = by_name(quality, "Line Out 1 (L) →", "TRS cable")
    dual = by_name(quality, "Line Out 1 (L) + Line Out 2 (R)", "Dual")
    assert left.verdict == "not-recommended"
    assert {"one-ear", "missing-channel"} <= set(left.facts["codes"])
    assert "one-ear" in left.reason
    assert hp.verdict in ("recommended", "works") and dual.verdict in ("recommended", "works")
    assert hp.facts["stereo"] and dual.facts["stereo"] and not left.facts["stereo"]


def test_ranking_explained_in_numbers_under_each_priority(quality, convenience):
    for methods, priority in ((quality, "quality"), (convenience, "convenience")):
        first, second = [m for m in methods if m.verdict != "not-recommended"][:2]
        assert first.verdict == "recommended" and priority in first.reason
        assert f"points behind '{first.name}'" in second.reason
        assert second.score > first.score
        # the reason names the components that differ, with their values
        assert any(k.replace("_", " ") in second.reason for k in second.breakdown)
    hp_q, dual_q = by_name(quality, "headphone output", "TRS"), by_name(quality, "Dual")
    # the dual-TS method is the (slightly) quieter one; each method states its hiss in dBA
    assert dual_q.facts["noise"] <= hp_q.facts["noise"] + 0.5
    assert any("dBA" in p for p in hp_q.pros + hp_q.cons)
    # under convenience, occupying the line outputs costs the dual-TS method its place
    assert convenience[0].name == by_name(convenience, "headphone output", "TRS").name


def test_headphone_adapters_in_connections_and_bom(quality):
    m = quality[0]
    plugs = [c for c in m.connections if "plug" in c]
    assert all(c.get("via") == "adapter/3.5f-6.35m" for c in plugs)  # all four have 3.5 mm plugs
    (adapter,) = [i for i in m.bom if i["item"] == "adapter/3.5f-6.35m"]
    assert adapter["count"] == 4
    assert any("comes with alice's headphones" in n for n in adapter["notes"])


def test_scarlett_monitor_knob_controls_line_outputs(quality):
    dual = by_name(quality, "Dual")
    assert dual.facts["volume"]["master"] == [{"knob": "scarlett.monitor", "physical": True}]
    assert any("does not apply to this interface" in p for p in dual.pros)


def test_line_outputs_without_knob_leave_software_volume():
    text = EX1.read_text().replace(
        "  scarlett:\n    model: focusrite/scarlett-2i2-3rd-gen\n"
        "    knobs: {headphones: 0.6, monitor: 0.7}\n", """\
  scarlett:
    kind: interface
    power: usb-bus
    knobs: {headphones: {default: 0.6}}
    ports:
      usb: {connector: usb-c, direction: host, signal: host}
      line_out_1: &lo
        {connector: trs-6.35, direction: out, signal: balanced, topology: impedance,
         feeds: L, v_rms_at_0dbfs: 4 V, max_v_rms: 4 V, z_out_ohm: 100,
         noise: {knob_min_dbu_a: -95, knob_max_dbu_a: -95}}
      line_out_2: {<<: *lo, feeds: R}
      headphones:
        {connector: trs-6.35, direction: out, signal: stereo, feeds: {left: L, right: R},
         knob: headphones, v_rms_at_0dbfs: 1.5 V, max_v_rms: 1.5 V, z_out_ohm: 10,
         noise: {knob_min_dbu_a: -105, knob_max_dbu_a: -94}}
""")
    methods = run_advise(text=text)
    dual = by_name(methods, "line_out_1 + line_out_2", "Dual")
    assert dual.facts["volume"]["master"][0] == {"knob": "laptop.software", "physical": False}
    assert any("software only" in c and "seed article" in c for c in dual.cons)
    hp = by_name(methods, "headphones", "TRS cable")
    assert hp.facts["physical_master"]


def test_cli_advise_json_and_write_rig(runner, tmp_path):
    out = tmp_path / "best.yaml"
    result = runner.invoke(app, ["advise", str(EX1), "--json", "--priority", "convenience",
                                 "--length", "10 ft", "--write-rig", str(out)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["priority"] == "convenience" and data["length_m"] == pytest.approx(3.048)
    first = data["methods"][0]
    for key in ("name", "connections", "bom", "stereo", "volume", "knobs", "noise_spl_dba",
                "pros", "cons", "verdict"):
        assert key in first
    assert first["verdict"] == "recommended"
    check = runner.invoke(app, ["check", str(out)])
    assert check.exit_code == 0
    again = runner.invoke(app, ["advise", str(EX1), "--write-rig", str(out)])
    assert again.exit_code == 1  # exists: needs --force (exit 1, as for render's --out)
    assert runner.invoke(app, ["advise", str(EX1), "--priority", "cheap"]).exit_code == 2

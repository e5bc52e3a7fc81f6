"""advise: the seed methods, verdicts from computed facts, volume controls, adapters."""

from __future__ import annotations

import dataclasses
import json
from types import SimpleNamespace

import pytest

from signalchain.advise import Advice, Facts, Point, Skipped, advise
from signalchain.advise.search import contacts
from signalchain.bom import BomNote, bill_of_materials
from signalchain.catalog import default_catalog
from signalchain.cli import app
from signalchain.errors import RigError
from signalchain.report.advice import advice_json, bom_note_text, point_text
from signalchain.rig import Rig
from signalchain.rigfile import rig_text
from signalchain.wiring.adapters import adapter_path
from signalchain.wiring.connectors import mated_contacts
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
    assert {"one-ear", "missing-channel"} <= set(left.facts.codes)
    assert "one-ear" in left.reason.text
    assert hp.verdict in ("recommended", "works") and dual.verdict in ("recommended", "works")
    assert hp.facts.stereo and dual.facts.stereo and not left.facts.stereo


def test_ranking_explained_in_numbers_under_each_priority(quality, convenience):
    for methods, priority in ((quality, "quality"), (convenience, "convenience")):
        first, second = [m for m in methods if m.verdict != "not-recommended"][:2]
        assert first.verdict == "recommended" and priority in first.reason.text
        assert f"points behind '{first.name}'" in second.reason.text
        assert second.score > first.score
        # the reason names the components that differ, with their values
        assert any(k.replace("_", " ") in second.reason.text for k in second.breakdown)
    hp_q, dual_q = by_name(quality, "headphone output", "TRS"), by_name(quality, "Dual")
    # the dual-TS method is the (slightly) quieter one; each method states its hiss in dBA
    assert dual_q.facts.noise_spl_dba <= hp_q.facts.noise_spl_dba + 0.5
    assert any("dBA" in p.text for p in hp_q.pros + hp_q.cons)
    # under convenience, occupying the line outputs costs the dual-TS method its place
    assert convenience[0].name == by_name(convenience, "headphone output", "TRS").name


def test_headphone_adapters_in_connections_and_bom(quality):
    m = quality[0]
    plugs = [c for c in m.connections if "plug" in c]
    assert all(c.get("via") == "adapter/3.5f-6.35m" for c in plugs)  # all four have 3.5 mm plugs
    (adapter,) = [i for i in m.bom if i.item == "adapter/3.5f-6.35m"]
    assert adapter.count == 4
    assert any("comes with alice's headphones" in bom_note_text(n) for n in adapter.notes)


def test_scarlett_monitor_knob_controls_line_outputs(quality):
    dual = by_name(quality, "Dual")
    assert [(c.knob, c.physical) for c in dual.facts.volume.master] == [
        ("scarlett.monitor", True)]
    assert any("does not apply to this interface" in p.text for p in dual.pros)


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
    master = dual.facts.volume.master[0]
    assert (master.knob, master.physical) == ("laptop.software", False)
    assert any("software only" in c.text and "seed article" in c.text for c in dual.cons)
    hp = by_name(methods, "headphones", "TRS cable")
    assert hp.facts.physical_master


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


# the structured result: immutable data, points with codes, English only in the report -------


def test_advice_is_an_immutable_sequence_of_methods(quality):
    assert isinstance(quality, Advice) and not isinstance(quality, list)
    assert len(quality) == len(quality.methods) == 4
    assert quality[0] is quality.methods[0] is quality.best
    assert list(quality) == list(quality.methods) and quality[1:] == quality.methods[1:]
    assert (quality.priority, quality.target_spl_db, quality.length_m, quality.headroom_db) \
        == ("quality", 80.0, 3.0, 3.0)
    assert quality.ranking == {"hiss": 1.0, "items_to_buy": 1.0, "no_master_knob": 3.0,
                               "line_outputs_used": 0.5}
    best = quality[0]
    for obj, attr in ((quality, "priority"), (best, "verdict"), (best.facts, "stereo"),
                      (best.pros[0], "code"), (best.bom[0], "count")):
        with pytest.raises(dataclasses.FrozenInstanceError):
            setattr(obj, attr, None)
    assert isinstance(best.facts, Facts) and isinstance(best.reason, Point)


def test_points_are_codes_with_their_numbers(quality):
    hp = by_name(quality, "headphone output", "TRS cable")
    left = by_name(quality, "Line Out 1 (L) →", "TRS cable")
    assert hp.reason == Point("best", {"priority": "quality"})
    assert [p.code for p in hp.pros] == ["stereo", "physical-master", "own-knob", "hiss",
                                         "in-box"]
    assert hp.pros[1].data == {"knobs": ("scarlett.headphones",)}
    assert hp.pros[2].data == {"listeners": 4, "of": 4}
    assert hp.pros[4].data == {"items": ((4, "adapter/3.5f-6.35m"),)}
    assert [c.code for c in hp.cons] == ["hiss-audible", "to-buy"]
    assert hp.cons[1].data == {"items": ((1, "trs-cable"),)}
    assert left.reason.code == "bad-signals"
    assert left.reason.data["codes"] == ("missing-channel", "one-ear")
    bad = [c for c in left.cons if c.code == "bad-signal"]
    assert [c.data["code"] for c in bad] == ["missing-channel", "one-ear"]
    assert all(c.data["finding"].code == c.data["code"] for c in bad)
    hiss = hp.pros[3].data
    assert (hiss["listener"], hiss["standing"]) == ("bob", "close")
    assert hiss["more_db"] == pytest.approx(hp.facts.noise_spl_dba - min(
        m.facts.noise_spl_dba for m in quality if m.tier == 0))


@pytest.mark.parametrize("point, text", [
    (Point("hiss", {"noise_spl_dba": 8.84, "target_spl_db": 80.0, "listener": "bob",
                    "name": "ATH-M50x", "standing": "close", "more_db": 0.44}),
     "worst hiss 8.8 dBA at 80 dB SPL, for bob (ATH-M50x), 0.4 dB more than the quietest"),
    (Point("hiss", {"noise_spl_dba": 11.1, "target_spl_db": 75.5, "listener": "zed",
                    "name": "zed", "standing": "behind", "more_db": 2.63}),
     "worst hiss 11.1 dBA at 75.5 dB SPL, for zed, 2.6 dB more than the quietest option"),
    (Point("behind", {"points": 0.08, "method": "A → B", "priority": "quality",
                      "differences": (("hiss", -0.42), ("line_outputs_used", 0.5))}),
     "0.1 points behind 'A → B' under 'quality' (hiss -0.4, line outputs used +0.5)"),
    (Point("behind", {"points": 0.0, "method": "A", "priority": "convenience",
                      "differences": ()}),
     "0.0 points behind 'A' under 'convenience' (a tie broken by order)"),
    (Point("off-target", {"listener": "c", "name": "HD 280", "off_db": -2.34,
                          "level_spl_db": 77.66, "target_spl_db": 80.0}),
     "c (HD 280) gets 77.7 dB SPL, 2.3 dB below the 80 dB SPL target"),
    (Point("off-target", {"listener": "c", "name": "", "off_db": float("-inf"),
                          "level_spl_db": float("-inf"), "target_spl_db": 80.0}),
     "c gets no program"),
    (Point("to-buy", {"items": ((1, "trs-cable"), (2, "adapter/x"))}),
     "3 items to buy or find: 1× trs-cable, 2× adapter/x"),
    (Point("own-knob", {"listeners": 3, "of": 5}),
     "3 of 5 listeners have their own physical knob"),
    (Point("shared-output", {"output": "hm4.out4", "listeners": (("erin", ""), ("carol", "DT")),
                             "spread_db": 0.24}),
     "erin and carol (DT) share hm4.out4 through a Y splitter: one knob for 2, sensitivities "
     "0.2 dB apart"),
    (Point("listeners-off-target", {"listeners": 1, "tolerance_db": 1.0,
                                    "target_spl_db": 80.0}),
     "1 listener more than 1 dB from the 80 dB SPL target"),
    (Point("stages-short", {"stages": ("a.out", "b.out"), "headroom_db": 3.0}),
     "less than 3 dB headroom at a.out, b.out"),
])
def test_point_sentences(point, text):
    assert point_text(point) == point.text == text


def test_skipped_and_bom_sentences():
    skipped = Skipped(("hm4",), "too-few-outputs", {"device": "hm4", "listeners": 5,
                                                    "outputs": 4, "amp": True,
                                                    "splitters": 1, "extra": 0})
    assert skipped.message == ("5 listeners but hm4 has 4 outputs and the rig's 1 Y splitter "
                               "take only 0 more")
    assert skipped.hint == ("add 1 more Y splitter (e.g. splitter/y-6.35) to the rig's "
                            "devices, or use an amp with 5 outputs")
    assert bom_note_text(BomNote("in-box", "alice", "HD 280")) == \
        "comes with alice's headphones (HD 280)"
    assert bom_note_text(BomNote("for-plug", "zed", "")) == "for zed's plug"
    assert bom_note_text(BomNote("length", length="3 m")) == "3 m"


def test_advice_json_is_the_cli_json(quality, runner):
    data = advice_json(quality)
    assert list(data) == ["signalchain", "priority", "ranking", "target_spl_db", "length_m",
                          "methods", "skipped"]
    assert data["signalchain"] == 1 and data["ranking"].startswith("1 point per dB")
    first = data["methods"][0]
    assert first["reason"] == "best under priority 'quality'"
    assert first["volume"]["master"] == [{"knob": "scarlett.headphones", "physical": True}]
    assert first["bom"][0] == {"item": "trs-cable", "name": first["bom"][0]["name"],
                               "count": 1, "in_box": 0, "to_buy": 1, "notes": ["3 m"]}
    result = runner.invoke(app, ["advise", str(EX1), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == json.loads(json.dumps(data))


def test_rig_for_is_the_method_with_its_tuned_knobs(quality):
    best = quality.best
    rig = quality.rig_for(best)
    assert rig.name == Rig.from_path(EX1).name
    assert set(rig.spec.devices) == set(best.devices) == {
        "laptop", "scarlett", "hm4", "alice", "bob", "carol", "dave"}
    assert len(rig.spec.connections) == len(best.connections) == 6
    for knob, value in best.knobs.items():
        assert rig.knobs[knob] == value
    ev = rig.simulate()
    for lf in ev.listeners:  # the written rig plays at the tuned levels
        assert lf.program_spl_db == pytest.approx(best.facts.levels_spl_db[lf.id], abs=0.01)
        assert abs(lf.program_spl_db - 80.0) <= 1.0
    other = run_advise(priority="convenience")
    with pytest.raises(ValueError):
        quality.rig_for(other[0])


def test_rig_for_a_nameless_rig_is_named_after_the_method():
    methods = run_advise(text="signalchain: 1\ndevices:\n  laptop: generic/laptop\n"
                              "  s: focusrite/scarlett-2i2-3rd-gen\n"
                              "  a: sennheiser/hd-600\nconnections: []\n")
    assert methods.rig_for(methods.best).name == "Headphones straight into the interface"


def test_rig_text_is_short_and_reads_back(quality):
    rig = quality.rig_for(quality.best)
    text = rig_text(rig, "first line\nsecond line")
    assert text.startswith("# first line\n# second line\nsignalchain: 1\nname: ")
    assert "  - cable: trs-cable\n    length: 3 m\n    ends: [scarlett.headphones, hm4.input]\n" \
        in text
    assert "  - {plug: alice, into: hm4.out1, via: adapter/3.5f-6.35m}\n" in text
    assert "  laptop: generic/laptop\n" in text
    again = Rig.from_text(text)
    assert again.to_dict() == rig.to_dict()


# one BOM model, one adapter search, one mating table ----------------------------------------


def test_bill_of_materials_counts_in_box_and_to_buy():
    from tests.test_advise_robust import NEWCOMER

    rig = Rig.from_text(NEWCOMER)
    connections = [
        {"cable": "trs-cable", "length": "2 m",
         "ends": ["solo.headphones", {"port": "ha400.input", "via": ["adapter/3.5f-6.35m"]}]},
        {"plug": "alice", "into": "ha400.out1", "via": "adapter/3.5f-6.35m"},
        {"plug": "zed", "into": "ha400.out2", "via": ["adapter/3.5f-6.35m"]},
        {"plug": "bob", "into": "ha400.out3", "via": "adapter/3.5f-6.35m"}]
    bom = bill_of_materials(connections, rig.catalog, rig.resolved.devices)
    assert [(i.item, i.count, i.in_box, i.to_buy) for i in bom] == [
        ("trs-cable", 1, 0, 1), ("adapter/3.5f-6.35m", 4, 2, 2)]
    assert bom[0].notes == (BomNote("length", length="2 m"),)
    assert bom[1].notes == (BomNote("in-box", "alice", "Sennheiser HD 280 Pro"),
                            BomNote("for-plug", "zed", "Zed's old cans"),
                            BomNote("in-box", "bob", "Audio-Technica ATH-M50x"))
    # schema models (a loaded rig's connections) give the same BOM
    wired = rig.with_connections([{"cable": "usb", "ends": ["laptop.usb", "solo.usb"]},
                                  *connections])
    assert bill_of_materials(wired.spec.connections[1:], rig.catalog,
                             rig.resolved.devices) == bom


def test_adapter_path_is_the_one_search():
    adapters = default_catalog().adapters()
    end = SimpleNamespace
    assert adapter_path(adapters, end(connector="trs-6.35", gender="plug"),
                        end(connector="trs-6.35", gender="jack")) == ()
    assert adapter_path(adapters, end(connector="trs-3.5", gender="plug"),
                        end(connector="trs-6.35", gender="jack")) == ("adapter/3.5f-6.35m",)
    assert adapter_path(adapters, end(connector="trs-6.35", gender="plug"),
                        end(connector="trs-3.5", gender="jack")) == ("adapter/6.35f-3.5m",)
    assert adapter_path(adapters, end(connector="xlr-3", gender="plug"),
                        end(connector="trs-3.5", gender="jack")) is None
    # check's hint for a plug that does not fit comes from the same search
    text = EX1.read_text().replace("    via: adapter/3.5f-6.35m       # the 6.35 mm adapter "
                                   "that comes in the box\n", "")
    with pytest.raises(RigError) as err:
        Rig.from_text(text).check()
    assert "add 'via: adapter/3.5f-6.35m'" in "\n".join(d.hint for d in err.value.diagnostics)


def test_mated_contacts_pairs_each_end_in_argument_order():
    assert mated_contacts("ts-6.35", "plug", "trs-6.35", "jack") == [
        ("tip", "tip"), ("sleeve", "ring"), ("sleeve", "sleeve")]
    assert mated_contacts("trs-6.35", "jack", "ts-6.35", "plug") == [
        ("tip", "tip"), ("ring", "sleeve"), ("sleeve", "sleeve")]
    assert mated_contacts("trs-6.35", "plug", "trs-6.35", "plug") is None
    assert mated_contacts("trs-3.5", "plug", "trs-6.35", "jack") is None


def test_contact_groups_tell_a_ts_cable_from_a_trs_cable():
    rig = Rig.from_path(EX1)
    devices = rig.resolved.devices

    def groups(cable):
        return contacts(rig.catalog, devices, [
            {"cable": cable, "ends": ["scarlett.headphones", "hm4.input"]}])

    out, inp = "scarlett.headphones", "hm4.input"
    assert groups("trs-cable") == (((inp, "ring"), (out, "ring")),
                                   ((inp, "sleeve"), (out, "sleeve")),
                                   ((inp, "tip"), (out, "tip")))
    # a TS plug's long sleeve shorts each jack's ring to its sleeve
    assert groups("ts-cable") == (((inp, "ring"), (inp, "sleeve"), (out, "ring"),
                                   (out, "sleeve")),
                                  ((inp, "tip"), (out, "tip")))

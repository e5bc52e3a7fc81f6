"""advise on ordinary and hostile rigs: clear errors, honest counts, sensible pairings."""

from __future__ import annotations

import json
import math
import re

import pytest

from signalchain import limits
from signalchain.advise import LEVEL_TOLERANCE_DB, advise
from signalchain.cli import app
from signalchain.errors import RigError, UsageError
from signalchain.report.advice import bom_note_text, method_json
from signalchain.rig import Rig
from tests.conftest import EXAMPLES

EX1 = EXAMPLES / "01-headphone-out-to-splitter.yaml"

INLINE_ZED = """\
  zed:
    kind: headphones
    name: Zed's old cans
    ports:
      plug: {connector: trs-3.5, gender: plug, direction: in, signal: stereo, captive: true}
    headphones: {z_ohm: 32, sensitivity_db_per_v: 110}
"""

NEWCOMER = """\
signalchain: 1
name: newcomer
devices:
  laptop: generic/laptop
  solo: focusrite/scarlett-solo-3rd-gen
  ha400: behringer/ha400
  alice: sennheiser/hd-280-pro
  bob: audio-technica/ath-m50x
""" + INLINE_ZED + "connections: []\n"

# listed so that the old code put the HD 280 (113 dB/V) and the K240 (106.8 dB/V) on one
# output; the DT 770/80 (≈107 dB/V) is the K240's close match
FIVE_WITH_Y = """\
signalchain: 1
devices:
  laptop: generic/laptop
  scarlett: focusrite/scarlett-2i2-3rd-gen
  hm4: mackie/hm-4
  y: splitter/y-3.5
  bob: audio-technica/ath-m50x
  carol: beyerdynamic/dt-770-pro-80
  dave: sony/mdr-7506
  alice: sennheiser/hd-280-pro
  erin: akg/k240-studio
connections: []
"""

HEADPHONES = ["sennheiser/hd-280-pro", "audio-technica/ath-m50x", "sony/mdr-7506",
              "akg/k371"]


def rig_text(devices: str) -> str:
    return f"signalchain: 1\ndevices:\n  laptop: generic/laptop\n{devices}connections: []\n"


def listeners(n: int, model: str | None = None) -> str:
    return "".join(f"  p{i}: {model or HEADPHONES[i % len(HEADPHONES)]}\n" for i in range(n))


def resolved(text: str) -> Rig:
    return Rig.from_text(text)


def run_advise(text: str, **kw):
    return advise(resolved(text), **kw)


def error_text(exc: RigError) -> str:
    return "\n".join(d.format() for d in exc.diagnostics)


@pytest.fixture(scope="module")
def newcomer():
    return run_advise(NEWCOMER)


@pytest.fixture(scope="module")
def five():
    return run_advise(FIVE_WITH_Y)


# 1. a device advise cannot use is a clear RigError ------------------------------------------

def test_headphones_without_captive_plug_are_a_rig_error():
    rig = resolved(NEWCOMER)
    zed = rig.resolved.devices["zed"]
    plug = zed.spec.ports["plug"].model_copy(update={"captive": False})
    zed.spec = zed.spec.model_copy(update={"ports": {"plug": plug}})
    with pytest.raises(RigError) as err:
        advise(rig)
    text = error_text(err.value)
    assert "zed (Zed's old cans)" in text and "captive: true" in text


def test_cli_headphones_without_captive_plug_exit_1(runner, tmp_path):
    path = tmp_path / "rig.yaml"
    path.write_text(NEWCOMER.replace(", captive: true}", "}"))
    result = runner.invoke(app, ["advise", str(path)])
    assert result.exit_code == 1, result.output
    assert "internal error" not in result.output and "Traceback" not in result.output
    assert "zed" in result.output


# 2. say what could not be done, use every interface and amp ---------------------------------

def test_twelve_listeners_two_amps_no_splitter_says_why():
    text = rig_text("  scarlett: focusrite/scarlett-2i2-3rd-gen\n  umc: behringer/umc202hd\n"
                    "  hm4: mackie/hm-4\n  ha400: behringer/ha400\n" + listeners(12))
    with pytest.raises(RigError) as err:
        run_advise(text)
    text = error_text(err.value)
    assert "12 listeners but hm4 has 4 outputs and there is no Y splitter" in text
    assert "12 listeners but ha400 has 4 outputs and there is no Y splitter" in text
    assert "add 8 more Y splitters" in text


def test_cli_twelve_listeners_exit_1_with_reason(runner, tmp_path):
    path = tmp_path / "rig.yaml"
    path.write_text(rig_text("  scarlett: focusrite/scarlett-2i2-3rd-gen\n"
                             "  umc: behringer/umc202hd\n  hm4: mackie/hm-4\n"
                             "  ha400: behringer/ha400\n" + listeners(12)))
    result = runner.invoke(app, ["advise", str(path)])
    assert result.exit_code == 1
    assert "12 listeners but hm4 has 4 outputs" in result.output


def test_every_interface_and_amp_considered_and_unused_devices_named():
    text = rig_text("  scarlett: focusrite/scarlett-2i2-3rd-gen\n  umc: behringer/umc202hd\n"
                    "  hm4: mackie/hm-4\n  ha400: behringer/ha400\n  y: splitter/y-6.35\n"
                    + listeners(1, "sennheiser/hd-600"))
    methods = run_advise(text)
    combos = {(m.interface, m.amp) for m in methods}
    assert combos == {(i, a) for i in ("scarlett", "umc") for a in ("hm4", "ha400")}
    for m in methods:
        other_iface = ({"scarlett", "umc"} - {m.interface}).pop()
        other_amp = ({"hm4", "ha400"} - {m.amp}).pop()
        assert set(m.unused) == {other_iface, other_amp, "y"}
        assert set(m.devices) == {"laptop", m.interface, m.amp, "p0"}
        assert method_json(m)["unused_devices"] == list(m.unused)
        assert m.interface in m.name and m.amp in m.name  # names say which devices
    assert methods[0].verdict == "recommended"


def test_cli_write_rig_of_multi_device_rig_checks(runner, tmp_path):
    path, out = tmp_path / "rig.yaml", tmp_path / "best.yaml"
    path.write_text(rig_text("  scarlett: focusrite/scarlett-2i2-3rd-gen\n"
                             "  umc: behringer/umc202hd\n  hm4: mackie/hm-4\n"
                             + listeners(2)))
    result = runner.invoke(app, ["advise", str(path), "--write-rig", str(out)])
    assert result.exit_code == 0, result.output
    assert "leaves unused:" in result.stdout
    check = runner.invoke(app, ["check", str(out)])
    assert check.exit_code == 0, check.output


# 3. the newcomer's run: per-listener adapters, one BOM model, honest wording, names ---------

def test_adapters_counted_per_listener(newcomer):
    for m in newcomer:
        (adapter,) = [i for i in m.bom if i.item == "adapter/3.5f-6.35m"]
        assert (adapter.count, adapter.in_box, adapter.to_buy) == (3, 2, 1)
        notes = [bom_note_text(n) for n in adapter.notes]
        assert sum("comes with" in n for n in notes) == 2
        assert any(n.startswith("for zed's plug") for n in notes)
        boxed = [p.text for p in m.pros if "in the box" in p.text]
        assert boxed == ["in the box with the headphones: 2× adapter/3.5f-6.35m"]


def test_items_to_buy_count_matches_the_list(newcomer):
    for m in newcomer:
        assert all(i.count == i.in_box + i.to_buy for i in m.bom)
        (line,) = [c.text for c in m.cons if "to buy or find" in c.text]
        n = int(re.match(r"(\d+) items? to buy", line).group(1))
        listed = [int(x) for x in re.findall(r"(\d+)× ", line.split(":", 1)[1])]
        assert n == sum(listed) == m.facts.to_buy == sum(i.to_buy for i in m.bom)
        assert "adapter/3.5f-6.35m" in line  # zed's adapter is to buy


def test_only_the_quietest_says_so(newcomer, five):
    for methods in (newcomer, five):
        sole = [m for m in methods if any("the quietest option" in p.text for p in m.pros)]
        tied = [m for m in methods if any("tied for quietest" in p.text for p in m.pros)]
        assert len(sole) + len(tied) >= 1 and len(sole) <= 1
        assert not (sole and tied)
        assert len(tied) != 1
        best = min(m.facts.noise_spl_dba for m in sole + tied)
        assert all(abs(m.facts.noise_spl_dba - best) < 0.05 for m in tied)
        claimed = sole + tied
        for m in methods:
            if m.tier == claimed[0].tier and m not in claimed:
                assert m.facts.noise_spl_dba > best


def test_no_tautological_verdicts(newcomer, runner, tmp_path):
    for m in newcomer:
        assert not m.reason.text.startswith(m.verdict)
    path = tmp_path / "rig.yaml"
    path.write_text(NEWCOMER)
    result = runner.invoke(app, ["advise", str(path)])
    assert result.exit_code == 0, result.output
    assert "works: works" not in result.stdout
    assert "Zed's old cans" in result.stdout  # the inline headphones' name is shown


def test_listener_names_in_pros_and_cons(newcomer):
    assert newcomer[0].facts.listeners["zed"] == "Zed's old cans"
    text = " ".join(p.text for m in newcomer for p in m.pros + m.cons)
    assert "(Audio-Technica ATH-M50x)" in text or "(Zed's old cans)" in text


# 4. pairings on a Y splitter, and stereo before not-stereo ---------------------------------

def test_y_splitter_pairs_closest_sensitivities(five):
    best = five[0]
    assert best.verdict == "recommended"
    assert best.shared_outputs and list(best.shared_outputs.values()) == [("erin", "carol")]
    levels = best.facts.levels_spl_db
    assert all(abs(v - 80.0) <= LEVEL_TOLERANCE_DB for v in levels.values())
    cons, pros = [c.text for c in best.cons], [p.text for p in best.pros]
    assert any("share hm4.out" in c and "0.2 dB apart" in c for c in cons)
    assert not any("each listener has their own physical knob" in p for p in pros)
    assert any("3 of 5 listeners have their own physical knob" in p for p in pros)


def test_stereo_never_ranks_below_not_stereo(five):
    stereo = [m.facts.stereo for m in five]
    assert stereo == sorted(stereo, reverse=True)
    assert [m.tier for m in five] == sorted(m.tier for m in five)


def test_mismatched_pairs_rank_after_stereo_and_say_by_how_much():
    # five listeners 2.3 dB or more apart: whoever shares the splitter is off target
    text = rig_text("  s: focusrite/scarlett-2i2-3rd-gen\n  hm4: mackie/hm-4\n"
                    "  y: splitter/y-6.35\n  a: sennheiser/hd-600\n  b: akg/k240-studio\n"
                    "  c: sennheiser/hd-280-pro\n  d: audio-technica/ath-m50x\n  e: akg/k371\n")
    methods = run_advise(text)
    tiers = [m.tier for m in methods]
    assert tiers == sorted(tiers) and min(tiers) == 1
    first = methods[0]
    assert first.facts.stereo and first.verdict == "not-recommended"
    assert sorted(next(iter(first.shared_outputs.values()))) == ["c", "d"]
    assert "from the 80 dB SPL target" in first.reason.text
    assert any("below the 80 dB SPL target" in c.text or "above the 80 dB SPL target" in c.text
               for c in first.cons)


# 5. no amp, too few outputs, unusable interface, absurd options -----------------------------

def test_no_amp_one_listener_goes_straight_in():
    methods = run_advise(rig_text("  s: focusrite/scarlett-2i2-3rd-gen\n"
                                  + listeners(1, "sennheiser/hd-600")))
    assert [m.name for m in methods] == ["Headphones straight into the interface"]
    assert methods[0].verdict == "recommended" and methods[0].amp is None


def test_no_amp_two_listeners_share_through_splitter_or_say_why():
    base = "  s: focusrite/scarlett-2i2-3rd-gen\n" + listeners(2, "sennheiser/hd-600")
    with pytest.raises(RigError) as err:
        run_advise(rig_text(base))
    assert "2 listeners but s has 1 headphone output and there is no Y splitter" in \
        error_text(err.value)
    methods = run_advise(rig_text(base + "  y: splitter/y-6.35\n"))
    assert methods[0].shared_outputs == {"s.headphones": ("p0", "p1")}
    assert methods[0].verdict == "recommended"


def test_amp_with_too_few_outputs_and_no_splitter():
    text = rig_text("  s: focusrite/scarlett-2i2-3rd-gen\n  hm4: mackie/hm-4\n"
                    + listeners(5, "sennheiser/hd-600"))
    with pytest.raises(RigError) as err:
        run_advise(text)
    text = error_text(err.value)
    assert "5 listeners but hm4 has 4 outputs and there is no Y splitter" in text
    assert "add 1 more Y splitter " in text


@pytest.mark.parametrize("ports, expected", [
    ("      usb: {connector: usb-c, direction: host, signal: host}\n",
     "box has no output that carries program"),
    ("      out: {connector: trs-6.35, direction: out, signal: stereo, feeds: {left: L, right: R},"
     " v_rms_at_0dbfs: 1 V, z_out_ohm: 10, max_v_rms: 1 V,"
     " noise: {knob_min_dbu_a: -100, knob_max_dbu_a: -100}}\n",
     "box has no USB port for laptop"),
])
def test_interface_without_usable_outputs(ports, expected):
    text = rig_text("  box:\n    kind: interface\n    power: usb-bus\n    ports:\n" + ports
                    + "  hm4: mackie/hm-4\n" + listeners(1, "sennheiser/hd-600"))
    with pytest.raises(RigError) as err:
        run_advise(text)
    assert expected in error_text(err.value)


def test_headphone_plug_that_fits_nothing():
    text = rig_text("  s: focusrite/scarlett-2i2-3rd-gen\n  hm4: mackie/hm-4\n  x:\n"
                    "    kind: headphones\n    ports:\n      plug: {connector: xlr-3, gender: plug,"
                    " direction: in, signal: stereo, captive: true}\n"
                    "    headphones: {z_ohm: 32, sensitivity_db_per_v: 110}\n")
    with pytest.raises(RigError) as err:
        run_advise(text)
    assert "x's xlr-3 plug fits no trs-6.35 output of hm4" in error_text(err.value)


@pytest.mark.parametrize("kw", [{"length_m": -1.0}, {"length_m": math.nan}, {"length_m": 1e9},
                                {"target_spl_db": math.nan}, {"target_spl_db": math.inf},
                                {"headroom_db": -3.0}, {"priority": "cheap"}])
def test_library_rejects_absurd_options(kw):
    with pytest.raises(UsageError):
        advise(Rig.from_path(EX1), **kw)


@pytest.mark.parametrize("args, words", [
    (["--length", "-3 m"], "negative"), (["--length", "nan"], "length"),
    (["--length", "1e9"], "0.1..100 m"), (["--target-spl", "nan"], "20..130 dB SPL"),
    (["--target-spl", "1000"], "20..130 dB SPL")])
def test_cli_absurd_options_are_usage_errors(runner, args, words):
    result = runner.invoke(app, ["advise", str(EX1), *args])
    assert result.exit_code == 2, result.output
    assert words in result.output and "internal error" not in result.output


def test_cli_json_has_bom_model_and_skipped(runner, tmp_path):
    path = tmp_path / "rig.yaml"
    path.write_text(NEWCOMER)
    result = runner.invoke(app, ["advise", str(path), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["skipped"] == []
    item = next(i for i in data["methods"][0]["bom"] if i["item"] == "adapter/3.5f-6.35m")
    assert (item["count"], item["in_box"], item["to_buy"]) == (3, 2, 1)


# 6. identical devices are tried once; the number of candidates is bounded -------------------

TWINS = rig_text("  s1: focusrite/scarlett-2i2-3rd-gen\n  s2: focusrite/scarlett-2i2-3rd-gen\n"
                 + listeners(1, "sennheiser/hd-600"))


def test_identical_interfaces_are_tried_once():
    methods = run_advise(TWINS)
    assert [m.name for m in methods] == ["Headphones straight into the interface (s1)"]
    assert methods[0].unused == ("s2",)
    (same,) = methods.skipped
    assert (same.devices, same.code) == (("s2", "s1"), "same-as")
    assert same.message.startswith("s2 is the same as s1")


@pytest.mark.parametrize("change", ["    knobs: {headphones: 0.3}\n", "    outlet: desk\n"])
def test_interfaces_that_differ_in_knobs_or_outlet_are_both_tried(change):
    text = TWINS.replace("  s2: focusrite/scarlett-2i2-3rd-gen\n",
                         "  s2:\n    model: focusrite/scarlett-2i2-3rd-gen\n" + change)
    methods = run_advise(text)
    assert sorted(m.interface for m in methods) == ["s1", "s2"]
    assert methods.skipped == ()


def test_advise_candidates_limit_refuses_before_building(monkeypatch):
    built = []
    monkeypatch.setattr(Rig, "with_connections",
                        lambda self, *a, **k: built.append(a) or pytest.fail("built"))
    with limits.using(limits.DEFAULT.with_values({"advise-candidates": "4"})):
        with pytest.raises(RigError) as err:
            advise(Rig.from_path(EX1))
    (diag,) = err.value.diagnostics
    assert diag.code == "limit" and built == []
    assert "advise-candidates limit: 5 distinct candidates over 1 interface-and-amp pairs " \
        "(the limit is 4)" in diag.message
    assert "--limit advise-candidates=5" in diag.hint


def test_cli_limit_raises_advise_candidates(runner):
    result = runner.invoke(app, ["--limit", "advise-candidates=4", "advise", str(EX1)])
    assert result.exit_code == 1 and "advise-candidates" in result.output
    result = runner.invoke(app, ["--limit", "advise-candidates=5", "advise", str(EX1), "--json"])
    assert result.exit_code == 0, result.output

"""Wiring checks at contact level: what plugs into what, and the netlist it makes."""

import pytest

from signalchain.api import check_rig
from signalchain.errors import RigError
from signalchain.rig import Rig
from tests.conftest import EXAMPLES, built_from_text

BASE = """\
signalchain: 1
devices:
  laptop: generic/laptop
  s: focusrite/scarlett-2i2-3rd-gen
  amp: mackie/hm-4
  alice: audio-technica/ath-m50x
connections:
  - cable: usb
    ends: [laptop.usb, s.usb]
  - cable: trs-cable
    ends: [s.headphones, amp.input]
  - plug: alice
    into: amp.out1
    via: adapter/3.5f-6.35m
"""


def error_text(text: str) -> str:
    with pytest.raises(RigError) as info:
        built_from_text(text)
    return "\n".join(d.format() for d in info.value.diagnostics if d.severity == "error")


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_examples_check(path):
    built = check_rig(path)
    assert built.listeners
    assert all(built.feeds[name] for name in built.listeners)


def test_base_is_valid():
    built = built_from_text(BASE)
    assert built.feeds == {"alice": "amp.out1"}


def test_unknown_device_id_suggests():
    msg = error_text(BASE.replace("mackie/hm-4", "mackie/hm4"))
    assert "test-rig.yaml:5:8: error: unknown device id 'mackie/hm4'" in msg
    assert "did you mean 'mackie/hm-4'" in msg


def test_unknown_port_lists_ports():
    msg = error_text(BASE.replace("amp.out1", "amp.output1"))
    assert "mackie/hm-4) has no port 'output1'" in msg
    assert "input, out1, out2, out3, out4" in msg


def test_plug_that_does_not_fit_names_adapter():
    msg = error_text(BASE.replace("    via: adapter/3.5f-6.35m\n", ""))
    assert "(3.5 mm plug, trs-3.5) does not fit amp.out1 (6.35 mm jack, trs-6.35)" in msg
    assert "add 'via: adapter/3.5f-6.35m'" in msg
    assert msg.startswith("test-rig.yaml:12:")


def test_output_to_output():
    msg = error_text(BASE.replace("ends: [s.headphones, amp.input]",
                                  "ends: [s.headphones, amp.out2]"))
    assert "outputs s.headphones and amp.out2 are wired together" in msg


def test_input_to_input():
    text = BASE.replace("amp: mackie/hm-4", "amp: mackie/hm-4\n  amp2: mackie/hm-4").replace(
        "ends: [s.headphones, amp.input]", "ends: [amp2.input, amp.input]")
    assert "wires input to input (amp2.input and amp.input); nothing drives it" in error_text(text)


def test_port_used_twice():
    text = BASE + "  - cable: trs-cable\n    ends: [s.line_out_1, amp.input]\n"
    msg = error_text(text)
    assert "amp.input is already used by connection 2 (line 10)" in msg


def test_interface_without_host_link():
    text = BASE.replace("  - cable: usb\n    ends: [laptop.usb, s.usb]\n", "")
    msg = error_text(text)
    assert "has no USB link to a computer, so nothing plays into it" in msg
    assert "ends: [laptop.usb, s.usb]" in msg


def test_listener_connected_to_nothing():
    text = BASE.replace("  alice: audio-technica/ath-m50x",
                        "  alice: audio-technica/ath-m50x\n  bob: sony/mdr-7506")
    assert "listener bob (sony/mdr-7506) is not plugged into anything" in error_text(text)


def test_unknown_cable_and_end_count():
    assert "unknown cable 'trs-cabel'" in error_text(BASE.replace("cable: trs-cable",
                                                                  "cable: trs-cabel"))
    msg = error_text(BASE.replace("ends: [s.headphones, amp.input]",
                                  "ends: [s.headphones]"))
    assert "trs-cable has 2 ends (a, b) but 1 are given" in msg


def test_unknown_knob():
    text = BASE.replace("s: focusrite/scarlett-2i2-3rd-gen",
                        "s: {model: focusrite/scarlett-2i2-3rd-gen, knobs: {phones: 0.5}}")
    assert ("s has no knob 'phones' (its knobs: gain1, gain2, headphones, monitor)"
            in error_text(text))


def test_ts_plug_in_stereo_output_warns_and_shorts_ring():
    text = BASE.replace("cable: trs-cable\n    ends: [s.headphones, amp.input]",
                        "cable: ts-cable\n    ends: [s.headphones, amp.input]")
    built = built_from_text(text)
    (finding,) = [f for f in Rig.from_text(text, "ts.yaml").check().findings
                  if f.code == "shorted-output"]
    assert (finding.subject, finding.data["role"], finding.severity) == (
        "s.headphones", "right", "error")
    assert finding.data["load_ohm"] < 1.0
    assert finding.location is not None and finding.location.line == text[
        :text.index("cable: ts-cable")].count("\n") + 1
    # the TS plug's sleeve touches the jack's ring and sleeve: ring joined to ground
    group = built.netlist.conductive_group("s.headphones.ring")
    assert "s.headphones.sleeve" in group


def test_passive_y_with_two_listeners_warns():
    text = BASE.replace("  alice: audio-technica/ath-m50x",
                        "  alice: audio-technica/ath-m50x\n  bob: akg/k371\n"
                        "  y: splitter/y-3.5").replace(
        "  - plug: alice\n    into: amp.out1\n    via: adapter/3.5f-6.35m\n",
        "  - {plug: y, into: amp.out1, via: adapter/3.5f-6.35m}\n"
        "  - {plug: alice, into: y.a}\n  - {plug: bob, into: y.b}\n")
    built = built_from_text(text)
    (warning,) = [w for w in built.warnings if w.code == "passive-split"]
    assert "2 pairs of headphones (alice, bob) share amp.out1" in warning.message


def test_netlist_left_line_out_method():
    built = check_rig(EXAMPLES / "02-left-line-out-to-splitter.yaml")
    reached = built.netlist.contacts_reached("hm4.input.ring")
    # the amp input's ring contact is wired to the interface's cold leg of line out 1
    assert ("scarlett.line_out_1.ring", "scarlett", "line_out_1", "cold") in reached
    tip = built.netlist.contacts_reached("hm4.input.tip")
    assert ("scarlett.line_out_1.tip", "scarlett", "line_out_1", "hot") in tip
    # and the amp senses its right channel on that ring
    senses = {s.name: s for s in built.netlist.senses}
    assert senses["hm4.input:right"].terms[0][0] == "hm4.input.ring"


def test_netlist_dual_ts_method():
    built = check_rig(EXAMPLES / "03-dual-ts-to-trs-to-splitter.yaml")
    ring = built.netlist.contacts_reached("hm4.input.ring")
    assert ("scarlett.line_out_2.tip", "scarlett", "line_out_2", "hot") in ring
    # each TS plug's sleeve shorts its line out's ring (cold) to the sleeve
    group = built.netlist.conductive_group("scarlett.line_out_1.ring")
    assert "scarlett.line_out_1.sleeve" in group and "hm4.input.sleeve" in group


def test_netlist_has_grounds_and_drivers():
    built = check_rig(EXAMPLES / "01-headphone-out-to-splitter.yaml")
    net = built.netlist
    assert {d.stage for d in net.drives} >= {"scarlett.headphones", "hm4.out1", "hm4.out4"}
    assert any(g.name == "laptop.leakage" for g in net.ground_sources)
    # the USB cable joins the laptop's and the interface's grounds
    group = net.conductive_group("laptop.usb.gnd")
    assert "scarlett.usb.gnd" in group
    ears = [s.name for s in net.senses if s.kind == "ear"]
    assert "alice:left" in ears and "dave:right" in ears


def test_adapters_on_both_ends_stay_separate():
    """Regression: each end's adapters get their own nodes (they once shared 'c2.a1')."""
    built = check_rig(EXAMPLES / "04-aux-cable-from-monitor-out.yaml")
    nodes = set(built.netlist.nodes())
    assert {"c2.a.a1.jack.tip", "c2.b.a1.jack.tip"} <= nodes
    # the interface's line out reaches the amp input only through the cable's tip wire
    assert "hm4.input.tip" in built.netlist.conductive_group("scarlett.line_out_1.tip")
    assert "hm4.input.tip" not in built.netlist.conductive_group("scarlett.line_out_1.sleeve")


def test_breakout_with_adapters_on_each_leg():
    text = BASE.replace("cable: trs-cable\n    ends: [s.headphones, amp.input]",
                        "cable: trs-3.5-to-dual-rca\n    ends:\n"
                        "      trs: {port: amp.input, via: adapter/3.5f-6.35m}\n"
                        "      left: {port: s.line_out_1, via: adapter/ts-to-rca}\n"
                        "      right: {port: s.line_out_2, via: adapter/ts-to-rca}")
    built = built_from_text(text)
    assert "amp.input.tip" in built.netlist.conductive_group("s.line_out_1.tip")
    assert "amp.input.ring" in built.netlist.conductive_group("s.line_out_2.tip")
    assert "s.line_out_2.tip" not in built.netlist.conductive_group("s.line_out_1.tip")


@pytest.mark.parametrize("topology, warns", [("push-pull", True), ("servo", False),
                                             ("impedance", False), ("transformer", False)])
def test_shorted_legs_found_from_the_netlist(topology, warns):
    """A TS cable from a balanced output ties the cold leg to the sleeve. Only a push-pull
    cold driver (ground-referenced) then works into a short; an impedance-balanced cold leg
    is a resistor to ground, and servo and transformer outputs float, so grounding one leg
    just unbalances them (electrical.md §1.1). The check and the simulation must agree."""
    from signalchain.evaluate import shorted_outputs
    from signalchain.graph import compile_rig
    from tests.rigkit import built, in_port, out_port, rig

    doc = rig({"out": out_port(topology)}, {"in": in_port("ts")},
              [{"cable": "ts-cable", "ends": ["src.out", "dst.in"]}])
    rig_built = built(doc)
    found = shorted_outputs(compile_rig(rig_built))
    assert bool(found) == warns
    if warns:
        assert [(f.subject, f.data["role"]) for f in found] == [("src.out", "cold")]

"""Rigs a review found still reaching internal errors (exit 3): now results or clear errors."""

import json

import pytest

from signalchain.cli import app

COMPUTER = "  laptop: generic/laptop\n"
USB = "  - {cable: usb, ends: [laptop.usb, iface.usb]}\n"

STEREO_ON_TS = f"""signalchain: 1
devices:
{COMPUTER}  iface:
    kind: interface
    ports:
      usb: {{connector: usb-b, direction: host, signal: host}}
      out: {{connector: ts-6.35, direction: out, signal: stereo, feeds: {{left: L, right: R}},
             v_rms_at_0dbfs: 1, z_out_ohm: 10, max_v_rms: 1,
             noise: {{knob_min_dbu_a: -100, knob_max_dbu_a: -90}}}}
  alice: sennheiser/hd-280-pro
connections:
{USB}  - {{plug: alice, into: iface.out, via: adapter/3.5f-6.35m}}
"""


def headphones(port: str) -> str:
    return f"""signalchain: 1
devices:
{COMPUTER}  iface: behringer/umc202hd
  l0:
    kind: headphones
    ports:
      plug: {port}
    headphones: {{z_ohm: 32, sensitivity_db_per_mw: 100}}
connections:
{USB}  - {{plug: l0, into: iface.phones}}
"""


BAD_LINK = f"""signalchain: 1
devices:
{COMPUTER}  iface: focusrite/scarlett-2i2-3rd-gen
  ysp:
    kind: splitter
    ports:
      plug: {{connector: trs-3.5, gender: plug, direction: in, signal: stereo, captive: true}}
      a: {{connector: trs-3.5, direction: out, signal: stereo}}
    links: [[plug.tip, LINK]]
  alice: sennheiser/hd-280-pro
connections:
{USB}  - {{plug: ysp, into: iface.headphones, via: adapter/3.5f-6.35m}}
  - {{plug: alice, into: ysp.a}}
"""

NOTHING_PLAYS_IN = """signalchain: 1
devices:
  hm4: mackie/hm-4
  alice: sennheiser/hd-280-pro
connections:
  - {plug: alice, into: hm4.out1, via: adapter/3.5f-6.35m}
"""


def invoke(runner, tmp_path, text, *args):
    rig = tmp_path / "rig.yaml"
    rig.write_text(text)
    result = runner.invoke(app, [args[0], str(rig), *args[1:]])
    assert "internal error" not in result.output and "Traceback" not in result.output
    return result


@pytest.mark.parametrize("text, says", [
    (STEREO_ON_TS, "a stereo port cannot use a ts-6.35 connector (it has no cold contact)"),
    (headphones("{connector: ts-6.35, gender: plug, direction: in, signal: unbalanced, "
                "captive: true}"), "'signal: stereo' (tip left, ring right)"),
    (headphones("{connector: trs-6.35, gender: plug, direction: in, signal: stereo, "
                "captive: true, senses: {left: L, right: R}, z_in_ohm: 32}"), "no feeds or senses"),
    (BAD_LINK.replace("LINK", "zz.tip"), "names port 'zz', which the device does not have"),
    (BAD_LINK.replace("LINK", "a.foo"), "a trs-3.5 port has no contact 'foo'"),
])
@pytest.mark.parametrize("command", ["check", "simulate", "tune", "advise"])
def test_inconsistent_ports_and_links_are_rig_errors(runner, tmp_path, text, says, command):
    result = invoke(runner, tmp_path, text, command)
    assert result.exit_code == 1
    assert says in result.stderr


def test_an_amp_that_nothing_plays_into_renders_its_hiss(runner, tmp_path):
    result = invoke(runner, tmp_path, NOTHING_PLAYS_IN, "render", "--out",
                    str(tmp_path / "out"), "--seconds", "0.5")
    assert result.exit_code == 0
    ears = json.loads((tmp_path / "out" / "summary.json").read_text())["render"]["listeners"]
    left = ears["alice"]["left"]["rms_spl_db"]
    assert left is not None and left < 30  # hiss only, no program


def test_tune_says_no_program_reaches_a_listener_instead_of_minus_infinity(runner, tmp_path):
    result = invoke(runner, tmp_path, NOTHING_PLAYS_IN, "tune")
    assert "-inf" not in result.stdout and "None" not in result.stdout
    assert "no program reaches them" in " ".join(result.stdout.split())


@pytest.mark.parametrize("amp2", ["*amp", "{model: mackie/hm-4, knobs: *k}"])
def test_tune_write_refuses_devices_shared_through_a_yaml_alias(runner, tmp_path, amp2):
    text = f"""signalchain: 1
devices:
  laptop: generic/laptop
  scarlett: focusrite/scarlett-2i2-3rd-gen
  amp1: &amp {{model: mackie/hm-4, knobs: &k {{out1: 0.5}}}}
  amp2: {amp2}
  y: splitter/y-3.5
  alice: sennheiser/hd-280-pro
  bob: beyerdynamic/dt-770-pro-250
connections:
  - {{cable: usb, ends: [laptop.usb, scarlett.usb]}}
  - {{plug: y, into: scarlett.headphones, via: adapter/3.5f-6.35m}}
  - {{cable: trs-3.5-cable, ends: [y.a, {{port: amp1.input, via: adapter/3.5f-6.35m}}]}}
  - {{cable: trs-3.5-cable, ends: [y.b, {{port: amp2.input, via: adapter/3.5f-6.35m}}]}}
  - {{plug: alice, into: amp1.out1, via: adapter/3.5f-6.35m}}
  - {{plug: bob, into: amp2.out1, via: adapter/3.5f-6.35m}}
"""
    result = invoke(runner, tmp_path, text, "tune", "--write")
    assert result.exit_code == 1
    assert "through a YAML alias" in result.stderr
    assert (tmp_path / "rig.yaml").read_text() == text  # nothing written

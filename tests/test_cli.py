"""The command line: exit codes, stderr format, JSON shapes, never a traceback."""

import json

import pytest

from signalchain.cli import app
from tests.conftest import EXAMPLES

EX1 = str(EXAMPLES / "01-headphone-out-to-splitter.yaml")


def run(runner, *args):
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception,
                                                                      SystemExit)
    return result


def test_check_valid_exit_0(runner):
    result = run(runner, "check", EX1)
    assert result.exit_code == 0
    assert "is valid" in result.stdout


def test_check_invalid_exit_1(runner, tmp_path):
    rig = tmp_path / "bad.yaml"
    rig.write_text("signalchain: 1\ndevices:\n  amp: mackie/hm5\n")
    result = run(runner, "check", str(rig))
    assert result.exit_code == 1
    assert f"{rig}:3:8: error: unknown device id 'mackie/hm5'" in result.stderr


def test_missing_file_exit_1(runner, tmp_path):
    result = run(runner, "check", str(tmp_path / "nope.yaml"))
    assert result.exit_code == 1
    assert "no such file" in result.stderr


def test_usage_error_exit_2(runner):
    assert run(runner, "check").exit_code == 2
    assert run(runner, "simulate", EX1, "--set", "scarlett.volume=0.5").exit_code == 2
    assert run(runner, "catalog", "show", "nothing/here").exit_code == 2


def test_simulate_json_shape(runner):
    result = run(runner, "simulate", EX1, "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["signalchain"] == 1
    assert data["reference"] == {"program_dbfs_rms": -18.0, "frequency_hz": 1000}
    alice = data["listeners"][0]
    assert alice["id"] == "alice" and alice["feed"] == "hm4.out1"
    left = alice["ears"]["left"]
    assert left["program"][0]["channel"] == "L" and left["program"][0]["polarity"] == 1
    for key in ("noise_spl_dba", "hum_spl_dba"):
        assert isinstance(left[key], float)
    assert {"peak_spl_db", "clips_at_dbfs", "volume_controls", "warnings",
            "assumptions"} <= alice.keys()
    assert {"knob": "scarlett.headphones", "physical": True} in alice["volume_controls"]
    assert all({"id", "headroom_db"} <= s.keys() for s in data["stages"])


def test_simulate_set_changes_level(runner):
    lo = json.loads(run(runner, "simulate", EX1, "--json", "--set",
                        "scarlett.headphones=30%").stdout)
    hi = json.loads(run(runner, "simulate", EX1, "--json", "--set",
                        "scarlett.headphones=0.9").stdout)
    spl = lambda d: d["listeners"][0]["ears"]["left"]["program"][0]["spl_db"]  # noqa: E731
    assert spl(hi) > spl(lo) + 10


def test_simulate_table(runner):
    result = run(runner, "simulate", str(EXAMPLES / "02-left-line-out-to-splitter.yaml"))
    assert result.exit_code == 0
    assert "one-ear" in result.stdout and "assumed values" in result.stdout


def test_catalog_list_and_show(runner):
    result = run(runner, "catalog", "list", "--json")
    ids = [r["id"] for r in json.loads(result.stdout)]
    assert "mackie/hm-4" in ids and "adapter/3.5f-6.35m" in ids
    result = run(runner, "catalog", "list", "--kind", "headphones")
    assert "sennheiser/hd-650" in result.stdout and "mackie/hm-4" not in result.stdout
    assert run(runner, "catalog", "list", "--kind", "toaster").exit_code == 2
    result = run(runner, "catalog", "show", "sennheiser/hd-650")
    assert "Sound-Library" in result.stdout and "assumed" in result.stdout


def test_schema_is_json_schema(runner):
    data = json.loads(run(runner, "schema").stdout)
    assert data["$schema"].startswith("https://json-schema.org/")
    assert "devices" in data["properties"]


def test_netlist_spice(runner):
    result = run(runner, "netlist", EX1, "--listener", "alice", "--format", "spice")
    assert result.exit_code == 0
    assert ".control" in result.stdout and "vm(alice_left,alice_common)" in result.stdout
    assert run(runner, "netlist", EX1, "--listener", "zed").exit_code == 2


@pytest.mark.parametrize("cmd", [["demo"]])
def test_demo_runs(runner, cmd, tmp_path):
    result = run(runner, *cmd, "--out", str(tmp_path / "d"))
    assert result.exit_code == 0
    assert "01-headphone-out-to-splitter" in result.stdout
    assert (tmp_path / "d" / "02-left-line-out-to-splitter.json").exists()
    # a non-empty output directory is not overwritten without --force
    assert run(runner, *cmd, "--out", str(tmp_path / "d")).exit_code == 1
    assert run(runner, *cmd, "--out", str(tmp_path / "d"), "--force").exit_code == 0


EDGE_RIGS = {
    "no-listeners": """\
signalchain: 1
devices:
  laptop: generic/laptop
  s: focusrite/scarlett-2i2-3rd-gen
connections:
  - {cable: usb, ends: [laptop.usb, s.usb]}
""",
    "no-amp": """\
signalchain: 1
devices:
  pc: generic/desktop
  s: focusrite/scarlett-solo-3rd-gen
  alice: sennheiser/hd-600
connections:
  - {cable: usb, ends: [pc.usb, s.usb]}
  - {plug: alice, into: s.headphones}
""",
    "silent-inline": """\
signalchain: 1
devices:
  laptop: generic/laptop
  box:
    kind: interface
    power: usb-bus
    ports:
      usb: {connector: usb-c, direction: host, signal: host}
      hp: {connector: trs-6.35, direction: out, signal: stereo, feeds: {left: L, right: R},
           v_rms_at_0dbfs: 0 V, z_out_ohm: 0, max_v_rms: 0 V,
           noise: {knob_min_dbu_a: -200, knob_max_dbu_a: -200}}
  bob: sennheiser/hd-650
connections:
  - {cable: usb, ends: [laptop.usb, box.usb]}
  - {plug: bob, into: box.hp}
""",
}


@pytest.mark.parametrize("name", sorted(EDGE_RIGS))
@pytest.mark.parametrize("cmd", [["check"], ["simulate"], ["simulate", "--json"], ["tune"],
                                 ["advise"], ["render", "--seconds", "0.3", "--out"]])
def test_edge_rigs_never_crash(runner, tmp_path, name, cmd):
    rig = tmp_path / f"{name}.yaml"
    rig.write_text(EDGE_RIGS[name])
    args = [cmd[0], str(rig), *cmd[1:]]
    if cmd[-1] == "--out":
        args.append(str(tmp_path / "out"))
    result = runner.invoke(app, args)
    assert "Traceback" not in result.output and "internal error" not in result.output
    assert result.exit_code in (0, 1), result.output

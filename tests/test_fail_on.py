"""Rig-as-code in CI: --fail-on, --junit, check --json and JSON diagnostics of invalid rigs."""

import json
import xml.etree.ElementTree as ET

import pytest
from typer.testing import CliRunner

from signalchain.cli import app
from signalchain.findings import Finding, matches
from tests.conftest import EXAMPLES

EX1 = str(EXAMPLES / "01-headphone-out-to-splitter.yaml")
EX2 = str(EXAMPLES / "02-left-line-out-to-splitter.yaml")


@pytest.fixture
def runner():
    return CliRunner()


@pytest.mark.parametrize("severity, selected", [
    ("error", {"error"}), ("warning", {"error", "warning"}),
    ("info", {"error", "warning", "info"})])
def test_severity_selects_itself_and_everything_more_severe(severity, selected):
    found = {s for s in ("error", "warning", "info")
             if matches(Finding("x", s, "simulate"), frozenset({severity}))}  # type: ignore[arg-type]
    assert found == selected
    assert matches(Finding("one-ear", "info", "simulate"), frozenset({"one-ear"}))
    assert not matches(Finding("one-ear", "info", "simulate"), frozenset({"antiphase"}))


def test_check_passes_the_one_ear_method_without_fail_on_and_fails_it_with(runner):
    assert runner.invoke(app, ["check", EX2]).exit_code == 0
    res = runner.invoke(app, ["check", EX2, "--fail-on", "error"])
    assert res.exit_code == 1
    assert "match --fail-on (missing-channel, one-ear)" in res.stderr
    assert runner.invoke(app, ["check", EX1, "--fail-on", "error"]).exit_code == 0
    # hiss is audible for the seed rig's listeners: a warning
    assert runner.invoke(app, ["check", EX1, "--fail-on", "warning"]).exit_code == 1
    assert runner.invoke(app, ["simulate", EX1, "--fail-on", "one-ear,antiphase"]).exit_code == 0
    assert runner.invoke(app, ["simulate", EX2, "--fail-on", "one-ear"]).exit_code == 1


def test_unknown_fail_on_is_a_usage_error(runner):
    res = runner.invoke(app, ["check", EX1, "--fail-on", "one-eared"])
    assert res.exit_code == 2 and "one-eared" in res.stderr and "one-ear" in res.stderr


def test_junit_has_a_case_per_listener_and_failures_for_errors(runner, tmp_path):
    report = tmp_path / "junit.xml"
    res = runner.invoke(app, ["check", EX2, "--junit", str(report)])
    assert res.exit_code == 0  # no --fail-on: the report marks errors, the exit code does not
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    assert set(cases) == {"wiring", "listener alice", "listener bob", "listener carol",
                          "listener dave"}
    assert suite.get("tests") == "5" and suite.get("failures") == "4"
    alice = [f.get("type") for f in cases["listener alice"].findall("failure")]
    assert sorted(alice) == ["missing-channel", "one-ear"]
    assert cases["wiring"].find("failure") is None


def test_junit_of_an_invalid_rig_and_escaping(runner, tmp_path):
    rig = tmp_path / "bad.yaml"
    rig.write_text('signalchain: 1\nname: "<b>&amp;</b>"\ndevices: {x: "nope<&>"}\n')
    report = tmp_path / "junit.xml"
    res = runner.invoke(app, ["check", str(rig), "--junit", str(report)])
    assert res.exit_code == 1
    root = ET.parse(report).getroot()  # well-formed despite < & > in the input
    failure = root.find("testsuite/testcase/failure")
    assert failure is not None and "nope<&>" in (failure.text or "")


def test_check_json_and_json_diagnostics(runner, tmp_path):
    res = runner.invoke(app, ["check", EX2, "--json", "--fail-on", "error"])
    data = json.loads(res.stdout)
    assert res.exit_code == 1 and data["signalchain"] == 1 and data["valid"] is True
    assert {f["code"] for f in data["failed"]} == {"missing-channel", "one-ear"}
    assert all(f["severity"] == "error" for f in data["failed"])
    rig = tmp_path / "bad.yaml"
    rig.write_text("signalchain: 1\ndevices:\n  amp: mackie/hm-5\n")
    for cmd in (["check"], ["simulate"], ["tune"], ["advise"]):
        res = runner.invoke(app, [*cmd, str(rig), "--json"])
        assert res.exit_code == 1, cmd
        data = json.loads(res.stdout)
        assert data == {"signalchain": 1, "valid": False, "diagnostics": [{
            "severity": "error", "code": "unknown-id", "message": "unknown device id "
            "'mackie/hm-5'", "file": str(rig), "line": 3, "column": 8, "path": "devices.amp",
            "hint": "did you mean 'mackie/hm-4'?"}]}, cmd


def test_every_finding_in_json_has_a_severity(runner):
    data = json.loads(runner.invoke(app, ["simulate", EX2, "--json"]).stdout)
    found = [w for lf in data["listeners"] for w in lf["warnings"]]
    assert found and all(w["severity"] in ("error", "warning", "info") for w in found)
    tune = json.loads(runner.invoke(app, ["tune", EX1, "--json"]).stdout)
    assert tune["signalchain"] == 1


def test_a_shorted_output_is_one_failure_per_listener_it_feeds(runner, tmp_path):
    """A TS cable from the stereo headphone out grounds its R leg: every listener behind it
    gets exactly one shorted-output failure (not the rig's copy on top of their own)."""
    text = (EXAMPLES / "01-headphone-out-to-splitter.yaml").read_text()
    rig = tmp_path / "ts.yaml"
    rig.write_text(text.replace("cable: trs-cable ", "cable: ts-cable  "))
    report = tmp_path / "junit.xml"
    res = runner.invoke(app, ["check", str(rig), "--json", "--fail-on", "shorted-output",
                              "--junit", str(report)])
    assert res.exit_code == 1
    failed = json.loads(res.stdout)["failed"]
    shorted = [f for f in failed if f["code"] == "shorted-output"]
    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None
    per_case = {c.get("name"): [f.get("type") for f in c.findall("failure")]
                for c in suite.findall("testcase")}
    for who in ("alice", "bob", "carol", "dave"):
        assert per_case[f"listener {who}"].count("shorted-output") == 1, per_case
    assert len(shorted) == 4 + per_case["wiring"].count("shorted-output")

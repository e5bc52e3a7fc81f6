"""The CLI layer: version, limits, usage-error format, option ranges, OS errors, safe text."""

import errno
import io
import json

import pytest
from rich.table import Table

from signalchain import __version__, limits
from signalchain.cli import app
from signalchain.textsafe import SafeConsole, json_dumps, term_safe
from tests.conftest import EXAMPLES

EX1 = str(EXAMPLES / "01-headphone-out-to-splitter.yaml")


def run(runner, *args):
    result = runner.invoke(app, list(args))
    assert "Traceback" not in result.output
    assert "internal error" not in result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception,
                                                                      SystemExit)
    return result


def test_version(runner):
    result = run(runner, "--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"signalchain {__version__}"


def test_usage_errors_say_error_in_lower_case_like_every_other_error(runner):
    result = run(runner, "simulate")
    assert result.exit_code == 2
    assert "error: Missing argument 'RIG'" in result.stderr
    assert "Error:" not in result.output


def test_unknown_option_is_a_usage_error(runner):
    result = run(runner, "simulate", EX1, "--nope")
    assert result.exit_code == 2
    assert "error: No such option: --nope" in result.stderr


def test_set_option_help_shows_its_form_not_a_python_type(runner):
    result = run(runner, "simulate", "--help")
    assert "DEVICE.KNOB=VALUE" in result.stdout
    assert "list[str]" not in result.stdout


def test_limit_option_sets_a_limit_and_limits_lists_it(runner):
    result = run(runner, "--limit", "render-seconds=7200", "limits", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["signalchain"] == 1
    assert data["limits"]["render-seconds"] == 7200
    assert data["limits"]["rig-bytes"] == limits.DEFAULT.rig_bytes


@pytest.mark.parametrize("bad", ["nope=1", "render-seconds", "render-seconds=nan",
                                 "render-seconds=-5", "devices=2.5", "devices=inf"])
def test_bad_limit_is_a_usage_error_naming_the_valid_ones(runner, bad):
    result = run(runner, "--limit", bad, "limits")
    assert result.exit_code == 2
    assert "error:" in result.stderr and "--limit" in result.stderr


def test_a_limit_does_not_leak_into_the_next_invocation(runner):
    run(runner, "--limit", "devices=3", "limits")
    data = json.loads(run(runner, "limits", "--json").stdout)
    assert data["limits"]["devices"] == limits.DEFAULT.devices


def test_limits_table(runner):
    result = run(runner, "limits")
    assert result.exit_code == 0
    for name in limits.DEFAULT.describe():
        assert name in result.stdout


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "1e9", "-3"])
def test_tune_listener_target_must_be_a_finite_level(runner, value):
    result = run(runner, "tune", EX1, "--listener", f"alice={value}")
    assert result.exit_code == 2
    assert "20..130 dB SPL" in result.stderr


def test_os_errors_are_user_errors_naming_the_path(runner, monkeypatch):
    from signalchain.rig import Rig

    def boom(*_a, **_k):
        raise OSError(errno.EIO, "Input/output error", "/some/rig.yaml")

    monkeypatch.setattr(Rig, "from_path", boom)
    result = run(runner, "check", EX1)
    assert result.exit_code == 1
    assert "/some/rig.yaml: Input/output error" in result.stderr


def test_term_safe_replaces_escape_sequences_and_bidi_overrides():
    text = "a\x1b[31mred\x9b2J\u202eevil\x07 ok\tand\nlines"
    safe = term_safe(text)
    for bad in ("\x1b", "\x9b", "\u202e", "\x07"):
        assert bad not in safe
    assert "\t" in safe and "\n" in safe and "ok" in safe


def test_safe_console_strips_control_codes_even_inside_tables():
    buf = io.StringIO()
    console = SafeConsole(file=buf, force_terminal=False, width=100)
    console.print("name \x1b]0;pwned\x07 \x1b[2J", markup=False)
    table = Table()
    table.add_column("x")
    table.add_row("cell\x1b[31m")
    console.print(table)
    assert "\x1b" not in buf.getvalue() and "\x07" not in buf.getvalue()


def test_safe_console_keeps_its_own_styling():
    buf = io.StringIO()
    console = SafeConsole(file=buf, force_terminal=True, color_system="standard", width=80)
    console.print("warn", style="yellow")
    assert "\x1b[33m" in buf.getvalue()


def test_json_output_escapes_c1_and_bidi_controls_but_keeps_unicode():
    text = json_dumps({"name": "Ω\x9b\u202e\x7f\x1b"})
    assert "Ω" in text
    for bad in ("\x9b", "\u202e", "\x7f", "\x1b"):
        assert bad not in text
    assert json.loads(text) == {"name": "Ω\x9b\u202e\x7f\x1b"}


def test_inline_headphones_show_their_name(runner, tmp_path):
    rig = tmp_path / "rig.yaml"
    rig.write_text("""signalchain: 1
devices:
  laptop: generic/laptop
  s: focusrite/scarlett-2i2-3rd-gen
  carol:
    kind: headphones
    name: Carol's DIY cans
    ports: {plug: {connector: trs-6.35, gender: plug, direction: in, signal: stereo,
                   captive: true}}
    headphones: {z_ohm: 32, sensitivity_db_per_mw: 100}
connections:
  - {cable: usb, ends: [laptop.usb, s.usb]}
  - {plug: carol, into: s.headphones}
""")
    data = json.loads(run(runner, "simulate", str(rig), "--json").stdout)
    assert data["listeners"][0]["name"] == "Carol's DIY cans"
    assert "Carol's DIY cans" in run(runner, "simulate", str(rig)).stdout


def test_tune_and_simulate_state_the_same_number_of_assumed_values(runner):
    import re

    sim = run(runner, "simulate", EX1).stdout
    tuned = run(runner, "tune", EX1).stdout
    count = re.compile(r"rest on (\d+) assumed values")
    assert count.search(sim).group(1) == count.search(" ".join(tuned.split())).group(1)

"""Feedback loops, the servo-balanced output, crosstalk, NIOSH times and tune's wording.

Physics is checked against hand calculations written here (electrical.md §1.1, §1.3, §6),
not against the code's own output.
"""

from __future__ import annotations

import json
import math

import pytest
from rich.console import Console

from signalchain import thresholds as th
from signalchain.api import check_rig
from signalchain.cli import app
from signalchain.errors import RigTopologyError
from signalchain.evaluate import evaluate
from signalchain.graph import compile_rig
from signalchain.graph.response import respond
from signalchain.report.simulate import evaluation_json
from signalchain.report.tune import explanation_lines, print_tune, tune_json
from signalchain.tune import tune
from tests.conftest import EXAMPLES, built_from_text
from tests.rigkit import NOISE, RO, TEST_CABLES, ZIN, built, in_port, out_port, rig, with_cables

# ---------------------------------------------------------------- feedback loops

LOOP_BASE = """\
signalchain: 1
devices:
  laptop: generic/laptop
  scarlett: focusrite/scarlett-2i2-3rd-gen
  amp: mackie/hm-4
  amp2: mackie/hm-4
  alice: sennheiser/hd-650
connections:
  - {cable: usb, ends: [laptop.usb, scarlett.usb]}
"""


def topology_errors(text: str, catalog=None) -> list:
    with pytest.raises(RigTopologyError) as info:
        built_from_text(LOOP_BASE + text, catalog)
    return [d for d in info.value.diagnostics if d.severity == "error"]


def test_amp_output_into_its_own_input_is_a_loop():
    errors = topology_errors("""\
  - {cable: trs-cable, ends: [amp.out1, amp.input]}
  - {plug: alice, into: amp.out2}
""")
    (err,) = [e for e in errors if e.code == "feedback-loop"]
    assert "amp.out1 → amp.input → amp.out1" in err.message
    assert err.location is not None and err.location.line == 10  # the cable that closes it
    assert "amp.input" in err.hint


def test_two_amps_feeding_each_other_is_a_loop():
    errors = topology_errors("""\
  - {cable: trs-cable, ends: [amp.out1, amp2.input]}
  - {cable: trs-cable, ends: [amp2.out1, amp.input]}
  - {plug: alice, into: amp.out2}
""")
    (err,) = [e for e in errors if e.code == "feedback-loop"]
    assert "amp.out1 → amp2.input → amp2.out1 → amp.input → amp.out1" in err.message


def test_loop_through_a_ts_plug_still_found_on_the_tip():
    """A TS cable grounds the ring (the right channel is shorted), but the tip still loops."""
    errors = topology_errors("""\
  - {cable: ts-cable, ends: [amp.out1, amp.input]}
  - {plug: alice, into: amp.out2}
""")
    assert [e.code for e in errors] == ["feedback-loop"]


GROUND_ONLY = with_cables({
    "id": "ground-only", "name": "TRS to TRS, sleeves joined only",
    "ends": {"a": {"connector": "trs-6.35"}, "b": {"connector": "trs-6.35"}},
    "conductors": [{"joins": ["a.sleeve", "b.sleeve"], "role": "shield"}],
    "r_ohm_per_m": 0.084, "shield_r_ohm_per_m": 0.03, "c_pf_per_m": 100})

HA4700 = """\
signalchain: 1
devices:
  laptop: generic/laptop
  scarlett: focusrite/scarlett-2i2-3rd-gen
  ha: behringer/ha4700
  alice: sennheiser/hd-650
connections:
  - {cable: usb, ends: [laptop.usb, scarlett.usb]}
  - {cable: trs-cable, ends: [scarlett.line_out_1, ha.main_in_l]}
  - {plug: alice, into: ha.out2}
"""


def test_ground_return_coupling_is_not_a_loop():
    """ha.out1's sleeve joined to ha.main_in_r's sleeve: only the ground return couples them."""
    b = built_from_text(HA4700 + "  - {cable: ground-only, ends: [ha.out1, ha.main_in_r]}\n",
                        GROUND_ONLY)
    assert b.signal_flow["scarlett.line_out_1"] == ["ha.out1", "ha.out2"]
    assert b.signal_flow["ha.out1"] == [] and b.signal_flow["ha.out2"] == []
    # the same jacks joined by a signal-carrying cable: out1's tip (L) reaches main_in_r's
    # hot, which feeds R back to out1
    with pytest.raises(RigTopologyError) as info:
        built_from_text(HA4700 + "  - {cable: trs-cable, ends: [ha.out1, ha.main_in_r]}\n")
    (err,) = [d for d in info.value.diagnostics if d.code == "feedback-loop"]
    assert "ha.out1 → ha.main_in_r → ha.out1" in err.message


def test_cli_check_rejects_a_loop(runner, tmp_path):
    path = tmp_path / "loop.yaml"
    path.write_text(LOOP_BASE + """\
  - {cable: trs-cable, ends: [amp.out1, amp.input]}
  - {plug: alice, into: amp.out2}
""")
    for cmd in (["check"], ["simulate"], ["tune"]):
        result = runner.invoke(app, [*cmd, str(path)])
        assert result.exit_code == 1, (cmd, result.output)
        assert "amp.out1 → amp.input → amp.out1" in result.output


# ---------------------------------------------------------------- servo-balanced output

Z_CM = 2000.0  # per-leg common-mode resistance of the servo output in these tests


def par(*zs: float) -> float:
    return 1.0 / sum(1.0 / z for z in zs)


def db(x: float) -> float:
    return 20 * math.log10(abs(x))


def servo_rig(cable: str, in_kind: str, *, vmax: float = 1.0) -> dict:
    """A servo line out (V_d = 1 V at 0 dBFS) into an amp's input; the amp feeds bob."""
    amp_out = {"hp": {"connector": "trs-6.35", "direction": "out", "signal": "stereo",
                      "feeds": {"left": "L", "right": "R"}, "gain_db": 0, "z_out_ohm": 1,
                      "max_v_rms": 50, "noise": NOISE}}
    return rig({"out": out_port("servo", v=1.0, vmax=vmax, z_common_mode_ohm=Z_CM)},
               {"in": in_port(in_kind)},
               [{"cable": cable, "length": "1 m", "ends": ["src.out", "dst.in"]},
                {"plug": "bob", "into": "dst.hp"}],
               listeners={"bob": "sennheiser/hd-600"}, amp_outs=amp_out)


def input_level(doc: dict) -> complex:
    b = built(doc, TEST_CABLES)
    graph = compile_rig(b)
    resp = respond(graph, graph.knob_positions)
    (k,) = graph.input_senses
    return complex(resp.program[graph.i_ref, k, 0])


def servo_into_differential_input() -> tuple[float, float]:
    """Hand solve: servo legs into the 4-resistor input (R = ZIN per resistor).

    Legs: src_h = u + V/2, src_c = u − V/2 (u: the sources' common mode), each leg RO to its
    pin, each source Z_CM to ground. Hot pin loads R3 + R4 = 2R to ground:
    V_h = src_h·k, k = 2R/(2R + RO). Cold pin loads R into the virtual node at V_h/2:
    I_c = (src_c − V_h/2)/(RO + R). KCL on the floating source:
    2u/Z_CM + src_h/(2R + RO) + I_c = 0 gives u. The input reads V_h − V_c.
    Returns (level at the input re V, contacts' common mode re V).
    """
    v, r = 1.0, ZIN
    k = 2 * r / (2 * r + RO)
    a, b = 1 / (2 * r + RO), 1 / (RO + r)
    u = -(v / 2) * (a - b - b * k / 2) / (2 / Z_CM + a + b - b * k / 2)
    src_h, src_c = u + v / 2, u - v / 2
    v_h = src_h * k
    i_c = (src_c - v_h / 2) / (RO + r)
    v_c = v_h / 2 + i_c * r
    return v_h - v_c, (v_h + v_c) / 2


def test_servo_balanced_into_differential_input_does_not_clip_below_full_scale():
    """v_rms_at_0dbfs == max_v_rms: the differential output is exactly at its maximum at
    0 dBFS, and the input's unequal leg loads shift the common mode only a little."""
    level, cm = servo_into_differential_input()
    assert abs(cm) < 0.05 and abs(cm) < 1.0 / 4  # far below the max_v_rms/4 common-mode limit
    doc = servo_rig("trs-cable", "balanced")
    assert db(input_level(doc)) == pytest.approx(db(level), abs=0.05)
    ev = evaluate(compile_rig(built(doc)))
    lf = ev.listener("bob")
    assert lf.clips_at_dbfs is None
    assert "clipping" not in {w.code for w in lf.warnings}
    (row,) = [s for s in ev.stages if s.id == "src.out"]
    assert row.headroom_db == pytest.approx(0.0, abs=1e-6)
    assert row.limit.kind == "differential-swing"


def test_servo_cold_open_loses_about_6_db():
    """Ring not connected (row 15): only Z_CM holds the cold leg (electrical.md §1.1)."""
    zh = par(Z_CM, RO + ZIN)
    hand = zh / (zh + Z_CM) * ZIN / (ZIN + RO)
    got = input_level(servo_rig("trs-to-rca-ring-open", "rca"))
    assert db(got) == pytest.approx(db(hand), abs=0.1)
    assert db(hand) == pytest.approx(-6.02, abs=1.0)  # was −9.6 dB with 10 kΩ per leg
    assert got.real > 0


def test_servo_cold_grounded_keeps_level_but_loses_6_db_of_maximum():
    """Row 8: TS plug grounds the cold leg. Hot rises to ≈ V_d (0 dB level); the stage's
    maximum output at the live contact is max_v_rms/2 (a grounded leg puts half the live
    leg's voltage on the common mode, limited to max_v_rms/4): 6 dB below its differential
    maximum."""
    vmax = 2.0
    zc, zh = par(RO, Z_CM), par(Z_CM, RO + ZIN)
    hand = zh / (zh + zc) * ZIN / (ZIN + RO)
    doc = servo_rig("ts-cable", "ts", vmax=vmax)
    got = input_level(doc)
    assert db(got) == pytest.approx(db(hand), abs=0.1)
    assert db(hand) == pytest.approx(0.0, abs=1.0)
    ev = evaluate(compile_rig(built(doc)))
    (row,) = [s for s in ev.stages if s.id == "src.out"]
    max_out = abs(got) * 10 ** (row.headroom_db / 20)  # volts at 0 dBFS + headroom
    assert db(max_out / vmax) == pytest.approx(-6.02, abs=0.05)
    balanced = evaluate(compile_rig(built(servo_rig("trs-cable", "balanced", vmax=vmax))))
    (brow,) = [s for s in balanced.stages if s.id == "src.out"]
    assert brow.headroom_db == pytest.approx(db(vmax / 1.0), abs=1e-6)
    # headroom re 0 dBFS drops by the 6 dB less the (small) level change
    assert row.headroom_db - brow.headroom_db == pytest.approx(-6.02 - db(hand), abs=0.05)


def test_motu_m2_line_out_into_balanced_input_does_not_clip():
    """The catalog servo output (+13 dBu full scale = maximum) into the HA4700's balanced
    inputs with the monitor knob fully up: the differential maximum is reached at 0 dBFS."""
    b = built_from_text("""\
signalchain: 1
devices:
  laptop: generic/laptop
  m2: {model: motu/m2, knobs: {monitor: 1.0}}
  amp: {model: behringer/ha4700, knobs: {out1: 0.2}}
  alice: sennheiser/hd-650
connections:
  - {cable: usb, ends: [laptop.usb, m2.usb]}
  - {cable: trs-cable, ends: [m2.line_out_1, amp.main_in_l]}
  - {cable: trs-cable, ends: [m2.line_out_2, amp.main_in_r]}
  - {plug: alice, into: amp.out1}
""")
    ev = evaluate(compile_rig(b))
    lf = ev.listener("alice")
    assert lf.clips_at_dbfs is None, [w.message for w in lf.warnings]
    for sid in ("m2.line_out_1", "m2.line_out_2"):
        (row,) = [s for s in ev.stages if s.id == sid]
        assert row.headroom_db >= -1e-6


# ---------------------------------------------------------------- crosstalk


def test_crosstalk_is_flagged_against_the_listeners_loudest_entry():
    """Method 2 (impedance-balanced line out into a stereo input): L in the left ear; the right
    ear gets L only through the cord's shared ground return, ≈ 54 dB down."""
    ev = evaluate(compile_rig(check_rig(EXAMPLES / "02-left-line-out-to-splitter.yaml")))
    data = evaluation_json(ev)
    for lf, lj in zip(ev.listeners, data["listeners"], strict=True):
        loudest = max(c.spl_db for e in lf.ears.values() for c in e.program)
        for side, ear in lf.ears.items():
            for c, cj in zip(ear.program, lj["ears"][side]["program"], strict=True):
                assert c.spl_db >= loudest - th.CHANNEL_FLOOR_DB  # floor re the listener
                assert cj["crosstalk"] is (c.spl_db < loudest - th.CROSSTALK_DB)
        left = {c.channel: c for c in lf.ears["left"].program}
        assert not left["L"].crosstalk
        assert lf.ears["right"].program and all(c.crosstalk for c in lf.ears["right"].program)
        codes = [w for w in lf.warnings if w.code in ("one-ear", "missing-channel")]
        (one,) = [w for w in codes if w.code == "one-ear"]
        assert one.message.startswith("L reaches only the left ear")
        assert "crosstalk" in one.message
        assert not any(w.message.startswith("R reaches") for w in lf.warnings)
        assert any(w.code == "missing-channel" and "the R channel" in w.message for w in codes)


def test_stereo_rig_marks_ground_return_crosstalk():
    ev = evaluate(compile_rig(check_rig(EXAMPLES / "01-headphone-out-to-splitter.yaml")))
    for lf in ev.listeners:
        for side, own in (("left", "L"), ("right", "R")):
            for c in lf.ears[side].program:
                assert c.crosstalk is (c.channel != own)
        assert not {"one-ear", "missing-channel", "antiphase"} & {w.code for w in lf.warnings}


def test_json_exposes_audibility_and_thresholds():
    ev = evaluate(compile_rig(check_rig(EXAMPLES / "01-headphone-out-to-splitter.yaml")))
    data = evaluation_json(ev)
    assert data["thresholds"] == {"hiss_audible_dba": th.HISS_AUDIBLE_DBA,
                                  "hum_audible_dba": th.HUM_AUDIBLE_DBA,
                                  "crosstalk_db": th.CROSSTALK_DB,
                                  "channel_floor_db": th.CHANNEL_FLOOR_DB}
    for lf, lj in zip(ev.listeners, data["listeners"], strict=True):
        for side, ear in lf.ears.items():
            ej = lj["ears"][side]
            assert ej["hum_audible"] is (ear.hum_spl_dba >= th.HUM_AUDIBLE_DBA)
            assert ej["noise_audible"] is (ear.noise_spl_dba >= th.HISS_AUDIBLE_DBA)
            if ear.hum_spl_dba < th.HUM_AUDIBLE_DBA:
                assert not ej["hum_audible"]


# ---------------------------------------------------------------- NIOSH


@pytest.mark.parametrize("level, text", [
    (88.0, "4.0 h"),       # 8 h / 2**1
    (100.0, "15 min"),     # 8 h / 2**5 = 0.25 h
    (115.0, "28 s"),       # 8 h / 2**10 = 28.1 s
    (124.0, "4 s"),        # 8 h / 2**13 = 3.5 s
    (140.0, "under 1 s"),  # 8 h / 2**18.3 = 0.09 s
])
def test_niosh_allowance_text(level, text):
    assert th.niosh_allowed_text(level) == text


def test_hearing_risk_message_uses_seconds_below_a_minute():
    """A 30 V full-scale output straight into HD 650s: ≈ 116 dB SPL at −18 dBFS."""
    doc = rig({"hp": out_port("stereo", ro=1.0, v=30.0, vmax=100.0)}, {},
              [{"plug": "bob", "into": "src.hp"}], listeners={"bob": "sennheiser/hd-650"})
    del doc["devices"]["dst"]
    lf = evaluate(compile_rig(built(doc))).listener("bob")
    spl = lf.program_spl_db
    hand = 104.8 + 20 * math.log10(30.0 * 10 ** (-18 / 20) * 320 / 321.2)
    assert spl == pytest.approx(hand, abs=0.05)
    seconds = 8 * 3600 / 2 ** ((spl - 85) / 3)
    assert 1 < seconds < 59
    (w,) = [w for w in lf.warnings if w.code == "hearing-risk"]
    assert f"NIOSH allows {seconds:.0f} s a day" in w.message


# ---------------------------------------------------------------- tune's wording


def test_tune_prints_one_rounded_value_per_knob_and_says_where_assumptions_are():
    graph = compile_rig(check_rig(EXAMPLES / "01-headphone-out-to-splitter.yaml"))
    result = tune(graph, 80.0)
    console = Console(record=True, width=300)
    print_tune(console, result)
    text = console.export_text()
    lines = explanation_lines(result)
    tuned = next(line for line in lines if line.startswith("Tuned:"))
    for key, pos in result.knobs.items():
        pct = f"{pos:.0%}"
        assert f"{key} {pct}" in tuned or key not in tuned
        row = next(line for line in text.splitlines() if line.lstrip("│┃ ").startswith(key))
        assert pct in row
    worst = max(lf.noise_spl_dba for lf in result.evaluation.listeners)
    assert f"worst hiss {worst:.1f} dBA" in tuned
    cmp = {c.case: c for c in result.comparison}
    assert cmp["tuned"].knobs["scarlett.headphones"] == result.knobs["scarlett.headphones"]
    last = lines[-1]
    assert "see 'assumptions'" not in last
    # the rig's path as given, so the command can be pasted as it is
    assert "signalchain simulate /" in last and "01-headphone-out-to-splitter.yaml'" in last
    assert "--json" in last
    data = tune_json(result)
    assert data["assumptions"] == evaluation_json(result.evaluation)["assumptions"]
    assert data["explanation"] == lines


def test_tune_json_matches_the_printed_knobs(runner, tmp_path):
    path = tmp_path / "rig.yaml"
    path.write_text((EXAMPLES / "06-line-outs-to-atom-amp.yaml").read_text())
    data = json.loads(runner.invoke(app, ["tune", str(path), "--json"]).stdout)
    text = runner.invoke(app, ["tune", str(path)]).output
    for key, pos in data["knobs"].items():
        assert f"{pos:.0%}" in next(line for line in text.splitlines() if key in line)


@pytest.mark.parametrize("cable, in_kind", [("trs-cable", "balanced"), ("ts-cable", "ts"),
                                            ("trs-to-rca-ring-open", "rca")])
def test_servo_model_matches_ngspice(cable, in_kind, tmp_path):
    """The stiffer common-mode model solved by ngspice: same ear voltages within 0.01 dB."""
    import numpy as np

    from signalchain.circuit.spice import to_spice
    from tests.test_ngspice import NGSPICE, run_ngspice

    if NGSPICE is None:
        pytest.skip("ngspice not installed")
    graph = compile_rig(built(servo_rig(cable, in_kind), TEST_CABLES))
    resp = respond(graph, graph.knob_positions)
    probes = [(f"{w}:{s}", f"{w}.{s}", f"{w}.common") for w, s in graph.ears]
    fi = graph.i_ref
    drives = resp.drive_from_noise[fi] @ (resp.gains[:, None] * graph.program_map)[:, 0]
    values = dict(zip(graph.solution.columns[:graph.n_drive], drives, strict=True))
    got = run_ngspice(to_spice(graph.built.netlist, float(graph.freqs_hz[fi]), values,
                               probes=probes), tmp_path, "servo")
    mine = resp.program[fi, graph.ear_senses, 0]
    for g, m in zip(got, mine, strict=True):
        if abs(m) > 1e-6 * np.abs(mine).max():
            assert 20 * np.log10(abs(g) / abs(m)) == pytest.approx(0.0, abs=0.01)

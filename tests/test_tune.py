"""tune: targets met, headroom kept, and no brute-force grid point is quieter."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from signalchain.api import check_rig
from signalchain.cli import app
from signalchain.evaluate import evaluate
from signalchain.graph import compile_rig
from signalchain.report.tune import explanation_lines
from signalchain.tune import tune
from tests.conftest import EXAMPLES

EX1 = EXAMPLES / "01-headphone-out-to-splitter.yaml"


@pytest.fixture(scope="module")
def graph1():
    return compile_rig(check_rig(EX1))


@pytest.fixture(scope="module")
def tuned1(graph1):
    return tune(graph1, 80.0, headroom_db=3.0)


def test_targets_met_with_headroom(tuned1):
    assert tuned1.feasible
    ev = tuned1.evaluation
    for lf in ev.listeners:
        assert lf.program_spl_db == pytest.approx(80.0, abs=0.1)
        on_path = lf.stages_on_path + lf.inputs_on_path
        assert all(s.headroom_db >= 3.0 - 0.05 for s in ev.stages if s.id in on_path)
    assert set(tuned1.knobs) == {"scarlett.headphones", "hm4.out1", "hm4.out2", "hm4.out3",
                                 "hm4.out4"}


def test_brute_force_grid_finds_nothing_quieter(graph1, tuned1):
    """Grid over the shared knob and the (separable) per-listener knobs, via simulate.

    Each listener's level and hiss depend only on the shared knob and their own knob, so
    one evaluate per (shared, own) pair gives every listener at once. Between grid points
    that bracket the target, hiss is interpolated linearly in dB against level in dB.
    """
    listeners = graph1.built.listeners
    own = {who: f"hm4.out{i + 1}" for i, who in enumerate(listeners)}
    shared_grid = np.round(np.arange(0.30, 1.0001, 0.02), 3)
    own_grid = np.round(np.arange(0.04, 1.0001, 0.02), 3)
    best = np.inf
    for s in shared_grid:
        rows = []
        for k in own_grid:
            ev = evaluate(graph1, {"scarlett.headphones": s, **{v: k for v in own.values()}})
            shared_ok = all(st.headroom_db >= 3.0 for st in ev.stages
                            if st.id.startswith(("scarlett.", "hm4.input")))
            rows.append((ev, shared_ok))
        worst = -np.inf
        for who in listeners:
            pts = []
            for ev, shared_ok in rows:
                lf = ev.listener(who)
                own_ok = all(st.headroom_db >= 3.0 for st in ev.stages
                             if st.id == own[who])
                pts.append((lf.program_spl_db, lf.noise_spl_dba, shared_ok and own_ok))
            hiss = None
            for (l0, n0, ok0), (l1, n1, ok1) in zip(pts, pts[1:], strict=False):
                if ok0 and ok1 and l0 <= 80.0 <= l1:
                    hiss = n0 + (n1 - n0) * (80.0 - l0) / (l1 - l0)
                    break
            if hiss is None:
                worst = np.inf
                break
            worst = max(worst, hiss)
        best = min(best, worst)
    assert np.isfinite(best)
    tuned_worst = max(lf.noise_spl_dba for lf in tuned1.evaluation.listeners)
    assert tuned_worst <= best + 0.2


def test_explanation_cites_figures_and_the_seed_advice(tuned1):
    text = " ".join(explanation_lines(tuned1))
    assert "seed article's advice" in text
    assert "dBA" in text and "%" in text
    cmp = {c.case: c for c in tuned1.comparison}
    assert {c.role for c in tuned1.comparison} == {"shared"}
    assert cmp["tuned"].worst_noise_spl_dba <= cmp["lowest"].worst_noise_spl_dba


def test_seed_advice_verdict_matches_the_numbers(tuned1):
    """With knob-scaled interface noise (electrical.md §4) the interface's SNR never worsens
    as it goes up, so at equal loudness backing it off only adds the amp's hiss: tune must
    say the advice does not hold, and the comparison must show why in dB."""
    cmp = {c.case: c for c in tuned1.comparison}
    lowest = cmp["lowest"].worst_noise_spl_dba
    tuned = cmp["tuned"].worst_noise_spl_dba
    assert lowest > tuned + 1.0
    text = " ".join(explanation_lines(tuned1))
    assert "does not hold for this gear" in text
    assert f"{lowest:.1f} dBA" in text and f"{lowest - tuned:.1f} dB more" in text
    # the top of the usable range is set by headroom, not by hiss
    assert tuned1.knobs["scarlett.headphones"] < 1.0


def test_unreachable_target_says_what_limits_it(graph1):
    result = tune(graph1, 125.0)
    assert not result.feasible
    assert any("cannot reach 125" in line for line in explanation_lines(result))


def test_per_listener_targets(graph1):
    result = tune(graph1, 80.0, {"carol": 74.0})
    assert result.evaluation.listener("carol").program_spl_db == pytest.approx(74.0, abs=0.1)
    assert result.evaluation.listener("alice").program_spl_db == pytest.approx(80.0, abs=0.1)


def test_cli_tune_json_and_write(runner, tmp_path):
    rig = tmp_path / "rig.yaml"
    rig.write_text(EX1.read_text())
    result = runner.invoke(app, ["tune", str(rig), "--json", "--target-spl", "78", "--write"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert next(iter(data)) == "signalchain" and data["signalchain"] == 1
    assert data["target_spl_db"] == 78.0 and data["feasible"] is True
    left = data["listeners"][0]["ears"]["left"]
    assert left["program"][0]["spl_db"] == pytest.approx(78, abs=0.1)
    text = rig.read_text()
    assert "# Reproduces: BPM Skills" in text  # comments kept
    assert f"headphones: {data['knobs']['scarlett.headphones']}" in text
    again = json.loads(runner.invoke(app, ["simulate", str(rig), "--json"]).stdout)
    assert again["listeners"][0]["ears"]["left"]["program"][0]["spl_db"] == pytest.approx(
        78, abs=0.1)
    bad = runner.invoke(app, ["tune", str(rig), "--listener", "zed=80"])
    assert bad.exit_code == 2


def _interface_amp_rig(max_in_v: float) -> dict:
    """One interface headphone out into one amp (input clips at ``max_in_v``), one listener.

    The rig leaves the interface's knob at 90 %, where the amp's input clips.
    """
    iface = {"kind": "interface", "power": "usb-bus", "knobs": {"headphones": {}},
             "set": {"headphones": 0.9},
             "ports": {"usb": {"connector": "usb-c", "direction": "host", "signal": "host"},
                       "hp": {"connector": "trs-6.35", "direction": "out", "signal": "stereo",
                              "feeds": {"left": "L", "right": "R"}, "knob": "headphones",
                              "v_rms_at_0dbfs": 1.7, "z_out_ohm": 10.0, "max_v_rms": 1.7,
                              "noise": {"knob_min_dbu_a": -104, "knob_max_dbu_a": -94}}}}
    amp = {"kind": "amp", "power": "none", "knobs": {"vol": {}}, "set": {"vol": 0.5},
           "ports": {"input": {"connector": "trs-6.35", "direction": "in", "signal": "stereo",
                               "senses": {"left": "L", "right": "R"}, "z_in_ohm": 10000,
                               "max_in_v_rms": max_in_v},
                     "out": {"connector": "trs-6.35", "direction": "out", "signal": "stereo",
                             "feeds": {"left": "L", "right": "R"}, "knob": "vol",
                             "gain_db": 20, "z_out_ohm": 1.0, "max_v_rms": 5.0,
                             "noise": {"knob_min_dbu_a": -100, "knob_max_dbu_a": -90}}}}
    return {"signalchain": 1, "name": "interface into one amp",
            "devices": {"pc": "generic/laptop", "iface": iface, "amp": amp,
                        "alice": "sennheiser/hd-650"},
            "connections": [{"cable": "usb", "ends": ["pc.usb", "iface.usb"]},
                            {"cable": "trs-cable", "length": "1 m",
                             "ends": ["iface.hp", "amp.input"]},
                            {"plug": "alice", "into": "amp.out"}]}


def _brute_force_one_listener(graph, upstream: str, own: str, who: str,
                              target: float = 80.0, headroom: float = 3.0) -> float:
    """Least hiss at the target with the headroom kept, by simulate alone.

    The upstream knob walks a 2 % grid; for each step the listener's own knob is bisected
    (the level rises with it) until the level is on target, and the stages on the listener's
    path are checked there.
    """
    best = np.inf
    for up in np.round(np.arange(0.02, 1.0001, 0.02), 3):
        def at(k: float, up: float = float(up)):
            return evaluate(graph, {upstream: up, own: k})

        if at(1.0).listener(who).program_spl_db < target:
            continue
        lo, hi = 0.0, 1.0
        for _ in range(16):
            mid = (lo + hi) / 2
            if at(mid).listener(who).program_spl_db < target:
                lo = mid
            else:
                hi = mid
        ev = at(hi)
        lf = ev.listener(who)
        if all(s.headroom_db >= headroom - 0.01 for s in ev.stages if s.id in lf.path_ids):
            best = min(best, lf.noise_spl_dba)
    return best


@pytest.mark.parametrize("case", ["single-listener amp input clips", "06 upstream monitor knob"])
def test_brute_force_finds_nothing_quieter_single_listener(case):
    """An upstream knob only one listener uses is free too (not left where the rig put it)."""
    from tests.rigkit import built

    if case.startswith("single"):
        graph = compile_rig(built(_interface_amp_rig(0.5)))
        upstream, own, who = "iface.headphones", "amp.vol", "alice"
    else:
        graph = compile_rig(check_rig(EXAMPLES / "06-line-outs-to-atom-amp.yaml"))
        upstream, own, who = "scarlett.monitor", "atom.volume", "alice"
    result = tune(graph, 80.0, headroom_db=3.0)
    best = _brute_force_one_listener(graph, upstream, own, who)
    assert np.isfinite(best)
    assert result.feasible
    lf = result.evaluation.listener(who)
    assert lf.program_spl_db == pytest.approx(80.0, abs=0.1)
    on_path = lf.stages_on_path + lf.inputs_on_path
    assert all(s.headroom_db >= 3.0 - 0.05 for s in result.evaluation.stages
               if s.id in on_path)
    assert lf.noise_spl_dba <= best + 0.2
    if case.startswith("single"):
        assert result.knobs[upstream] != graph.knob_positions[upstream]  # moved off 90 %
        assert not any("cannot" in line for line in explanation_lines(result))


# ------------------------------------------------------------------ closed-form rigs
#
# An interface whose headphone outputs (1 V RMS at 0 dBFS, 1 mΩ) drive 300 Ω headphones of
# 100 dB SPL/V directly: at knob gain a the reference program (-18 dBFS) gives
# 100 - 18 + 20 log10(a) dB SPL, so 80 dB SPL needs a = 10**(-2/20) = 0.7943.

USB = {"connector": "usb-c", "direction": "host", "signal": "host"}
PLUG = {"connector": "trs-6.35", "gender": "plug", "direction": "in", "signal": "stereo",
        "captive": True}
AUDIO_B = (1 / 0.15 - 1) ** 2
"""Base of the audio taper (15 % gain at mid-travel): a(x) = (b**x - 1) / (b - 1)."""


def audio_position(gain: float) -> float:
    return math.log(gain * (AUDIO_B - 1) + 1) / math.log(AUDIO_B)


def audio_gain(position: float) -> float:
    return (AUDIO_B ** position - 1) / (AUDIO_B - 1)


def dac_rig(*, sens=(100.0,), taper="linear", max_v=2.0, knob=True) -> dict:
    """One interface, one headphone output per listener, all on one knob ``iface.hp``."""
    ports = {"usb": USB}
    for i in range(len(sens)):
        ports[f"hp{i + 1}"] = {
            "connector": "trs-6.35", "direction": "out", "signal": "stereo",
            "feeds": {"left": "L", "right": "R"}, "v_rms_at_0dbfs": 1.0, "z_out_ohm": 0.001,
            "max_v_rms": max_v, "noise": {"knob_min_dbu_a": -110, "knob_max_dbu_a": -100},
            **({"knob": "hp"} if knob else {})}
    iface = {"kind": "interface", "power": "usb-bus", "ports": ports,
             **({"knobs": {"hp": {"taper": taper}}, "set": {"hp": 0.5}} if knob else {})}
    devices = {"pc": "generic/laptop", "iface": iface}
    connections = [{"cable": "usb", "ends": ["pc.usb", "iface.usb"]}]
    for i, s in enumerate(sens):
        who = ("alice", "bob")[i]
        devices[who] = {"kind": "headphones", "ports": {"plug": PLUG},
                        "headphones": {"z_ohm": 300, "sensitivity_db_per_v": s,
                                       "cord_r_ohm": 0.001}}
        connections.append({"plug": who, "into": f"iface.hp{i + 1}"})
    return {"signalchain": 1, "name": "dac", "devices": devices, "connections": connections,
            "environment": {"ground_offset_v": 0.01, "hum_harmonics_db": {"1": 0}}}


def tuned(doc: dict, *args, **kwargs):
    from tests.rigkit import built

    return tune(compile_rig(built(doc)), *args, **kwargs)


def notes(result, code: str) -> list[dict]:
    return [dict(n.data) for n in result.notes if n.code == code]


@pytest.mark.parametrize("target, taper, position", [
    (80.0, "linear", 10 ** (-2 / 20)),
    (70.0, "linear", 10 ** (-12 / 20)),
    (80.0, "audio", audio_position(10 ** (-2 / 20))),
    (70.0, "audio", audio_position(10 ** (-12 / 20))),
])
def test_own_knob_is_solved_in_closed_form(target, taper, position):
    result = tuned(dac_rig(taper=taper), target)
    assert result.feasible
    assert result.knobs == {"iface.hp": pytest.approx(round(position, 3), abs=1e-9)}
    assert result.evaluation.listener("alice").program_spl_db == pytest.approx(target, abs=0.02)
    assert [n.code for n in result.notes] == ["own-knobs-only"]
    assert result.comparison == ()


def test_short_headroom_is_noted_when_the_target_needs_a_clipping_stage():
    """1 V maximum swing, 0.794 V at 0 dBFS for 80 dB SPL: 2.0 dB headroom, not 3."""
    result = tuned(dac_rig(max_v=1.0), 80.0)
    assert not result.feasible
    assert result.knobs == {"iface.hp": pytest.approx(0.794)}
    (note,) = notes(result, "short-headroom")
    assert note["listener"] == "alice" and note["stage"] == "iface.hp1"
    assert note["stage_headroom_db"] == pytest.approx(-20 * math.log10(0.794), abs=0.01)
    assert note["headroom_db"] == 3.0 and note["target_spl_db"] == 80.0
    assert not notes(result, "cannot-reach")
    assert explanation_lines(result)[0] == (
        "alice reaches 80 dB SPL only with iface.hp1 at 2.0 dB headroom, less than the "
        "required 3 dB")
    assert tuned(dac_rig(max_v=1.0), 80.0, headroom_db=2.0).feasible


def test_full_gain_is_why_a_quiet_chain_misses():
    """Knob fully up: 100 - 18 = 82 dB SPL, short of 90."""
    result = tuned(dac_rig(), 90.0)
    assert not result.feasible and result.knobs == {"iface.hp": 1.0}
    (note,) = notes(result, "cannot-reach")
    assert (note["reason"], note["knob"], note["shared_with"]) == ("full-gain", "iface.hp", ())
    assert note["spl_db"] == pytest.approx(82.0, abs=0.01)
    assert explanation_lines(result)[0] == (
        "alice cannot reach 90 dB SPL: with iface.hp fully up it reaches 82.0 dB SPL — the "
        "amp's gain and the headphones' sensitivity limit it")


def test_a_taper_floor_is_why_a_loud_chain_misses():
    """Points taper from -20 dB: fully down still 82 - 20 = 62 dB SPL, above 60."""
    result = tuned(dac_rig(taper=[[0, -20], [1, 0]]), 60.0)
    assert result.knobs == {"iface.hp": 0.0}
    (note,) = notes(result, "cannot-reach")
    assert (note["reason"], note["knob"], note["shared_with"]) == ("floor", "iface.hp", ())
    assert note["spl_db"] == pytest.approx(62.0, abs=0.01)
    assert explanation_lines(result)[0] == (
        "alice cannot reach 60 dB SPL: even with its knob (iface.hp) at the bottom it gets "
        "62.0 dB SPL")


def test_no_knob_is_why_a_fixed_output_misses():
    result = tuned(dac_rig(knob=False), 80.0)
    assert result.knobs == {} and not result.feasible
    (note,) = notes(result, "cannot-reach")
    assert (note["reason"], note["knob"]) == ("no-knob", None)
    assert note["spl_db"] == pytest.approx(82.0, abs=0.01)


def test_no_program_is_why_an_unfed_listener_misses(tmp_path):
    from tests.test_review_fixes import NOTHING_PLAYS_IN

    rig = tmp_path / "rig.yaml"
    rig.write_text(NOTHING_PLAYS_IN)
    result = tune(compile_rig(check_rig(rig)), 80.0)
    (note,) = notes(result, "cannot-reach")
    assert (note["reason"], note["spl_db"]) == ("no-program", None)
    assert "no program reaches them" in explanation_lines(result)[0]


def test_one_knob_for_two_sensitivities_is_blamed_not_headroom():
    """alice (100 dB/V) needs a = 0.794, bob (106 dB/V) a = 0.398, on one knob.

    Off target the misses sum to 6 dB whatever the knob, less each listener's 0.05 dB
    tolerance once both are off: the least violation is every a from 0.398 * 10**(0.05/20)
    = 0.4004 to 0.794 * 10**(-0.05/20) = 0.7897, and the least hiss (noise rises with the
    knob) is the lowest whole percent in it, 41 %: alice 82 + 20 log10(0.41) = 74.26, bob
    80.26 dB SPL. Headroom is 13.8 dB at least: not the reason.
    """
    result = tuned(dac_rig(sens=(100.0, 106.0)), 80.0)
    assert result.knobs == {"iface.hp": 0.41} and not result.feasible
    ev = result.evaluation
    assert ev.listener("alice").program_spl_db == pytest.approx(82 + 20 * math.log10(0.41),
                                                                abs=0.01)
    assert ev.listener("bob").program_spl_db == pytest.approx(88 + 20 * math.log10(0.41),
                                                              abs=0.01)
    reach = {n["listener"]: n for n in notes(result, "cannot-reach")}
    assert {w: (n["reason"], n["knob"], n["shared_with"]) for w, n in reach.items()} == {
        "alice": ("shared-knob", "iface.hp", ("bob",)),
        "bob": ("shared-knob", "iface.hp", ("alice",))}
    (nothing,) = notes(result, "no-feasible-setting")
    assert (nothing["knob"], nothing["cause"]) == ("iface.hp", "targets")
    lines = explanation_lines(result)
    assert lines[0] == ("alice cannot reach 80 dB SPL: iface.hp also sets the level of bob, and "
                        "no one setting of it puts all of them at their targets: it gets "
                        "74.3 dB SPL")
    assert lines[2] == ("No setting of iface.hp puts every listener at their target, whatever "
                        "the headroom; the closest is shown.")
    assert not any("headroom" in line for line in lines[:2])


# ------------------------------------------------------------------ path discovery


def _steep_amp_rig() -> dict:
    """The interface-into-amp rig with the amp's knob on a steep taper, left at 30 %.

    At 50 % the taper is -103 dB, so probing every knob at 50 % sees nothing upstream of
    the amp: neither the interface's knob nor the amp's input (which clips at 0.5 V while
    the interface sits at 90 %).
    """
    doc = _interface_amp_rig(0.5)
    doc["devices"]["amp"]["knobs"]["vol"] = {"taper": [[0, -120], [0.6, -100], [1, 0]]}
    doc["devices"]["amp"]["set"] = {"vol": 0.3}
    return doc


def test_listener_paths_come_from_the_structure_not_the_knobs():
    from signalchain.graph.paths import listener_paths
    from tests.rigkit import built

    (path,) = listener_paths(compile_rig(built(_steep_amp_rig()))).values()
    assert path.stages == ("iface.hp", "amp.out")
    assert path.inputs == ("amp.input",)
    assert path.knobs == ("iface.headphones", "amp.vol")
    assert path.ids == ("iface.hp", "amp.out", "amp.input", "alice.drivers")
    alice = listener_paths(compile_rig(check_rig(EX1)))["alice"]
    assert (alice.stages, alice.inputs) == (("scarlett.headphones", "hm4.out1"), ("hm4.input",))


def test_knob_behind_a_steep_taper_is_tuned_and_its_input_kept_clean():
    """The amp's input may see 0.5 V / 10**(3/20) = 0.354 V at 0 dBFS: the interface
    (1.7 V at 0 dBFS, audio taper, 10 Ω into 10 kΩ) at a = 0.354 * 1.001 / 1.7 = 0.2084,
    i.e. 58.0 %. The amp hisses more than the interface, so the interface goes as high as
    that allows: 58 % on the whole-percent grid."""
    from signalchain.evaluate import headroom
    from signalchain.graph.response import respond
    from tests.rigkit import built

    graph = compile_rig(built(_steep_amp_rig()))
    limit = audio_position(0.5 / 10 ** (3 / 20) * 1.001 / 1.7)
    assert limit == pytest.approx(0.5802, abs=1e-4)
    result = tune(graph, 80.0)
    assert result.feasible
    assert set(result.knobs) == {"iface.headphones", "amp.vol"}
    assert result.knobs["iface.headphones"] == math.floor(limit * 100) / 100
    room = headroom(graph, respond(graph, {**graph.knob_positions, **result.knobs}))
    assert room["amp.input"][0] == pytest.approx(3.0, abs=0.05)
    assert room["amp.input"][0] >= 3.0
    assert result.evaluation.listener("alice").clips_at_dbfs is None


def test_headroom_upstream_is_why_a_loud_target_misses():
    """100 dB SPL needs more than the amp gives with its input kept 3 dB below clipping."""
    from tests.rigkit import built

    result = tune(compile_rig(built(_steep_amp_rig())), 100.0)
    assert not result.feasible
    assert result.knobs["amp.vol"] == 1.0 and result.knobs["iface.headphones"] < 0.62
    (note,) = notes(result, "cannot-reach")
    assert (note["reason"], note["stage"], note["knob"]) == ("headroom", "amp.input", "amp.vol")
    assert note["spl_db"] < 100.0 - 1.0
    (nothing,) = notes(result, "no-feasible-setting")
    assert (nothing["knob"], nothing["cause"]) == ("iface.headphones", "headroom")
    assert explanation_lines(result)[1] == (
        "No setting of iface.headphones lets every listener reach the target with 3 dB "
        "headroom; the closest is shown.")


# ------------------------------------------------------------------ the bundled rig


def test_tuned_knobs_of_the_splitter_rig(tuned1):
    assert tuned1.knobs == pytest.approx({"scarlett.headphones": 0.90, "hm4.out1": 0.248,
                                          "hm4.out2": 0.22, "hm4.out3": 0.373,
                                          "hm4.out4": 0.23}, abs=0.005)
    assert [n.code for n in tuned1.notes] == ["tuned", "alternative", "trade-off",
                                              "assumptions"]
    (tuned_note,) = notes(tuned1, "tuned")
    assert list(tuned_note["knobs"]) == ["scarlett.headphones", "hm4.out1", "hm4.out2",
                                         "hm4.out3", "hm4.out4"]
    assert tuned_note["knobs"] == dict(tuned1.knobs)
    (alt,) = notes(tuned1, "alternative")
    assert (alt["knob"], alt["direction"], alt["position"]) == ("scarlett.headphones", "lower",
                                                                0.32)
    assert (alt["own_min"], alt["own_max"]) == pytest.approx((0.744, 0.973), abs=0.005)
    assert alt["more_db"] == pytest.approx(alt["worst_noise_spl_dba"]
                                           - tuned_note["worst_noise_spl_dba"])
    (trade,) = notes(tuned1, "trade-off")
    assert (trade["verdict"], trade["position"], trade["highest"]) == ("does-not-hold", 0.9, 0.9)
    (assumed,) = notes(tuned1, "assumptions")
    assert assumed["count"] == 28 and assumed["rig_file"].endswith("01-headphone-out-to-"
                                                                   "splitter.yaml")
    rows = {c.case: c for c in tuned1.comparison}
    assert list(rows) == ["tuned", "lowest", "highest"]
    assert dict(rows["tuned"].knobs) == dict(tuned1.knobs)
    assert rows["lowest"].knobs["scarlett.headphones"] == 0.32
    assert rows["highest"].knobs["scarlett.headphones"] == 0.9


def test_rounding_to_the_written_step_does_not_make_a_quiet_target_infeasible(graph1):
    """At 60 dB SPL the amps' knobs sit at 3-7 %, where 0.1 % of travel is 0.1-0.3 dB:
    the written positions are the nearest there are, so every target counts as met."""
    result = tune(graph1, 60.0)
    assert result.feasible
    assert not notes(result, "cannot-reach")
    for lf in result.evaluation.listeners:
        assert lf.program_spl_db == pytest.approx(60.0, abs=0.2)


def test_headroom_limit_of_one_listeners_amp_is_named(graph1):
    """With 20 dB headroom carol's amp output (HM-4 out 3, fully up) is the limit."""
    result = tune(graph1, 80.0, headroom_db=20.0)
    assert not result.feasible
    (note,) = notes(result, "cannot-reach")
    assert (note["listener"], note["reason"], note["stage"]) == ("carol", "headroom", "hm4.out3")
    assert result.knobs["hm4.out3"] == 1.0
    (nothing,) = notes(result, "no-feasible-setting")
    assert nothing["cause"] == "headroom"


def test_unreachable_target_is_blamed_on_the_amps_clipping_not_on_gain(graph1):
    result = tune(graph1, 125.0)
    reasons = {n["listener"]: (n["reason"], n["stage"]) for n in notes(result, "cannot-reach")}
    assert reasons == {f"{w}": ("headroom", f"hm4.out{i}")
                       for i, w in enumerate(["alice", "bob", "carol", "dave"], 1)}
    (nothing,) = notes(result, "no-feasible-setting")
    assert nothing["cause"] == "targets"


# ------------------------------------------------------------------ the seed advice


@pytest.mark.parametrize("position, highest, gain_db, verdict", [
    (0.90, 0.90, 0.0, "does-not-hold"),
    (0.0, 0.02, 5.0, "does-not-hold"),
    (0.885, 0.90, 5.0, "does-not-hold"),
    (0.875, 0.90, 5.0, "holds"),
    (0.50, 0.90, 1.0, "holds"),
    (0.50, 0.90, 0.99, "small"),
    (0.875, 0.90, 0.5, "small"),
])
def test_seed_verdict(position, highest, gain_db, verdict):
    from signalchain.tune import seed_verdict

    assert seed_verdict(position, highest, gain_db) == verdict


@pytest.mark.parametrize("factor, verdict", [(1e4, "holds"), (1e2, "small")])
def test_an_interface_that_hisses_more_when_turned_up_is_backed_off(monkeypatch, factor,
                                                                    verdict):
    """If the DAC's noise grew faster than its level (it cannot in the noise law, which is
    why the bundled gear never shows it), tune backs it off and says the advice holds."""
    import signalchain.evaluate as evaluate_module
    import signalchain.tune.search as search_module
    from tests.rigkit import built

    law = evaluate_module.stage_noise_v2_many

    def steeper(graph, gains):
        out = np.array(law(graph, gains))
        for j, sid in enumerate(graph.drive_stage):
            st = graph.stages[sid]
            if st.is_dac:
                out[:, j] *= factor * (gains[:, j] / st.gain) ** 2
        return out

    monkeypatch.setattr(evaluate_module, "stage_noise_v2_many", steeper)
    monkeypatch.setattr(search_module, "stage_noise_v2_many", steeper)
    result = tune(compile_rig(built(_interface_amp_rig(0.5))), 80.0)
    assert result.feasible
    (trade,) = notes(result, "trade-off")
    assert trade["verdict"] == verdict
    assert trade["highest"] - trade["position"] > 0.02
    rows = {c.case: c for c in result.comparison}
    assert trade["gain_db"] == pytest.approx(rows["highest"].worst_noise_spl_dba
                                             - rows["tuned"].worst_noise_spl_dba)
    higher = [n for n in notes(result, "alternative") if n["direction"] == "higher"]
    assert [n["position"] for n in higher] == [trade["highest"]]
    text = " ".join(explanation_lines(result))
    if verdict == "holds":
        assert "advice ('lower the interface, raise the amp') holds here" in text
        assert trade["gain_db"] >= 1.0
    else:
        assert "makes little difference" in text and 0 < trade["gain_db"] < 1.0


def test_cli_tune_json_leads_with_the_format_version(runner):
    result = runner.invoke(app, ["tune", str(EX1), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data)[:2] == ["signalchain", "knobs"] and data["signalchain"] == 1
    warnings = [w for lf in data["listeners"] for w in lf["warnings"]]
    assert warnings and all(w["severity"] in ("error", "warning", "info") for w in warnings)


# ------------------------------------------------------------------ more structure


def _amp(knob: str = "vol", taper="linear", gain_db: float = 20.0) -> dict:
    """A one-channel-pair amp: stereo in (1 MΩ), stereo out with a knob (1 mΩ)."""
    return {"kind": "amp", "power": "none", "knobs": {knob: {"taper": taper}},
            "set": {knob: 0.5},
            "ports": {"input": {"connector": "trs-6.35", "direction": "in", "signal": "stereo",
                                "senses": {"left": "L", "right": "R"}, "z_in_ohm": 1e6,
                                "max_in_v_rms": 20.0},
                      "out": {"connector": "trs-6.35", "direction": "out", "signal": "stereo",
                              "feeds": {"left": "L", "right": "R"}, "knob": knob,
                              "gain_db": gain_db, "z_out_ohm": 0.001, "max_v_rms": 20.0,
                              "noise": {"knob_min_dbu_a": -100, "knob_max_dbu_a": -90}}}}


def _via(doc: dict, port: str, amp_id: str, amp: dict, listener: str) -> None:
    """Put ``amp`` between ``port`` and ``listener``'s plug."""
    doc["devices"][amp_id] = amp
    for c in doc["connections"]:
        if c.get("plug") == listener:
            c["into"] = f"{amp_id}.out"
    doc["connections"].append({"cable": "trs-cable", "length": "1 m",
                               "ends": [port, f"{amp_id}.input"]})


def test_a_knob_shared_with_a_listener_without_amp_is_set_for_them(tmp_path):
    """bob is straight on the interface, alice behind an amp (+20 dB): the shared knob must
    put bob at 80 dB SPL, a = 0.7943 -> 79 % on the whole-percent grid (0.05 dB low),
    and alice's amp makes up the rest: 0.7943 / (0.79 * 10) = 0.1005 -> 10.1 %."""
    doc = dac_rig(sens=(100.0, 100.0))
    _via(doc, "iface.hp1", "amp", _amp(), "alice")
    result = tuned(doc, 80.0)
    assert result.feasible
    assert result.knobs == {"iface.hp": 0.79, "amp.vol": 0.101}
    assert [n.code for n in result.notes] == ["tuned", "trade-off"]
    assert {c.role for c in result.comparison} == {"shared"}
    (trade,) = notes(result, "trade-off")
    assert (trade["knob"], trade["verdict"]) == ("iface.hp", "does-not-hold")
    assert trade["position"] == trade["highest"] == 0.79


def test_the_shared_knob_is_searched_first_and_every_knob_twice():
    """alice: interface -> amp1; bob: interface -> pre -> amp2. The interface is shared,
    pre's knob upstream of bob's own: both searched, the shared one first."""
    doc = dac_rig(sens=(100.0, 100.0), max_v=5.0)
    _via(doc, "iface.hp1", "amp1", _amp("v1"), "alice")
    _via(doc, "iface.hp2", "amp2", _amp("v2"), "bob")
    _via(doc, "iface.hp2", "pre", _amp("x", gain_db=0.0), "bob")
    doc["connections"] = [c for c in doc["connections"]
                          if c.get("ends") != ["iface.hp2", "amp2.input"]]
    doc["connections"].append({"cable": "trs-cable", "length": "1 m",
                               "ends": ["pre.out", "amp2.input"]})
    doc["connections"] = [{**c, "into": "amp2.out"} if c.get("plug") == "bob" else c
                          for c in doc["connections"]]
    result = tuned(doc, 80.0)
    assert result.feasible
    (note,) = notes(result, "tuned")
    assert list(note["knobs"]) == ["iface.hp", "pre.x", "amp1.v1", "amp2.v2"]
    (trade,) = notes(result, "trade-off")
    assert trade["knob"] == "iface.hp"
    assert {c.role for c in result.comparison} == {"shared"}
    ev = result.evaluation
    assert [round(lf.program_spl_db, 1) for lf in ev.listeners] == [80.0, 80.0]


def test_device_order_does_not_decide_which_knob_is_the_listeners_own():
    from tests.rigkit import built

    doc = _steep_amp_rig()
    doc["devices"] = {k: doc["devices"][k] for k in ("pc", "amp", "iface", "alice")}
    result = tune(compile_rig(built(doc)), 80.0)
    assert result.knobs["iface.headphones"] == 0.58
    assert {c.role for c in result.comparison} == {"upstream"}


def test_an_upstream_knob_can_end_fully_up():
    """Nothing clips with the interface fully up (1.7 V into a 5 V input, 10 V swing), and
    the amp hisses more: the coarse grid's top, 100 %, is the answer."""
    from tests.rigkit import built

    doc = _interface_amp_rig(5.0)
    doc["devices"]["iface"]["ports"]["hp"]["max_v_rms"] = 10.0
    result = tune(compile_rig(built(doc)), 80.0)
    assert result.feasible and result.knobs["iface.headphones"] == 1.0


def test_a_closed_own_knob_is_opened_and_solved():
    doc = dac_rig()
    doc["devices"]["iface"]["set"] = {"hp": 0.0}
    assert tuned(doc, 80.0).knobs == {"iface.hp": 0.794}


def test_a_rig_without_listeners_cannot_be_tuned():
    from signalchain.errors import RigTopologyError

    doc = dac_rig()
    del doc["devices"]["alice"]
    doc["connections"] = doc["connections"][:1]
    with pytest.raises(RigTopologyError) as err:
        tuned(doc, 80.0)
    (diag,) = err.value.diagnostics
    assert diag.code == "no-listeners"
    assert diag.message == "the rig has no listeners (headphones) to tune for"


@pytest.mark.parametrize("taper, position, db", [
    ("linear", 0.5, 20 * math.log10(0.5 / 0.4995)),
    ("linear", 1.0, 20 * math.log10(1.0 / 0.9995)),
    ("linear", 0.0004, 20 * math.log10(0.0009 / 0.0004)),
    ("linear", 0.0, 0.0),
    ([[0, -20], [1, 0]], 0.5, 0.01),
    ("audio", 0.5, 20 * math.log10(audio_gain(0.5) / audio_gain(0.4995))),
])
def test_rounding_tolerance_is_half_a_written_step(taper, position, db):
    from signalchain.tune.search import rounding_db

    assert rounding_db(taper, position) == pytest.approx(db, rel=1e-6, abs=1e-9)

"""simulate's figures against hand calculations and the seed articles' claims."""

from __future__ import annotations

import math

import pytest

from signalchain import units
from signalchain.api import check_rig
from signalchain.evaluate import evaluate
from signalchain.graph import compile_rig
from tests.conftest import EXAMPLES
from tests.rigkit import NOISE, built, in_port, out_port, rig


def ev_of(name: str, **knobs: float):
    return evaluate(compile_rig(check_rig(EXAMPLES / f"{name}.yaml")), knobs or None)


def program(ear) -> dict[str, tuple[float, int]]:
    return {c.channel: (c.spl_db, c.polarity) for c in ear.program}


def taper(x: float) -> float:
    b = (1 / 0.15 - 1) ** 2  # electrical.md §4, m = 0.15
    return (b**x - 1) / (b - 1)


def test_spl_hand_calculation_headphone_out_method():
    """Scarlett HP out (1.7 V FS, 10 Ω) → HM-4 (10 kΩ in, +12 dB, 10 Ω out) → HD 280 Pro."""
    ev = ev_of("01-headphone-out-to-splitter")
    v = 1.7 * taper(0.6) * 10 ** (-18 / 20)        # interface output at -18 dBFS, knob 60 %
    v *= 10e3 / (10e3 + 10)                         # into the amp's 10 kΩ input
    v *= 10 ** (12 / 20) * taper(0.5)               # amp gain, knob 50 %
    v *= 64 / (64 + 10 + 2 * 0.1)                   # 10 Ω output into 64 Ω + two cord wires
    hand = 113 + 20 * math.log10(v)                 # SPL = S_V + 20 log10(V)
    left = program(ev.listener("alice").ears["left"])
    assert left["L"][0] == pytest.approx(hand, abs=0.05)


def test_sensitivity_per_mw_converted_with_impedance():
    """DT 770 PRO 80: 96 dB/mW at 80 Ω → 96 + 10 log10(1000/80) = 106.97 dB/V."""
    graph = compile_rig(check_rig(EXAMPLES / "01-headphone-out-to-splitter.yaml"))
    assert graph.sensitivity_db_per_v["carol"] == pytest.approx(96 + 10 * math.log10(12.5))


def test_parallel_headphones_on_passive_y():
    """Two 32 Ω headphones on a 10 Ω output: −1.9 dB versus one (electrical.md §5)."""
    amp_out = {"hp": {**out_port("stereo", ro=10.0), "v_rms_at_0dbfs": None, "gain_db": 0}}
    del amp_out["hp"]["v_rms_at_0dbfs"]

    def level(n: int) -> float:
        listeners = {f"h{i}": "beyerdynamic/dt-770-pro-32" for i in range(n)}
        conns = [{"cable": "trs-cable", "length": "1 m", "ends": ["src.out", "dst.in"]}]
        if n == 1:
            conns.append({"plug": "h0", "into": "dst.hp", "via": "adapter/3.5f-6.35m"})
        else:
            listeners["y"] = "splitter/y-3.5"
            conns += [{"plug": "y", "into": "dst.hp", "via": "adapter/3.5f-6.35m"},
                      {"plug": "h0", "into": "y.a"}, {"plug": "h1", "into": "y.b"}]
        doc = rig({"out": out_port("stereo", ro=1.0)}, {"in": in_port("stereo")}, conns,
                  listeners=listeners, amp_outs=amp_out)
        return evaluate(compile_rig(built(doc))).listener("h0").ears["left"].program[0].spl_db

    hand = 20 * math.log10((16 / 26) / (32 / 42))
    assert hand == pytest.approx(-1.86, abs=0.01)
    assert level(2) - level(1) == pytest.approx(hand, abs=0.1)


@pytest.mark.parametrize("name", ["01-headphone-out-to-splitter", "03-dual-ts-to-trs-to-splitter",
                                  "05-line-outs-to-rca-amp", "06-line-outs-to-atom-amp"])
def test_stereo_methods_give_both_ears(name):
    ev = ev_of(name)
    for lf in ev.listeners:
        left, right = program(lf.ears["left"]), program(lf.ears["right"])
        assert left["L"][1] == 1 and right["R"][1] == 1
        assert left["L"][0] == pytest.approx(right["R"][0], abs=0.1)
        # the other channel is only ground-return crosstalk, far below
        assert left.get("R", (-math.inf,))[0] < left["L"][0] - 40
        assert not {"one-ear", "antiphase", "missing-channel"} & {w.code for w in lf.warnings}


@pytest.mark.parametrize("name", ["02-left-line-out-to-splitter", "04-aux-cable-from-monitor-out"])
def test_left_line_out_gives_one_ear(name):
    """Impedance-balanced line out into a tip=L/ring=R input: left ear only (§1.4)."""
    ev = ev_of(name)
    for lf in ev.listeners:
        codes = {w.code for w in lf.warnings}
        assert {"one-ear", "missing-channel"} <= codes
        left, right = program(lf.ears["left"]), program(lf.ears["right"])
        assert "R" not in left and "R" not in right
        assert right.get("L", (-math.inf,))[0] < left["L"][0] - 40


def test_active_balanced_line_out_gives_antiphase():
    """The same wiring from a servo-balanced (MOTU M2) line out: both ears, opposite polarity."""
    text = (EXAMPLES / "02-left-line-out-to-splitter.yaml").read_text()
    text = text.replace("focusrite/scarlett-2i2-3rd-gen", "motu/m2").replace(
        "knobs: {monitor: 0.7, headphones: 0.5}", "knobs: {monitor: 0.7, phones: 0.5}")
    from tests.conftest import built_from_text

    ev = evaluate(compile_rig(built_from_text(text)))
    lf = ev.listener("alice")
    left, right = program(lf.ears["left"]), program(lf.ears["right"])
    assert left["L"][1] == 1 and right["L"][1] == -1
    assert left["L"][0] == pytest.approx(right["L"][0], abs=0.2)
    assert "antiphase" in {w.code for w in lf.warnings}


def test_hiss_rises_with_interface_headphone_knob():
    noise = [ev_of("01-headphone-out-to-splitter", **{"scarlett.headphones": x})
             .listener("alice").noise_spl_dba for x in (0.2, 0.4, 0.6, 0.75, 0.9, 1.0)]
    assert all(b > a for a, b in zip(noise, noise[1:], strict=False))
    # with the HM-4 at half its gain, its own hiss is part of the floor (both ends hiss)
    assert noise[-1] - noise[0] > 2


def test_hiss_hand_calculation_single_stage():
    """One DAC stage straight into headphones: hiss = S_V + noise(knob) + divider."""
    listeners = {"bob": "sennheiser/hd-600"}
    outs = {"hp": out_port("stereo", ro=1.0, v=1.0)}
    doc = rig(outs, {}, [{"plug": "bob", "into": "src.hp"}], listeners=listeners)
    del doc["devices"]["dst"]
    lf = evaluate(compile_rig(built(doc))).listener("bob")
    n_min, n_max = units.dbu_to_v(NOISE["knob_min_dbu_a"]), units.dbu_to_v(NOISE["knob_max_dbu_a"])
    v = n_max * 300 / (300 + 1.0 + 0.2)  # no knob: full noise, divided into 300 Ω + cords
    hand = 103.7 + 20 * math.log10(v)
    assert n_min < n_max
    assert lf.ears["left"].noise_spl_dba == pytest.approx(hand, abs=0.1)


def _hum_rig(length_m: float, balanced: bool) -> float:
    amp_out = {"hp": {"connector": "trs-6.35", "direction": "out", "signal": "stereo",
                      "feeds": {"left": "L", "right": "R"}, "gain_db": 0, "z_out_ohm": 1,
                      "max_v_rms": 5, "noise": NOISE}}
    kind, cable = ("balanced", "trs-cable") if balanced else ("ts", "ts-cable")
    doc = rig({"out": out_port("impedance", "L")}, {"in": in_port(kind, "L", cmrr_db=60)},
              [{"cable": cable, "length": length_m, "ends": ["src.out", "dst.in"]},
               {"plug": "bob", "into": "dst.hp"}],
              dst_power="mains-earthed", computer="generic/desktop",
              listeners={"bob": "sennheiser/hd-600"}, amp_outs=amp_out)
    return evaluate(compile_rig(built(doc))).listener("bob").ears["left"].hum_spl_dba


def test_unbalanced_hum_grows_with_length_balanced_rejects_it():
    """Common-impedance coupling between two earthed devices (electrical.md §2).

    Hand model: the outlets differ by V_g; the loop current V_g/R_loop flows through
    the unbalanced link's ground path R_common = 4 × 10 mΩ (lugs and contacts) + r·L,
    and V_hum = V_g·R_common/R_loop lands in series with the signal.
    """
    r_per_m = 0.03
    usb = 1 / (1 / (0.04 + 0.213) + 1 / (0.04 + 0.05))  # USB ground wire ∥ shield, with contacts
    r_loop_fixed = 0.5 + 0.5 + usb                        # two protective-earth paths + USB

    def hand(length):
        common = 0.04 + r_per_m * length
        return 20 * math.log10(common / (r_loop_fixed + common))

    lengths = [2.0, 4.0, 8.0, 16.0]
    hum = {L: _hum_rig(L, balanced=False) for L in lengths}
    for a, b in zip(lengths, lengths[1:], strict=False):
        assert hum[b] - hum[a] == pytest.approx(hand(b) - hand(a), abs=0.3)
        assert 3.5 < hum[b] - hum[a] < 6.5  # tends to 6 dB/doubling as the shield dominates
    for L in lengths:
        assert hum[L] - _hum_rig(L, balanced=True) >= 40


def test_output_impedance_response_deviation_hand():
    """HD 650 (480 Ω at 100 Hz, 320 Ω at 1 kHz) on a 90 Ω source: +0.66 dB at 100 Hz."""
    from tests.conftest import UR22C_HD650, built_from_text

    graph = compile_rig(built_from_text(UR22C_HD650))
    lf = evaluate(graph).listener("alice")
    zo = 90 + 0.2  # source plus the two cord wires in the loop
    hand = 20 * math.log10(480 / (480 + zo)) - 20 * math.log10(320 / (320 + zo))
    i100 = int(abs(graph.freqs_hz - 100).argmin())
    assert graph.freqs_hz[i100] == pytest.approx(100, rel=0.02)
    assert lf.ears["left"].response_db[i100] == pytest.approx(hand, abs=0.05)
    assert any(w.code == "output-impedance" and "varies by" in w.message for w in lf.warnings)


def test_clipping_and_headroom_reported():
    ev = ev_of("01-headphone-out-to-splitter", **{"hm4.out1": 1.0, "scarlett.headphones": 1.0})
    lf = ev.listener("alice")
    assert lf.clips_at_dbfs is not None and lf.clips_at_dbfs < 0
    assert any(w.code == "clipping" for w in lf.warnings)
    assert any(s.headroom_db < 0 for s in ev.stages)


def test_hearing_risk_states_niosh_time():
    ev = ev_of("02-left-line-out-to-splitter")
    lf = ev.listener("bob")
    spl = lf.program_spl_db
    hours = 8 / 2 ** ((spl - 85) / 3)
    (w,) = [w for w in lf.warnings if w.code == "hearing-risk"]
    expected = f"{hours:.1f} h" if hours >= 1 else f"{hours * 60:.0f} min"
    assert expected in w.message


def test_physical_controls_on_path():
    lf = ev_of("06-line-outs-to-atom-amp").listener("alice")
    controls = {(c.knob, c.physical) for c in lf.volume_controls}
    assert ("scarlett.monitor", True) in controls
    assert ("atom.volume", True) in controls
    assert ("laptop.software", False) in controls
    assert "no-physical-volume" not in {w.code for w in lf.warnings}


def test_too_quiet_and_no_physical_volume():
    """A 0.2 V full-scale output with no knob into HD 650s: 104.8 + 20 log10(0.2·10^(-18/20))."""
    doc = rig({"hp": out_port("stereo", ro=1.0, v=0.2)}, {},
              [{"plug": "bob", "into": "src.hp"}], listeners={"bob": "sennheiser/hd-650"})
    del doc["devices"]["dst"]
    lf = evaluate(compile_rig(built(doc))).listener("bob")
    hand = 104.8 + 20 * math.log10(0.2 * 10 ** (-18 / 20) * 320 / 321.2)
    assert lf.program_spl_db == pytest.approx(hand, abs=0.05)
    codes = {w.code for w in lf.warnings}
    assert {"too-quiet", "no-physical-volume"} <= codes


def test_assumptions_reported():
    lf = ev_of("01-headphone-out-to-splitter").listener("alice")
    assert any(a.subject == "mackie/hm-4" and a.path.startswith("ports.out*")
               for a in lf.assumptions)
    assert any(a.subject == "sennheiser/hd-280-pro" for a in lf.assumptions)

"""simulate's figures against hand calculations written here (levels, hiss, hum, headroom,
paths, assumptions), so that a changed formula in evaluate.py fails a test.

The hand calculations use the datasheet numbers of the catalog and the circuit laws; the
only thing taken from the library is the knob law (``graph.knob_gain``), tested on its own.
"""

from __future__ import annotations

import math

import pytest

import signalchain as sc
from signalchain import thresholds as th
from tests.conftest import EXAMPLES

Z_HP_OHM = 64.0
SENS_DB_PER_V = 110.0


def direct_rig(knob: float = 0.5, extra: str = "", environment: str = "",
               sens_db_per_v: float = SENS_DB_PER_V, z_ohm: float = Z_HP_OHM) -> sc.Rig:
    """A Scarlett 2i2's headphone out with flat 64 Ω headphones plugged straight in."""
    return sc.Rig.from_text(f"""\
signalchain: 1
name: direct
{environment}
devices:
  laptop: generic/laptop
  s: {{model: focusrite/scarlett-2i2-3rd-gen, knobs: {{headphones: {knob}, monitor: 0.7}}}}
  zed:
    kind: headphones
    name: Zed's cans
    ports:
      plug: {{connector: trs-6.35, gender: plug, direction: in, signal: stereo, captive: true}}
    headphones: {{z_ohm: {z_ohm:g}, sensitivity_db_per_v: {sens_db_per_v:g}{extra}}}
connections:
  - cable: usb
    ends: [laptop.usb, s.usb]
  - plug: zed
    into: s.headphones
""", "direct.yaml")


def db(x: float) -> float:
    return 20.0 * math.log10(x)


def dbu_v(dbu: float) -> float:
    return math.sqrt(0.6) * 10 ** (dbu / 20)


def a_weight_db(f: float) -> float:
    """IEC 61672 A-weighting, written out independently of signalchain.units."""
    f2 = f * f
    ra = (12194.0**2 * f2**2) / ((f2 + 20.6**2) * math.sqrt((f2 + 107.7**2) * (f2 + 737.9**2))
                                 * (f2 + 12194.0**2))
    return 20 * math.log10(ra) + 2.0


def test_program_level_is_the_divider_of_output_and_headphone_impedance():
    rig = direct_rig(knob=1.0)
    port = rig.catalog.get("focusrite/scarlett-2i2-3rd-gen").ports["headphones"]
    v_ear = port.v_rms_at_0dbfs * 10 ** (th.REFERENCE_DBFS / 20) * Z_HP_OHM / (
        Z_HP_OHM + port.z_out_ohm)
    lf = rig.simulate().listener("zed")
    # within 0.05 dB: the plug's contacts add a few milliohms in series
    assert lf.program_spl_db == pytest.approx(SENS_DB_PER_V + db(v_ear), abs=0.05)
    assert lf.peak_spl_db == pytest.approx(lf.program_spl_db - th.REFERENCE_DBFS, abs=1e-9)
    assert (lf.device, lf.name) == ("zed", "Zed's cans")


@pytest.mark.parametrize("knob", [0.0, 0.35, 0.5, 0.8, 1.0])
def test_hiss_follows_the_noise_law_through_the_divider(knob):
    """N(a)² = N_min² + a²(N_max² − N_min²) at the output, then the load divider."""
    rig = direct_rig(knob=knob)
    port = rig.catalog.get("focusrite/scarlett-2i2-3rd-gen").ports["headphones"]
    stage = rig.graph.stages["s.headphones"]
    a = rig.graph.knob_gain(stage, {"s.headphones": knob}) / port.v_rms_at_0dbfs
    n_min, n_max = dbu_v(port.noise.knob_min_dbu_a), dbu_v(port.noise.knob_max_dbu_a)
    n_out = math.sqrt(n_min**2 + a**2 * (n_max**2 - n_min**2))
    hiss = SENS_DB_PER_V + db(n_out * Z_HP_OHM / (Z_HP_OHM + port.z_out_ohm))
    for ear in rig.simulate().listener("zed").ears.values():
        assert ear.noise_spl_dba == pytest.approx(hiss, abs=0.05)


def test_rated_power_limits_delicate_headphones():
    """0.5 mW into 64 Ω is 0.179 V; the 2i2 at full scale puts 1.7 V × 64/74 across them."""
    rig = direct_rig(knob=1.0, extra=", max_power_mw: 0.5")
    port = rig.catalog.get("focusrite/scarlett-2i2-3rd-gen").ports["headphones"]
    v_full = port.v_rms_at_0dbfs * Z_HP_OHM / (Z_HP_OHM + port.z_out_ohm)
    expected = db(math.sqrt(0.5e-3 * Z_HP_OHM) / v_full)
    ev = rig.simulate()
    lf = ev.listener("zed")
    assert lf.clip_stage == "zed.drivers"
    assert lf.clips_at_dbfs == pytest.approx(expected, abs=0.06)
    (clip,) = [f for f in lf.warnings if f.code == "clipping"]
    assert (clip.data["limit_kind"], clip.data["limit_value"]) == ("rated-power", 0.5)
    assert clip.severity == "error"  # music peaks (−6 dBFS) clip at −18 dBFS
    # without the rating, the output's own swing is what limits, and not below 0 dBFS
    assert direct_rig(knob=1.0).simulate().listener("zed").clips_at_dbfs is None


def test_limit_kinds_and_values_of_the_seed_rig():
    ev = sc.Rig.from_path(EXAMPLES / "01-headphone-out-to-splitter.yaml").simulate()
    hm4 = sc.Rig.from_path(EXAMPLES / "01-headphone-out-to-splitter.yaml").catalog.get(
        "mackie/hm-4")
    kinds = {s.id: (s.limit.kind, s.limit.value) for s in ev.stages}
    assert kinds["hm4.input"] == ("input", pytest.approx(hm4.ports["input"].max_in_v_rms))
    assert kinds["scarlett.headphones"] == ("swing", pytest.approx(1.7))
    assert kinds["hm4.out1"][0] in ("current", "swing")
    assert {k for k, _v in kinds.values()} == {"input", "current", "swing"}


def _limits(doc: dict) -> dict[str, tuple[str, float]]:
    """Every stage's (limit kind, headroom dB), listeners or not."""
    from signalchain.evaluate import headroom
    from signalchain.graph.response import respond

    graph = sc.Rig.from_dict(doc).graph
    return {sid: (limit.kind, hr) for sid, (hr, limit) in
            headroom(graph, respond(graph, graph.knob_positions)).items()}


@pytest.mark.parametrize("topology, kind", [("push-pull", "swing"),
                                            ("servo", "differential-swing")])
def test_balanced_limits_are_named(topology, kind):
    """Push-pull legs are two ground-referenced drivers, each with its own swing; a servo
    output's limit is across its two legs."""
    from tests.rigkit import in_port, out_port, rig

    doc = rig({"out": out_port(topology)}, {"in": in_port("balanced")},
              [{"cable": "trs-cable", "ends": ["src.out", "dst.in"]}])
    assert _limits(doc)["src.out"][0] == kind


def test_a_grounded_leg_limits_by_common_mode_swing():
    from tests.rigkit import in_port, out_port, rig

    doc = rig({"out": out_port("servo")}, {"in": in_port("ts")},
              [{"cable": "ts-cable", "ends": ["src.out", "dst.in"]}])
    assert _limits(doc)["src.out"][0] == "common-mode-swing"


def _hum_rig(harmonics: str, length_m: float = 10.0) -> sc.Rig:
    return sc.Rig.from_dict({
        "signalchain": 1,
        "environment": {"mains_hz": 60, "hum_harmonics_db": eval(harmonics)},  # noqa: S307
        "devices": {"pc": "generic/desktop",
                    "s": {"model": "focusrite/scarlett-2i2-3rd-gen", "knobs": {"monitor": 0.7}},
                    "amp": {"model": "behringer/ha4700", "knobs": {"out1": 0.5}},
                    "bob": "sennheiser/hd-600"},
        "connections": [
            {"cable": "usb", "ends": ["pc.usb", "s.usb"]},
            {"cable": "ts-cable", "length": f"{length_m} m",
             "ends": ["s.line_out_1", "amp.main_in_l"]},
            {"plug": "bob", "into": "amp.out1"}]}, "hum.yaml")


def _hum(harmonics: str) -> float:
    return _hum_rig(harmonics).simulate().listener("bob").hum_spl_dba


def test_hum_scales_with_each_harmonic_and_powers_add():
    one, quieter = _hum("{1: 0.0}"), _hum("{1: -6.0}")
    assert quieter == pytest.approx(one - 6.0, abs=0.01)
    third = _hum("{3: -10.0}")
    both = _hum("{1: 0.0, 3: -10.0}")
    assert both == pytest.approx(10 * math.log10(10 ** (one / 10) + 10 ** (third / 10)),
                                 abs=0.01)


def test_hum_is_a_weighted():
    """The ground-loop path is resistive, so one harmonic against another differs by the
    A-weighting of their frequencies (and the small change of the path with frequency)."""
    first, fifth = _hum("{1: 0.0}"), _hum("{5: 0.0}")
    assert fifth - first == pytest.approx(a_weight_db(300.0) - a_weight_db(60.0), abs=0.5)


def test_environment_assumptions_only_when_not_given():
    rig = direct_rig()
    subjects = {(a.subject, a.path): a.reason for a in rig.simulate().assumptions}
    assert subjects[("environment", "ground_offset_v")] == "10 mV at 60 Hz"
    assert ("environment", "hum_harmonics_db") in subjects
    given = direct_rig(environment="environment: {mains_hz: 50, ground_offset_v: 0.02, "
                       "hum_harmonics_db: {1: 0}}")
    assert not [a for a in given.simulate().assumptions if a.subject == "environment"]
    partly = direct_rig(environment="environment: {mains_hz: 50}")
    assert {a.path for a in partly.simulate().assumptions if a.subject == "environment"} == {
        "ground_offset_v", "hum_harmonics_db"}
    assert "10 mV at 50 Hz" in [a.reason for a in partly.simulate().assumptions]


def test_evaluation_names_the_rig_and_its_sources():
    ev = direct_rig().simulate()
    assert ev.rig == "direct" and ev.sources == ("L", "R")


def test_paths_name_the_stages_and_inputs_each_listener_hears():
    ev = sc.Rig.from_path(EXAMPLES / "05-line-outs-to-rca-amp.yaml").simulate()
    for lf in ev.listeners:
        assert set(lf.inputs_on_path) == {"amp.rca_in_l", "amp.rca_in_r"}
        assert {"scarlett.line_out_1", "scarlett.line_out_2"} <= set(lf.stages_on_path)
    one = sc.Rig.from_path(EXAMPLES / "01-headphone-out-to-splitter.yaml").simulate()
    alice = one.listener("alice")
    assert alice.inputs_on_path == ("hm4.input",)
    assert alice.stages_on_path == ("scarlett.headphones", "hm4.out1")
    assert [(str(c.knob), c.physical) for c in alice.volume_controls] == [
        ("scarlett.headphones", True), ("hm4.out1", True), ("laptop.software", False)]


def test_a_listener_on_another_amp_has_only_that_amp_on_the_path():
    text = (EXAMPLES / "01-headphone-out-to-splitter.yaml").read_text()
    text = text.replace("  alice: sennheiser/hd-280-pro\n",
                        "  alice: sennheiser/hd-280-pro\n  amp2: {model: mackie/hm-4, knobs: "
                        "{out1: 0.5}}\n  erin: sennheiser/hd-600\n")
    text += ("  - cable: trs-cable\n    ends: [scarlett.line_out_1, amp2.input]\n"
             "  - plug: erin\n    into: amp2.out1\n")
    ev = sc.Rig.from_text(text, "two-amps.yaml").simulate()
    assert ev.listener("erin").inputs_on_path == ("amp2.input",)
    assert ev.listener("alice").inputs_on_path == ("hm4.input",)
    assert "hm4.out1" not in ev.listener("erin").stages_on_path


def test_channels_far_below_the_loudest_are_left_out():
    """Method 2: R never reaches alice (not even as crosstalk); L leaks to the right ear
    about 54 dB down, which is crosstalk, not program."""
    lf = sc.Rig.from_path(EXAMPLES / "02-left-line-out-to-splitter.yaml").simulate().listener(
        "alice")
    top = lf.program_spl_db
    for ear in lf.ears.values():
        for c in ear.program:
            assert top - th.CHANNEL_FLOOR_DB <= c.spl_db <= top
            assert c.crosstalk == (c.spl_db < top - th.CROSSTALK_DB)
    assert [c.channel for c in lf.crosstalk_at("right")] == ["L"]
    assert "R" not in {c.channel for e in lf.ears.values() for c in e.program}


def test_the_loudest_a_listener_can_get_is_with_every_knob_up():
    """Insensitive headphones (70 dB SPL/V) stay too quiet even with the knob fully up;
    the finding carries that full-knob level, which is the same rig at 100 %."""
    full = direct_rig(knob=1.0, sens_db_per_v=70.0).simulate().listener("zed").program_spl_db
    assert full < th.TOO_QUIET_SPL_DB
    lf = direct_rig(knob=0.3, sens_db_per_v=70.0).simulate().listener("zed")
    (quiet,) = [f for f in lf.warnings if f.code == "too-quiet"]
    assert quiet.data["loudest_spl_db"] == pytest.approx(full, abs=1e-6)
    loud = direct_rig(knob=0.3).simulate().listener("zed")
    assert not [f for f in loud.warnings if f.code == "too-quiet"]


def test_a_shorted_leg_is_found_with_its_load_and_place():
    text = (EXAMPLES / "01-headphone-out-to-splitter.yaml").read_text().replace(
        "cable: trs-cable ", "cable: ts-cable  ")
    rig = sc.Rig.from_text(text, "ts.yaml")
    (f,) = rig.check().findings
    assert (f.code, f.subject, f.data["role"], f.severity) == (
        "shorted-output", "scarlett.headphones", "right", "error")
    assert 0.0 < f.data["load_ohm"] < 0.1  # contacts and a few metres of copper
    assert f.location is not None and f.location.line == text[:text.index("cable: ts-cable")
                                                              ].count("\n") + 1
    assert f.location.file == "ts.yaml"


@pytest.mark.parametrize("z_ohm, flagged", [(64.0, True), (79.0, True), (81.0, False)])
def test_output_impedance_is_judged_by_the_damping_factor(z_ohm, flagged):
    """10 Ω into Z: a damping factor Z/10 below 8 is flagged (the 1/8 rule)."""
    found = [f for f in direct_rig(z_ohm=z_ohm).simulate().listener("zed").warnings
             if f.code == "output-impedance"]
    assert bool(found) == flagged
    if flagged:
        assert found[0].data["damping_factor"] == pytest.approx(z_ohm / 10.0)
        assert found[0].data["feed"] == "s.headphones"

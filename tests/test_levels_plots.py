"""Level windows, the plots' data and their pictures."""

import math
import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest

import signalchain as sc
from signalchain import thresholds as th
from signalchain.curves import hiss_vs_knob, hum_vs_length
from signalchain.draw.levels import level_diagram_svg
from signalchain.draw.plots import hiss_vs_knob_svg, hum_vs_length_svg, response_svg
from signalchain.levels import level_windows
from tests.conftest import EXAMPLES
from tests.test_evaluate_hand import _hum_rig

SEED = EXAMPLES / "01-headphone-out-to-splitter.yaml"


@pytest.fixture(scope="module")
def seed():
    rig = sc.Rig.from_path(SEED)
    return rig, rig.simulate()


def test_a_window_per_stage_on_the_path_in_signal_order(seed):
    rig, ev = seed
    windows = level_windows(rig, ev, "alice")
    assert [w.stage for w in windows] == ["scarlett.headphones", "hm4.input", "hm4.out1",
                                          "alice.drivers"]
    svg = level_diagram_svg(rig, ev, "alice")
    bars = re.findall(r"<g id=\"lv-window-(\d+)\"", svg)
    assert bars == ["0", "1", "2", "3"]


def test_windows_agree_with_the_datasheet_and_the_headroom(seed):
    rig, ev = seed
    w = {x.stage: x for x in level_windows(rig, ev, "alice")}
    dbu = lambda v: 20 * math.log10(v / math.sqrt(0.6))  # noqa: E731
    # the 2i2's headphone out swings 1.7 V; the HM-4's input takes 3 V
    assert w["scarlett.headphones"].clip_dbu == pytest.approx(dbu(1.7), abs=0.05)
    assert w["hm4.input"].clip_dbu == pytest.approx(dbu(3.0), abs=0.05)
    for stage in ("scarlett.headphones", "hm4.input", "hm4.out1"):
        # simulate's headroom is for a 0 dBFS sine; the window's is over peaks at −6 dBFS
        room = ev.stage(stage).headroom_db
        assert w[stage].headroom_db == pytest.approx(
            room - th.REFERENCE_DBFS - th.PROGRAM_CREST_DB, abs=0.05)
        assert w[stage].peak_dbu - w[stage].average_dbu == th.PROGRAM_CREST_DB
    # at the drivers: the average is the program level at the ear, through the sensitivity
    lf = ev.listener("alice")
    sens = rig.graph.sensitivity_db_per_v["alice"]
    v_ear = 10 ** ((lf.program_spl_db - sens) / 20)
    assert w["alice.drivers"].average_dbu == pytest.approx(dbu(v_ear), abs=0.05)
    assert w["alice.drivers"].noise_dbu == pytest.approx(
        dbu(10 ** ((lf.ears["left"].noise_spl_dba - sens) / 20)), abs=0.3)


def test_hiss_sweep_keeps_the_listener_at_the_target_and_finds_the_least_hiss(seed):
    rig, ev = seed
    sweep = hiss_vs_knob(rig, ev, "bob")
    assert (sweep.knob, sweep.follower) == ("scarlett.headphones", "hm4.out2")
    for i in np.flatnonzero(sweep.reachable)[::5]:
        lf = rig.simulate({sweep.knob: float(sweep.positions[i]),
                           sweep.follower: float(sweep.follower_positions[i])}).listener("bob")
        assert lf.program_spl_db == pytest.approx(sweep.target_spl_db, abs=0.1)
        assert lf.noise_spl_dba == pytest.approx(sweep.hiss_dba[i], abs=1e-6)
    best = sweep.best
    assert best is not None
    usable = sweep.reachable & ~sweep.clips
    assert sweep.hiss_dba[best] == pytest.approx(np.nanmin(sweep.hiss_dba[usable]))
    assert not sweep.reachable[0]  # 5 % of the interface: the HM-4 cannot make up 80 dB SPL
    svg = hiss_vs_knob_svg(rig, ev, "bob")
    assert svg is not None and 'id="hs-best' in svg


def test_one_knob_has_no_sweep():
    """Headphones straight into the 2i2: its headphone knob is the only one on the path."""
    from tests.test_evaluate_hand import direct_rig

    rig = direct_rig()
    ev = rig.simulate()
    assert hiss_vs_knob(rig, ev, "zed") is None
    assert hiss_vs_knob_svg(rig, ev, "zed") is None


def test_line_outs_sharing_one_knob_sweep_it_against_the_amp():
    rig = sc.Rig.from_path(EXAMPLES / "06-line-outs-to-atom-amp.yaml")
    ev = rig.simulate()
    sweep = hiss_vs_knob(rig, ev, ev.listeners[0].id)
    assert sweep is not None and (sweep.knob, sweep.follower) == ("scarlett.monitor",
                                                                  "atom.volume")


def test_hum_sweep_balanced_beats_unbalanced_between_earthed_devices():
    rig = _hum_rig("{1: 0.0, 3: -10.0, 5: -16.0}", 4.6)
    ev = rig.simulate()
    sweep = hum_vs_length(rig, ev)
    assert sweep is not None and sweep.written == "ts-cable" and sweep.cable_id == "C02"
    ts, trs = sweep.hum_dba["ts-cable"], sweep.hum_dba["trs-cable"]
    assert np.all(np.diff(ts) > 0)  # unbalanced hum grows with the shield's resistance
    assert np.all(trs < ts - 30)
    at_4_6 = list(sweep.lengths_m).index(4.6)
    assert ts[at_4_6] == pytest.approx(ev.listener("bob").hum_spl_dba, abs=1e-6)
    assert hum_vs_length_svg(rig, ev) is not None


def test_no_earthed_link_no_hum_plot(seed):
    rig, ev = seed
    assert hum_vs_length(rig, ev) is None and hum_vs_length_svg(rig, ev) is None


def test_pictures_are_stable_well_formed_and_prefixed(seed):
    rig, ev = seed
    for make in (lambda p: level_diagram_svg(rig, ev, "carol", id_prefix=p),
                 lambda p: response_svg(rig, ev, id_prefix=p)):
        one, two = make("q1"), make("q1")
        assert one == two
        root = ET.fromstring(one)
        ids = [e.get("id") for e in root.iter() if e.get("id")]
        assert ids and all(i.startswith("q1-") for i in ids)
        assert not one.startswith("<?xml")
    assert 'id="fr-response-dave-right"' in response_svg(rig, ev)

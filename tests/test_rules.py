"""The rules module: every finding's code, severity, subject, data and threshold boundary."""

import math

import numpy as np
import pytest

from signalchain import rules
from signalchain import thresholds as th
from signalchain.refs import KnobRef
from signalchain.report.messages import finding_text
from signalchain.results import ChannelAtEar, EarFigures, ListenerFigures, StageLimit, VolumeControl


def ear(program=(), noise=0.0, hum=-30.0):
    return EarFigures(tuple(program), noise, hum, np.zeros(3))


def listener(left=(), right=(), *, noise=0.0, hum=-30.0, clips=None, stage=None,
             physical=True, feed="amp.out1", stages=("amp.out1",)):
    return ListenerFigures(
        id="ann", device="x/hp", name="", feed=feed,
        ears={"left": ear(left, noise, hum), "right": ear(right, noise, hum)},
        peak_spl_db=100.0, clips_at_dbfs=clips, clip_stage=stage,
        volume_controls=(VolumeControl(KnobRef("amp.out1"), physical),),
        stages_on_path=tuple(stages), inputs_on_path=())


L80 = ChannelAtEar("L", 80.0, 1)
R80 = ChannelAtEar("R", 80.0, 1)


def codes(found):
    return [(f.code, f.severity) for f in found]


def test_stereo_in_phase_has_no_channel_findings():
    assert rules.channel_findings(listener([L80], [R80]), ("L", "R")) == []


def test_one_ear_and_missing_channel_with_their_data():
    xt = ChannelAtEar("L", 30.0, 1, crosstalk=True)
    lf = listener([L80], [xt], noise=12.0)
    found = rules.channel_findings(lf, ("L", "R"))
    assert codes(found) == [("one-ear", "error"), ("missing-channel", "error")]
    one, missing = found
    assert (one.subject, one.stage) == ("ann", "simulate")
    assert dict(one.data) == {"channel": "L", "side": "left", "other": "right", "spl_db": 80.0,
                              "crosstalk": ({"channel": "L", "spl_db": 30.0, "down_db": 50.0},),
                              "other_noise_spl_dba": 12.0}
    assert dict(missing.data) == {"channel": "R", "crosstalk": ()}
    assert finding_text(one) == ("L reaches only the left ear (80.0 dB SPL); the right ear gets "
                                 "no program, only crosstalk (L 30.0 dB SPL, 50 dB down) and "
                                 "hiss (12.0 dBA)")
    assert finding_text(missing) == "the R channel reaches neither ear"


@pytest.mark.parametrize("right_db, expected", [
    (80.0 - rules.ANTIPHASE_WINDOW_DB + 0.01, [("antiphase", "error")]),
    (80.0 - rules.ANTIPHASE_WINDOW_DB, []),
    (80.0 + rules.ANTIPHASE_WINDOW_DB - 0.01, [("antiphase", "error")]),
])
def test_antiphase_window_boundaries(right_db, expected):
    lf = listener([L80, R80], [ChannelAtEar("L", right_db, -1), R80])
    found = rules.channel_findings(lf, ("L", "R"))
    assert codes(found) == expected
    if found:
        assert dict(found[0].data) == {"channel": "L", "left_spl_db": 80.0,
                                       "right_spl_db": right_db}
    assert rules.ANTIPHASE_WINDOW_DB == 20.0


@pytest.mark.parametrize("noise, hiss", [(th.HISS_AUDIBLE_DBA, True),
                                         (th.HISS_AUDIBLE_DBA - 0.01, False)])
def test_hiss_threshold(noise, hiss):
    found = rules.level_findings(listener([L80], [R80], noise=noise), 80.0, None)
    assert codes(found) == ([("hiss-audible", "warning")] if hiss else [])
    if hiss:
        assert dict(found[0].data) == {"noise_spl_dba": noise,
                                       "threshold_dba": th.HISS_AUDIBLE_DBA}


@pytest.mark.parametrize("hum, audible", [(th.HUM_AUDIBLE_DBA, True),
                                          (th.HUM_AUDIBLE_DBA - 0.01, False)])
def test_hum_threshold(hum, audible):
    found = rules.level_findings(listener([L80], [R80], hum=hum), 80.0, None)
    assert codes(found) == ([("hum-audible", "warning")] if audible else [])
    if audible:
        assert dict(found[0].data) == {"hum_spl_dba": hum, "threshold_dba": th.HUM_AUDIBLE_DBA}


@pytest.mark.parametrize("clips, severity", [(-6.01, "error"), (-6.0, "warning"),
                                             (-1.0, "warning")])
def test_clipping_is_an_error_only_below_the_music_peaks(clips, severity):
    limit = StageLimit("swing", 2.5)
    found = rules.level_findings(listener([L80], [R80], clips=clips, stage="amp.out1"), 80.0,
                                 limit)
    assert codes(found) == [("clipping", severity)]
    assert dict(found[0].data) == {"stage": "amp.out1", "clips_at_dbfs": clips,
                                   "limit_kind": "swing", "limit_value": 2.5,
                                   "music_clips": severity == "error",
                                   "music_peaks_dbfs": -6.0}
    assert rules.level_findings(listener([L80], [R80], clips=clips, stage="amp.out1"), 80.0,
                                None) == []


@pytest.mark.parametrize("loudest, quiet", [(th.TOO_QUIET_SPL_DB - 0.01, True),
                                            (th.TOO_QUIET_SPL_DB, False)])
def test_too_quiet_threshold(loudest, quiet):
    found = rules.level_findings(listener([L80], [R80]), loudest, None)
    assert codes(found) == ([("too-quiet", "warning")] if quiet else [])
    if quiet:
        assert dict(found[0].data) == {"loudest_spl_db": loudest,
                                       "threshold_spl_db": th.TOO_QUIET_SPL_DB}


@pytest.mark.parametrize("spl, risk", [(85.01, True), (85.0, False)])
def test_hearing_risk_threshold(spl, risk):
    loud = ChannelAtEar("L", spl, 1)
    found = rules.level_findings(listener([loud], [R80]), 100.0, None)
    assert codes(found) == ([("hearing-risk", "warning")] if risk else [])
    if risk:
        assert found[0].data["allowed_hours"] == pytest.approx(
            8 / 2 ** ((spl - 85) / 3))
        assert found[0].data["spl_db"] == spl


def test_silent_listener_gets_no_level_findings():
    assert rules.level_findings(listener(), 0.0, None) == []


@pytest.mark.parametrize("z_src, flagged", [(4.0, False), (4.01, True)])
def test_output_impedance_one_eighth_rule(z_src, flagged):
    found = rules.impedance_finding(listener([L80], [R80]), z_src, 32.0, has_curve=False)
    assert codes(found) == ([("output-impedance", "warning")] if flagged else [])
    if flagged:
        assert dict(found[0].data) == {"feed": "amp.out1", "z_out_ohm": z_src,
                                       "z_headphones_ohm": 32.0, "damping_factor": 32.0 / z_src,
                                       "has_curve": False, "response_span_db": None}
    assert rules.impedance_finding(listener([L80], [R80], feed=None), 100.0, 32.0, False) == []


def test_output_impedance_with_a_curve_reports_the_response_span():
    lf = listener([L80], [R80])
    lf = ListenerFigures(**{**lf.__dict__, "ears": {
        "left": EarFigures((L80,), 0.0, -30.0, np.array([0.0, -1.5, 2.0])),
        "right": EarFigures((R80,), 0.0, -30.0, np.array([0.0, 0.5, 1.0]))}})
    (f,) = rules.impedance_finding(lf, 50.0, 300.0, has_curve=True)
    assert f.data["response_span_db"] == pytest.approx(3.5)


@pytest.mark.parametrize("load, shorted", [(th.SHORTED_LOAD_OHM - 1e-3, True),
                                           (th.SHORTED_LOAD_OHM, False)])
def test_shorted_output_threshold(load, shorted):
    found = rules.shorted_output("amp.out1", "cold", load)
    if not shorted:
        assert found is None
        return
    assert found is not None
    assert (found.code, found.severity, found.subject) == ("shorted-output", "error", "amp.out1")
    assert dict(found.data) == {"stage": "amp.out1", "role": "cold", "load_ohm": load}
    assert finding_text(found).startswith("amp.out1's cold leg drives a short (1.00 Ω load)")


def test_no_physical_volume_is_info_and_listener_findings_order():
    lf = listener([L80], [], physical=False, noise=20.0)
    shorted = [rules.shorted_output("amp.out1", "hot", 0.1),
               rules.shorted_output("other.out", "hot", 0.1)]
    found = rules.listener_findings(lf, ("L", "R"), 80.0, {}, [s for s in shorted if s], [])
    assert codes(found) == [("one-ear", "error"), ("missing-channel", "error"),
                            ("hiss-audible", "warning"), ("shorted-output", "error"),
                            ("no-physical-volume", "info")]
    assert not math.isnan(found[2].data["noise_spl_dba"])

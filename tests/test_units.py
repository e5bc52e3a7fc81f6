"""Conversions against values worked by hand from electrical.md."""

import math

import numpy as np
import pytest

from signalchain import units


def test_dbu_and_dbv_references():
    assert units.dbu_to_v(4.0) == pytest.approx(1.228, abs=1e-3)  # +4 dBu = 1.228 V (§3)
    assert units.dbv_to_v(-10.0) == pytest.approx(0.316, abs=1e-3)  # -10 dBV = 0.316 V
    # 1 V is 0 dBV, which is 2.21 dBu
    assert float(units.v_to_dbu(1.0)) == pytest.approx(2.21, abs=0.01)
    # +4 dBu vs -10 dBV differ by about 11.8 dB
    assert float(units.v_to_dbu(1.228) - units.v_to_dbu(0.316)) == pytest.approx(11.8, abs=0.05)


def test_sensitivity_conversion_matches_reference_check():
    # §4: 104 dB/V at 474 ohm gives 100.76 dB/mW, so the reverse conversion gives 104.
    assert units.sensitivity_db_per_v(100.76, 474.0) == pytest.approx(104.0, abs=0.01)
    # HD 650 row: 0.288 V for 94 dB SPL -> 94 - 20 log10(0.288) = 104.8 dB/V
    assert 94 - 20 * math.log10(0.288) == pytest.approx(104.8, abs=0.05)


@pytest.mark.parametrize("freq, expected_db", [
    (100, -19.1), (500, -3.2), (1000, 0.0), (2000, 1.2), (4000, 1.0), (8000, -1.1),
    (16000, -6.6)])
def test_a_weighting_table(freq, expected_db):
    # IEC 61672 values quoted in electrical.md §7 (the table rounds to 0.1 dB; the analytic
    # formula gives -6.71 dB at 16 kHz, hence the slightly wider tolerance)
    assert float(units.a_weighting_db(freq)) == pytest.approx(expected_db, abs=0.15)


@pytest.mark.parametrize("pos, expected_db", [(0.25, -27.1), (0.5, -16.5), (0.75, -7.9)])
def test_audio_taper_points(pos, expected_db):
    # §4 taper table, m = 0.15: exponential fit a(x) = (b^x - 1)/(b - 1), b = (1/m - 1)^2
    b = (1 / 0.15 - 1) ** 2
    hand = 20 * math.log10((b**pos - 1) / (b - 1))
    assert hand == pytest.approx(expected_db, abs=0.1)
    assert float(units.db(units.taper_gain(pos, "audio"))) == pytest.approx(hand, abs=1e-9)


def test_taper_inverse_and_custom_points():
    for x in (0.1, 0.33, 0.5, 0.9):
        assert units.taper_position(float(units.taper_gain(x))) == pytest.approx(x, abs=1e-9)
    pts = [[0, -80], [0.5, -20], [1, 0]]
    assert float(units.db(units.taper_gain(0.75, pts))) == pytest.approx(-10.0)
    assert float(units.taper_gain(0.4, "linear")) == pytest.approx(0.4)


def test_johnson_noise_hand_value():
    # §7: 1 kohm, 20 kHz, 300 K -> 0.58 µV = -122.6 dBu
    v = units.johnson_noise_v(1e3)
    assert v == pytest.approx(0.575e-6, rel=0.01)
    assert float(units.v_to_dbu(v)) == pytest.approx(-122.6, abs=0.1)


@pytest.mark.parametrize("text, metres", [("3 m", 3.0), ("10 ft", 3.048), ("50 cm", 0.5),
                                          (2.5, 2.5), ("15'", 4.572)])
def test_parse_length(text, metres):
    assert units.parse_length_m(text) == pytest.approx(metres)


@pytest.mark.parametrize("text, ohm", [("300 ohm", 300), ("300 Ω", 300), ("10k", 1e4),
                                       ("10 kohm", 1e4), ("1 Mohm", 1e6), (32, 32)])
def test_parse_ohm(text, ohm):
    assert units.parse_ohm(text) == pytest.approx(ohm)


def test_parse_levels_and_fractions():
    assert units.parse_level_v("+4 dBu") == pytest.approx(1.228, abs=1e-3)
    assert units.parse_level_v("300 mV") == pytest.approx(0.3)
    assert units.parse_fraction("60%") == pytest.approx(0.6)
    for bad in ("150%", "-0.1", "loud", "3 m"):
        with pytest.raises(ValueError):
            units.parse_fraction(bad)
    with pytest.raises(ValueError, match="unknown unit"):
        units.parse_length_m("3 parsecs")


def test_clock_positions():
    assert units.clock_position(0.0) == "about 7 o'clock"
    assert units.clock_position(0.5) == "about 12 o'clock"
    assert units.clock_position(1.0) == "about 5 o'clock"
    assert units.clock_position(0.7) == "about 2 o'clock"
    assert np.isfinite(units.db(1.0))

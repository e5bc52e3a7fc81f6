"""Unit conversions, parsing of human-written quantities, A-weighting and knob tapers.

Everything inside signalchain is SI (volts, ohms, metres, pascals, linear
gain). Conversions to and from decibel scales live here and nowhere else.
Formulas and their sources: ``shared/reference/electrical.md`` §3, §4, §7.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import overload

import numpy as np
from numpy.typing import ArrayLike

from signalchain.arrays import FloatArray, NumberArray

DBU_REF_V = math.sqrt(0.6)  # 0 dBu = 0.7746 V rms (1 mW into 600 ohm)
P_REF_PA = 20e-6  # 0 dB SPL
FEET_TO_M = 0.3048
INCH_TO_M = 0.0254
BOLTZMANN = 1.380649e-23


# --------------------------------------------------------------------- dB
@overload
def db(ratio: float) -> float: ...
@overload
def db(ratio: NumberArray) -> FloatArray: ...
def db(ratio: float | NumberArray) -> float | FloatArray:
    """Return ``20*log10(|ratio|)`` for an amplitude ratio (-inf for 0)."""
    with np.errstate(divide="ignore"):
        level_db: float | FloatArray = 20.0 * np.log10(np.abs(ratio))
    return level_db


@overload
def db_power(ratio: float) -> float: ...
@overload
def db_power(ratio: NumberArray) -> FloatArray: ...
def db_power(ratio: float | NumberArray) -> float | FloatArray:
    """Return ``10*log10(ratio)`` for a power ratio (-inf for 0)."""
    with np.errstate(divide="ignore"):
        level_db: float | FloatArray = 10.0 * np.log10(ratio)
    return level_db


@overload
def from_db(gain_db: float) -> float: ...
@overload
def from_db(gain_db: NumberArray) -> FloatArray: ...
def from_db(gain_db: float | NumberArray) -> float | FloatArray:
    """Return the amplitude ratio for a gain in dB."""
    ratio: float | FloatArray = 10.0 ** (np.asarray(gain_db, dtype=float) / 20.0)
    return ratio


def dbu_to_v(level_dbu: float) -> float:
    """Return the RMS voltage of a level in dBu."""
    return DBU_REF_V * math.pow(10.0, level_dbu / 20.0)


@overload
def v_to_dbu(v_rms: float) -> float: ...
@overload
def v_to_dbu(v_rms: NumberArray) -> FloatArray: ...
def v_to_dbu(v_rms: float | NumberArray) -> float | FloatArray:
    """Return the level in dBu of an RMS voltage."""
    return db(np.asarray(v_rms) / DBU_REF_V)


def dbv_to_v(level_dbv: float) -> float:
    """Return the RMS voltage of a level in dBV."""
    return math.pow(10.0, level_dbv / 20.0)


@overload
def pa_to_spl(p_rms_pa: float) -> float: ...
@overload
def pa_to_spl(p_rms_pa: NumberArray) -> FloatArray: ...
def pa_to_spl(p_rms_pa: float | NumberArray) -> float | FloatArray:
    """Return the sound pressure level (dB SPL) of an RMS pressure."""
    return db(np.asarray(p_rms_pa) / P_REF_PA)


@overload
def spl_to_pa(spl_db: float) -> float: ...
@overload
def spl_to_pa(spl_db: NumberArray) -> FloatArray: ...
def spl_to_pa(spl_db: float | NumberArray) -> float | FloatArray:
    """Return the RMS pressure (Pa) of a sound pressure level."""
    return P_REF_PA * from_db(spl_db)


def sensitivity_db_per_v(sensitivity_db_per_mw: float, z_ohm: float) -> float:
    """Convert dB SPL/mW to dB SPL/V: ``S_V = S_mW + 10*log10(1000/Z)``."""
    return sensitivity_db_per_mw + 10.0 * math.log10(1000.0 / z_ohm)


def johnson_noise_v(r_ohm: float, bandwidth_hz: float = 20e3, temp_k: float = 300.0) -> float:
    """Return the RMS Johnson noise voltage ``sqrt(4kTRB)`` of a resistor."""
    return math.sqrt(4.0 * BOLTZMANN * temp_k * r_ohm * bandwidth_hz)


# ------------------------------------------------------------- A-weighting
@overload
def a_weighting_gain(freq_hz: float) -> float: ...
@overload
def a_weighting_gain(freq_hz: NumberArray) -> FloatArray: ...
def a_weighting_gain(freq_hz: float | NumberArray) -> float | FloatArray:
    """Return the linear A-weighting gain (IEC 61672), 1.0 at 1 kHz.

    ``R_A = 12194² f⁴ / ((f²+20.6²) sqrt((f²+107.7²)(f²+737.9²)) (f²+12194²))``
    and ``A = 20 log10 R_A + 2.00 dB``.
    """
    f2 = np.asarray(freq_hz, dtype=float) ** 2
    r_a: float | FloatArray = (12194.0**2 * f2**2) / (
        (f2 + 20.6**2) * np.sqrt((f2 + 107.7**2) * (f2 + 737.9**2)) * (f2 + 12194.0**2)
    )
    return r_a * math.pow(10.0, 2.0 / 20.0)


def a_weighting_db(freq_hz: float | NumberArray) -> FloatArray:
    """Return the A-weighting in dB (IEC 61672)."""
    return np.asarray(db(a_weighting_gain(freq_hz)))


# ------------------------------------------------------------------ tapers
AUDIO_TAPER_MIDPOINT = 0.15  # "15A" log taper: 15 % of full gain at mid-travel


def _exp_taper_base(midpoint: float) -> float:
    return (1.0 / midpoint - 1.0) ** 2


@overload
def taper_gain(position: float, taper: str | Sequence[Sequence[float]] = "audio") -> float: ...
@overload
def taper_gain(position: NumberArray, taper: str | Sequence[Sequence[float]] = "audio"
               ) -> FloatArray: ...
def taper_gain(position: float | NumberArray, taper: str | Sequence[Sequence[float]] = "audio"
               ) -> float | FloatArray:
    """Return the linear gain of a volume knob at ``position`` (0..1).

    Parameters
    ----------
    position : float or ndarray
        Knob position, 0 = fully down, 1 = fully up.
    taper : {'audio', 'linear'} or list of [position, dB] points
        ``audio`` is the exponential fit through 15 % at mid-travel
        (``a(x) = (b**x - 1)/(b - 1)``, ``b = (1/m - 1)**2``, electrical.md §4);
        ``linear`` is ``a = x``; explicit points are interpolated in dB.
    """
    # a scalar position stays a scalar (NumPy returns one from a 0-d array)
    x: float | FloatArray = np.clip(np.asarray(position, dtype=float), 0.0, 1.0)
    if isinstance(taper, str):
        if taper == "linear":
            return x
        if taper == "audio":
            b = _exp_taper_base(AUDIO_TAPER_MIDPOINT)
            gain: float | FloatArray = (b**x - 1.0) / (b - 1.0)
            return gain
        raise ValueError(f"taper must be 'audio', 'linear' or a list of points, not {taper!r}")
    pts = np.asarray(taper, dtype=float)
    gain_db: float | FloatArray = np.interp(x, pts[:, 0], pts[:, 1])
    return from_db(gain_db)


def taper_position(gain: float, taper: str | Sequence[Sequence[float]] = "audio") -> float:
    """Invert :func:`taper_gain`: the knob position giving linear ``gain`` (clipped to 0..1)."""
    if gain <= 0.0:
        return 0.0
    if gain >= float(taper_gain(1.0, taper)):
        return 1.0
    if isinstance(taper, str):
        if taper == "linear":
            return float(gain)
        b = _exp_taper_base(AUDIO_TAPER_MIDPOINT)
        return float(math.log(gain * (b - 1.0) + 1.0) / math.log(b))
    pts = np.asarray(taper, dtype=float)
    return float(np.interp(20.0 * math.log10(gain), pts[:, 1], pts[:, 0]))


def clock_position(position: float) -> str:
    """Describe a knob position as a clock face ("about 2 o'clock").

    A typical knob sweeps 300 degrees, from 7 o'clock (0) to 5 o'clock (1).
    """
    hours = (7.0 + 10.0 * position) % 12.0
    whole = round(hours * 2) / 2  # nearest half hour
    hour = int(whole) % 12 or 12
    half = " and a half" if whole % 1 else ""
    return f"about {hour}{half} o'clock"


# ----------------------------------------------------------------- parsing
_NUMBER = r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?"
_UNIT_WORD = "[a-zA-ZΩµ%'\"/]+"
# Unit words are separated by single spaces, so the pattern cannot backtrack
# super-linearly (the old ``[... ]*?\s*$`` took seconds on a few thousand spaces).
_QUANTITY = re.compile(rf"^\s*({_NUMBER})\s*({_UNIT_WORD}(?: {_UNIT_WORD})*)?\s*$")
MAX_QUANTITY_CHARS = 64
"""Longest text accepted as a quantity (``'-10.5 dBV'``); longer text is refused unread."""

_LENGTH_UNITS = {"": 1.0, "m": 1.0, "cm": 0.01, "mm": 0.001, "ft": FEET_TO_M, "feet": FEET_TO_M,
                 "foot": FEET_TO_M, "'": FEET_TO_M, "in": INCH_TO_M, "inch": INCH_TO_M,
                 "\"": INCH_TO_M}
_FREQ_UNITS = {"": 1.0, "hz": 1.0, "khz": 1e3}


def _finite(value: float | int, text: object, what: str) -> float:
    """``value`` as a float, refusing NaN, infinities and integers beyond float range."""
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise ValueError(f"{_show(text)} is not a finite number ({what} must be finite)")
    return number


def _show(text: object) -> str:
    """``repr`` of a user value, shortened (a huge integer or string stays readable)."""
    if isinstance(text, int) and not isinstance(text, bool) and abs(text) >= 10**30:
        return f"an integer of about {int(abs(text).bit_length() * math.log10(2))} digits"
    shown = repr(text)
    return shown if len(shown) <= 40 else shown[:37] + "..."


def _split(text: object, what: str) -> tuple[float, str]:
    """Split a quantity into its finite number and its unit text (``''`` for a bare number)."""
    if isinstance(text, bool):
        raise ValueError(f"expected {what}, not {text!r}")
    if isinstance(text, int | float):
        return _finite(text, text, what), ""
    if not isinstance(text, str):
        raise ValueError(f"expected {what}, not {_show(text)}")
    if len(text) > MAX_QUANTITY_CHARS:
        raise ValueError(f"{_show(text)} is too long to be {what} (at most "
                         f"{MAX_QUANTITY_CHARS} characters)")
    m = _QUANTITY.match(text)
    if not m:
        raise ValueError(f"cannot read {text!r} as {what}")
    return _finite(float(m.group(1)), text, what), (m.group(2) or "").strip()


def _scaled(text: object, units: dict[str, float], what: str, examples: str) -> float:
    value, unit = _split(text, what)
    table = {k.lower(): v for k, v in units.items()}
    key = unit.lower()
    if key not in table:
        raise ValueError(f"unknown unit {unit!r} in {text!r} for {what}; write e.g. {examples}")
    return _finite(value * table[key], text, what)


def parse_length_m(text: object) -> float:
    """Parse a length: ``3 m``, ``10 ft``, ``50 cm`` or a number of metres."""
    value = _scaled(text, _LENGTH_UNITS, "a length", "'3 m', '10 ft' or 2.5 (metres)")
    if value < 0:
        raise ValueError(f"a length cannot be negative ({text!r})")
    return value


def parse_fraction(text: object) -> float:
    """Parse a knob position: ``0.6`` or ``60%`` (must end up in 0..1)."""
    value, unit = _split(text, "a knob position")
    if unit == "%":
        value /= 100.0
    elif unit:
        raise ValueError(f"a knob position is a number 0..1 or a percentage, not {text!r}")
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"a knob position must be between 0 and 1 (or 0% and 100%), "
                         f"not {text!r}")
    return value


def parse_ohm(text: object) -> float:
    """Parse an impedance: ``300 ohm``, ``300 Ω``, ``10k``, ``10 kohm``, ``1 Mohm`` or a number."""
    value, unit = _split(text, "an impedance")
    prefix = {"k": 1e3, "M": 1e6, "m": 1e-3}.get(unit[:1], 1.0) if unit[:1] in "kMm" else 1.0
    rest = unit[1:] if prefix != 1.0 else unit
    if rest.lower() not in ("", "ohm", "ohms", "Ω".lower()):
        raise ValueError(f"unknown unit {unit!r} in {text!r} for an impedance; write e.g. "
                         f"'300 ohm', '10 kohm' or 32")
    if value < 0:
        raise ValueError(f"an impedance cannot be negative ({text!r})")
    return _finite(value * prefix, text, "an impedance")


def parse_number(text: object) -> float:
    """Parse a plain finite number (``-94``, ``'12.5'``); units are not accepted."""
    value, unit = _split(text, "a number")
    if unit:
        raise ValueError(f"expected a plain number, not {text!r} (the unit is in the "
                         "field's name)")
    return value


def parse_mic_sensitivity_mv(text: object) -> float:
    """Parse a microphone sensitivity to mV/Pa: ``1.85 mV/Pa``, ``-54.5 dBV/Pa``, ``0.0141 V/Pa``.

    A plain number is mV/Pa. dBV/Pa is re 1 V/Pa (−60 dBV/Pa = 1 mV/Pa).
    """
    value, unit = _split(text, "a microphone sensitivity")
    u = unit.lower()
    if u in ("", "mv/pa"):
        mv = value
    elif u == "v/pa":
        mv = value * 1e3
    elif u == "dbv/pa":
        if abs(value) > MAX_LEVEL_DB:
            raise ValueError(f"{text!r} is not a sensible sensitivity")
        mv = 1e3 * 10.0 ** (value / 20.0)
    else:
        raise ValueError(f"unknown unit {unit!r} in {text!r} for a microphone sensitivity; "
                         "write e.g. '1.85 mV/Pa', '-54.5 dBV/Pa' or 14.1 (mV/Pa)")
    return _finite(mv, text, "a microphone sensitivity")


def parse_hz(text: object) -> float:
    """Parse a frequency: ``60 Hz``, ``1 kHz`` or a number of hertz."""
    return _scaled(text, _FREQ_UNITS, "a frequency", "'60 Hz' or '1 kHz'")


MAX_LEVEL_DB = 400.0
"""Largest magnitude of a level written in dBu or dBV (10**(400/20) V is far beyond any
range the schema accepts, and well inside float range)."""


def parse_level_v(text: object) -> float:
    """Parse an RMS level to volts: ``+4 dBu``, ``-10 dBV``, ``1.2 V``, ``300 mV``."""
    value, unit = _split(text, "a level")
    u = unit.lower()
    if u in ("dbu", "dbv") and abs(value) > MAX_LEVEL_DB:
        raise ValueError(f"{text!r} is not a sensible level (levels in dB are within "
                         f"±{MAX_LEVEL_DB:g})")
    if u == "dbu":
        return dbu_to_v(value)
    if u == "dbv":
        return dbv_to_v(value)
    if u in ("v", "vrms", "v rms", ""):
        return value
    if u in ("mv", "mvrms"):
        return value * 1e-3
    if u in ("uv", "µv"):
        return value * 1e-6
    raise ValueError(f"unknown unit {unit!r} in {text!r}; write e.g. '+4 dBu', '-10 dBV', "
                     f"'1.2 V' or '300 mV'")


def impedance_at(z_curve: Sequence[tuple[float, float]], z_nominal_ohm: float,
                 freqs_hz: ArrayLike) -> FloatArray:
    """A driver's impedance at ``freqs_hz`` from its measured curve, or its nominal one.

    The one interpolation of impedance curves: linear in impedance against log-frequency
    between the curve's points, held flat beyond its ends (a measured curve of a dynamic
    driver is smooth on a log axis, which is how datasheets plot it).

    Parameters
    ----------
    z_curve : sequence of (frequency_hz, impedance_ohm)
        Points in rising frequency; empty for a flat impedance.
    z_nominal_ohm : float
        The impedance used when there is no curve.
    freqs_hz : array_like
        Where to evaluate (Hz, > 0).
    """
    f_hz = np.asarray(freqs_hz, dtype=np.float64)
    if not z_curve:
        return np.full(f_hz.shape, z_nominal_ohm, dtype=np.float64)
    log_f = np.log([p[0] for p in z_curve])
    z_ohm: FloatArray = np.interp(np.log(f_hz), log_f, [p[1] for p in z_curve])
    return z_ohm


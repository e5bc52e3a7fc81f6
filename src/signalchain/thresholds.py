"""Documented thresholds behind warnings, each with its reason and source."""

import math

REFERENCE_DBFS = -18.0
"""Program reference level: a 1 kHz sine at -18 dBFS RMS (EBU R68 alignment, electrical.md §3;
the seed article's 'aim for -18 dBFS as your average')."""

DEFAULT_TARGET_SPL_DB = 80.0
"""Default listening level for the reference program (DESIGN.md; the WHO/ITU-T H.870 weekly
allowance is 80 dBA for 40 h, electrical.md §6)."""

HISS_AUDIBLE_DBA = 10.0
"""Hiss at the ear above this (dBA) is called audible. Broadband hearing threshold is near 0 dBA
(ISO 226 minimum audible field ≈ 0 dB SPL at 1–4 kHz); about 10 dB is added for the masking of a
quiet room's residual noise leaking through headphones. An assumption, stated as such."""

HUM_AUDIBLE_DBA = 5.0
"""Hum at the ear above this (dBA) is called audible. ISO 226 thresholds at 60–180 Hz are about
30–15 dB SPL, i.e. roughly 0–5 dBA after A-weighting; tonal hum is noticed nearer threshold than
broadband hiss."""

TOO_QUIET_SPL_DB = 75.0
"""If the reference program cannot reach this SPL with every knob fully up, warn 'too-quiet'."""

HEARING_RISK_DBA = 85.0
"""NIOSH REL: 85 dBA for 8 h with a 3 dB exchange rate (electrical.md §6 [66])."""

OUTPUT_IMPEDANCE_RATIO = 8.0
"""The '1/8 rule': source impedance at most 1/8 of the headphone's (electrical.md §4 [48])."""

SHORTED_LOAD_OHM = 1.0
"""A driver whose load is below this is treated as shorted."""

CHANNEL_FLOOR_DB = 60.0
"""A program entry more than this below the listener's loudest program entry at either ear is
left out (DESIGN.md)."""

CROSSTALK_DB = 40.0
"""A program entry more than this below the listener's loudest program entry at either ear is
crosstalk (e.g. through the shared ground return of a headphone cord), not program: simulate
lists it with ``"crosstalk": true`` and the ``one-ear``, ``missing-channel`` and ``antiphase``
warnings do not count it as program (DESIGN.md)."""

ON_PATH_DB = -80.0
"""A stage whose transfer to a listener's ear is above this (dB) is on that listener's path."""

PROGRAM_CREST_DB = 12.0
"""Crest factor assumed for music at -18 dBFS RMS when judging clipping of the program itself
(peaks near -6 dBFS). An assumption."""


def niosh_allowed_hours(level_dba: float) -> float:
    """Allowed daily exposure (hours): ``8 h / 2**((L - 85)/3)`` (NIOSH, electrical.md §6)."""
    return 8.0 / math.pow(2.0, (level_dba - HEARING_RISK_DBA) / 3.0)


def niosh_allowed_text(level_dba: float) -> str:
    """The NIOSH daily allowance in words, e.g. ``2.0 h``, ``14 min``, ``28 s``.

    Hours (one decimal) from an hour, whole minutes from a minute, whole seconds below it
    (``under 1 s`` below half a second).
    """
    seconds = niosh_allowed_hours(level_dba) * 3600.0
    if seconds >= 3600.0 - 30.0:
        return f"{seconds / 3600.0:.1f} h"
    if seconds >= 60.0 - 0.5:
        return f"{seconds / 60.0:.0f} min"
    if seconds >= 0.5:
        return f"{seconds:.0f} s"
    return "under 1 s"

DEFAULT_HEADROOM_DB = 3.0
"""Headroom ``tune`` and ``advise`` keep by default: no stage may clip below −3 dBFS (room for
inter-sample peaks and a louder-than-expected passage above the music's −6 dBFS peaks)."""

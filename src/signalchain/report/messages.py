"""English for findings, stage limits and assumptions (made from their data, nothing else)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from signalchain import thresholds as th
from signalchain.errors import Diagnostic
from signalchain.findings import Finding
from signalchain.results import Assumption, StageLimit
from signalchain.schema.rig import MOUTH_REFERENCE_M

Data = Mapping[str, Any]
ASSUMPTION_REASON_CHARS = 110
"""Longer assumption reasons are cut at a word boundary (the catalog has the full text)."""


def limit_text(limit: StageLimit) -> str:
    """What limits a stage, e.g. ``0.50 V output swing`` or ``30 mW rated power``."""
    v = limit.value
    return {
        "common-mode-swing": f"{2 * v:.2f} V single-ended swing: a grounded leg puts half the "
                             "live leg's voltage on the common mode",
        "differential-swing": f"{v:.2f} V differential output swing",
        "swing": f"{v:.2f} V output swing",
        "current": f"{v * 1e3:.0f} mA output current",
        "input": f"{v:.2f} V input level",
        "rated-power": f"{v:g} mW rated power",
    }[limit.kind]


def assumption_text(a: Assumption) -> str:
    """An assumption as simulate lists it: ``mackie/hm-4: ports.out1.noise_dbu assumed (…)``."""
    if a.subject == "environment" and a.path == "ground_offset_v":
        return f"environment: ground-potential difference between outlets assumed {a.reason}"
    if a.subject == "environment":
        return f"environment: mains-harmonic content of ground voltages assumed ({a.reason})"
    reason = a.reason
    if len(reason) > ASSUMPTION_REASON_CHARS:
        reason = reason[:ASSUMPTION_REASON_CHARS - 3].rsplit(" ", 1)[0] + " …"
    return f"{a.subject}: {a.path} assumed ({reason})"


def _leaks(leaks: Any) -> str:
    return ", ".join(f"{c['channel']} {c['spl_db']:.1f} dB SPL, {c['down_db']:.0f} dB down"
                     for c in leaks)


def _missing(d: Data) -> str:
    where = "; ".join(f"{c['side']} ear {_leaks([c])}" for c in d["crosstalk"])
    return f"the {d['channel']} channel reaches neither ear" + (
        f" (only as crosstalk: {where})" if where else "")


def _one_ear(d: Data) -> str:
    gets = f"only crosstalk ({_leaks(d['crosstalk'])}) and hiss" if d["crosstalk"] \
        else "only hiss"
    return (f"{d['channel']} reaches only the {d['side']} ear ({d['spl_db']:.1f} dB SPL); the "
            f"{d['other']} ear gets no program, {gets} ({d['other_noise_spl_dba']:.1f} dBA)")


def _clipping(d: Data) -> str:
    what = limit_text(StageLimit(d["limit_kind"], d["limit_value"]))
    extra = (f" — music at the reference level ({th.REFERENCE_DBFS:g} dBFS RMS, peaks near "
             f"{d['music_peaks_dbfs']:g} dBFS) already clips" if d["music_clips"] else "")
    return f"{d['stage']} clips at {d['clips_at_dbfs']:.1f} dBFS (its {what}){extra}"


def _impedance(d: Data) -> str:
    msg = (f"{d['feed']} has {d['z_out_ohm']:g} Ω output impedance, above 1/8 of the "
           f"headphones' {d['z_headphones_ohm']:g} Ω (damping factor "
           f"{d['damping_factor']:.1f})")
    if not d["has_curve"]:
        return msg + "; no impedance curve is known, so the tonal change cannot be computed"
    if d["response_span_db"] is None:
        return msg
    return msg + (f"; with their impedance curve the response varies by "
                  f"{d['response_span_db']:.1f} dB across 20 Hz–20 kHz")


def _not_enough_gain(d: Data) -> str:
    closer = (f"; at {d['closer_m'] * 100:.1f} cm instead of {d['distance_m'] * 100:g} cm "
              "the voice would make it up" if d["closer_m"] >= MOUTH_REFERENCE_M else
              "; speaking closer cannot make that up")
    return (f"{d['talker']} reaches only {d['best_dbfs']:.1f} dBFS at full gain: "
            f"{d['target_dbfs']:g} dBFS needs {d['needed_db']:.1f} dB of gain, "
            f"{d['missing_db']:.1f} dB more than the preamp's {d['range_db']:g} dB" + closer)


_LEGS = {"right": "right channel", "left": "left channel", "cold": "cold leg", "hot": "hot leg"}

_TEXT: dict[str, Callable[[Data], str]] = {
    "missing-channel": _missing,
    "one-ear": _one_ear,
    "antiphase": lambda d: (
        f"{d['channel']} reaches both ears in opposite polarity (left {d['left_spl_db']:.1f} "
        f"dB SPL, right {d['right_spl_db']:.1f} dB SPL): it sounds 'inside out' and cancels "
        "if summed to mono"),
    "hiss-audible": lambda d: (
        f"hiss at the ear is {d['noise_spl_dba']:.1f} dBA (audible above "
        f"{d['threshold_dba']:g} dBA in a quiet room)"),
    "hum-audible": lambda d: (
        f"mains hum at the ear is {d['hum_spl_dba']:.1f} dBA (audible above "
        f"{d['threshold_dba']:g} dBA)"),
    "clipping": _clipping,
    "too-quiet": lambda d: (
        f"even with every knob fully up the reference program reaches only "
        f"{d['loudest_spl_db']:.1f} dB SPL (normal listening ≈ {th.DEFAULT_TARGET_SPL_DB:g} dB)"),
    "hearing-risk": lambda d: (
        f"{d['spl_db']:.1f} dB SPL exceeds {d['threshold_dba']:g} dBA: NIOSH allows "
        f"{th.niosh_allowed_text(d['spl_db'])} a day"),
    "output-impedance": _impedance,
    "shorted-output": lambda d: (
        f"{d['stage']}'s {_LEGS.get(d['role'], d['role'])} drives a short "
        f"({d['load_ohm']:.2f} Ω load): that signal is lost and the driver works into its "
        "current limit"),
    "no-physical-volume": lambda d: (
        "no knob on this listener's path: the level can only be changed in software"),
    "not-enough-gain": _not_enough_gain,
    "recording-clips": lambda d: (
        f"{d['talker']}'s speech peaks reach {d['peak_dbfs']:+.1f} dBFS: the recording clips "
        f"(peaks are taken as 12 dB above the average)"),
    "phantom-missing": lambda d: (
        f"{d['device']} needs +48 V phantom power, which is off on {d['input']}: it "
        "records nothing"),
    "monitor-latency": lambda d: (
        f"monitoring through the computer delays the voices by {d['latency_ms']:.1f} ms "
        f"(round trip at {d['buffer_frames']} frames); above about {d['threshold_ms']:g} ms "
        "talkers find their own voice disturbing"),
}


def finding_text(f: Finding) -> str:
    """The finding as one English sentence (check findings keep the wiring's own sentence)."""
    if "text" in f.data:
        return str(f.data["text"])
    return _TEXT[f.code](f.data)


_HINTS: dict[str, str] = {
    "shorted-output": "use a TRS plug (or a cable with one on each end), or leave that "
                      "contact open",
    "not-enough-gain": "speak closer to the mic, or put an inline booster (+25 dB, "
                       "generic/inline-mic-booster) between mic and input",
    "recording-clips": "turn the input's gain down (signalchain tune sets it for -18 dBFS)",
    "phantom-missing": "switch +48 V on for that input: list it under the interface's "
                       "'settings: {phantom: [...]}'",
    "monitor-latency": "use the interface's direct monitoring, or a smaller buffer",
}


def finding_diagnostic(f: Finding) -> Diagnostic:
    """A finding as a diagnostic, printed like a wiring error (``file:line:col: ...``)."""
    severity = "error" if f.severity == "error" else "warning"
    return Diagnostic(severity, finding_text(f), f.location, hint=f.hint or _HINTS.get(f.code, ""),
                      code=f.code)


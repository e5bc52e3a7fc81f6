"""The rules that turn simulated figures into findings (codes, severities and numbers).

Severities:

- ``error`` -- the listener does not get the program as intended: a channel missing
  (``missing-channel``), a channel in one ear only (``one-ear``), a channel in opposite
  polarity in the two ears (``antiphase``), an output driving a short (``shorted-output``),
  or ``clipping`` already at the reference program's music peaks.
- ``warning`` -- it works, badly: audible hiss or hum, ``too-quiet``, ``hearing-risk``,
  ``output-impedance`` above the 1/8 rule, ``clipping`` only above the music's peaks.
- ``info`` -- worth knowing: ``no-physical-volume`` (a software-only level).

Every threshold is in :mod:`signalchain.thresholds`; no sentence is made here (see
:mod:`signalchain.report.messages`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np

from signalchain import thresholds as th
from signalchain.findings import Finding, Severity, Step
from signalchain.results import ChannelAtEar, ListenerFigures, StageLimit

ANTIPHASE_WINDOW_DB = 20.0
"""A channel in opposite polarity at the two ears is ``antiphase`` only if the two levels are
within this of each other (a much quieter copy is leakage, not an inside-out image)."""


def _finding(code: str, severity: Severity, subject: str, step: Step = "simulate",
             **data: Any) -> Finding:
    return Finding(code, severity, step, subject, MappingProxyType(data))


def _leak(c: ChannelAtEar, top: float) -> dict[str, Any]:
    return {"channel": c.channel, "spl_db": c.spl_db, "down_db": top - c.spl_db}


_Heard = dict[str, dict[str, ChannelAtEar]]
"""Ear side → program channel → what of it that ear hears."""


def _missing(lf: ListenerFigures, ch: str, top: float) -> Finding:
    leaks = [{"side": s, **_leak(c, top)} for s in lf.ears for c in lf.crosstalk_at(s)
             if c.channel == ch]
    return _finding("missing-channel", "error", lf.id, channel=ch, crosstalk=tuple(leaks))


def _one_ear(lf: ListenerFigures, at: _Heard, ch: str, side: str, top: float
             ) -> Finding | None:
    other = "right" if side == "left" else "left"
    if other not in at or at[other]:
        return None  # the other ear hears another channel: not one-ear listening
    return _finding("one-ear", "error", lf.id, channel=ch, side=side, other=other,
                    spl_db=at[side][ch].spl_db,
                    crosstalk=tuple(_leak(c, top) for c in lf.crosstalk_at(other)),
                    other_noise_spl_dba=lf.ears[other].noise_spl_dba)


def _antiphase(lf: ListenerFigures, at: _Heard, ch: str) -> Finding | None:
    left, right = at["left"][ch], at["right"][ch]
    if left.polarity == right.polarity or abs(left.spl_db - right.spl_db) >= ANTIPHASE_WINDOW_DB:
        return None
    return _finding("antiphase", "error", lf.id, channel=ch, left_spl_db=left.spl_db,
                    right_spl_db=right.spl_db)


def channel_findings(lf: ListenerFigures, sources: Sequence[str]) -> list[Finding]:
    """``missing-channel``, ``one-ear`` and ``antiphase`` for one listener."""
    out: list[Finding | None] = []
    at: _Heard = {side: {c.channel: c for c in lf.program_at(side)} for side in lf.ears}
    top = lf.program_spl_db
    for ch in sources:
        sides = [s for s in at if ch in at[s]]
        if not sides:
            out.append(_missing(lf, ch, top))
        elif len(sides) == 1:
            out.append(_one_ear(lf, at, ch, sides[0], top))
        else:
            out.append(_antiphase(lf, at, ch))
    return [f for f in out if f is not None]


def level_findings(lf: ListenerFigures, loudest_spl_db: float,
                   limit: StageLimit | None) -> list[Finding]:
    """Hiss, hum, clipping, too quiet and hearing risk for one listener.

    ``loudest_spl_db`` is the listener's program level with every knob on their path fully
    up; ``limit`` what limits the stage that clips first (:attr:`ListenerFigures.clip_stage`).
    """
    out: list[Finding] = []
    if "left" in lf.ears and "right" in lf.ears and lf.noise_spl_dba >= th.HISS_AUDIBLE_DBA:
        out.append(_finding("hiss-audible", "warning", lf.id, noise_spl_dba=lf.noise_spl_dba,
                            threshold_dba=th.HISS_AUDIBLE_DBA))
    if lf.hum_spl_dba >= th.HUM_AUDIBLE_DBA:
        out.append(_finding("hum-audible", "warning", lf.id, hum_spl_dba=lf.hum_spl_dba,
                            threshold_dba=th.HUM_AUDIBLE_DBA))
    if lf.clips_at_dbfs is not None and lf.clip_stage is not None and limit is not None:
        peaks_dbfs = th.REFERENCE_DBFS + th.PROGRAM_CREST_DB
        music_clips = lf.clips_at_dbfs < peaks_dbfs
        out.append(_finding("clipping", "error" if music_clips else "warning", lf.id,
                            stage=lf.clip_stage, clips_at_dbfs=lf.clips_at_dbfs,
                            limit_kind=limit.kind, limit_value=limit.value,
                            music_clips=music_clips, music_peaks_dbfs=peaks_dbfs))
    spl = lf.program_spl_db
    if math.isfinite(spl):
        if loudest_spl_db < th.TOO_QUIET_SPL_DB:
            out.append(_finding("too-quiet", "warning", lf.id, loudest_spl_db=loudest_spl_db,
                                threshold_spl_db=th.TOO_QUIET_SPL_DB))
        if spl > th.HEARING_RISK_DBA:
            out.append(_finding("hearing-risk", "warning", lf.id, spl_db=spl,
                                threshold_dba=th.HEARING_RISK_DBA,
                                allowed_hours=th.niosh_allowed_hours(spl)))
    return out


def impedance_finding(lf: ListenerFigures, z_source_ohm: float, z_headphones_ohm: float,
                      has_curve: bool) -> list[Finding]:
    """``output-impedance``: the source above 1/8 of the headphones' impedance."""
    if lf.feed is None or z_source_ohm <= z_headphones_ohm / th.OUTPUT_IMPEDANCE_RATIO:
        return []
    span: float | None = None
    if has_curve:
        # fmax/fmin skip NaN (a silent frequency) as nanmax/nanmin do, at a fifth the cost
        spans = [float(np.fmax.reduce(e.response_db) - np.fmin.reduce(e.response_db))
                 for side, e in lf.ears.items() if lf.program_at(side)]
        span = max(spans) if spans else None
    return [_finding("output-impedance", "warning", lf.id, feed=lf.feed,
                     z_out_ohm=z_source_ohm, z_headphones_ohm=z_headphones_ohm,
                     damping_factor=z_headphones_ohm / z_source_ohm, has_curve=has_curve,
                     response_span_db=span)]


def shorted_output(stage: str, role: str, load_ohm: float) -> Finding | None:
    """``shorted-output`` for an output leg whose load is below the shorted-load threshold.

    A ``check`` finding: the load does not depend on the knobs.
    """
    if load_ohm >= th.SHORTED_LOAD_OHM:
        return None
    return _finding("shorted-output", "error", stage, "check", stage=stage, role=role,
                    load_ohm=load_ohm)


def volume_finding(lf: ListenerFigures) -> list[Finding]:
    """``no-physical-volume``: no knob on the listener's path."""
    if any(c.physical for c in lf.volume_controls):
        return []
    return [_finding("no-physical-volume", "info", lf.id)]


def listener_findings(lf: ListenerFigures, sources: Sequence[str], loudest_spl_db: float,
                      limits: Mapping[str, StageLimit], shorted: Sequence[Finding],
                      impedance: list[Finding]) -> tuple[Finding, ...]:
    """Every finding about one listener, in a fixed order (channels first)."""
    limit = limits.get(lf.clip_stage) if lf.clip_stage else None
    mine = [f for f in shorted if f.subject in lf.stages_on_path]
    return (*channel_findings(lf, sources), *level_findings(lf, loudest_spl_db, limit),
            *impedance, *mine, *volume_finding(lf))

"""Findings: what signalchain has to say about a rig, as data with a stable code and severity.

A :class:`Finding` is a fact ("L reaches only the left ear, at 82.1 dB SPL"), not a
sentence: its ``data`` holds the numbers and names, and the English is made from them in
:mod:`signalchain.report.messages` (``finding.message`` calls it). The codes and severities
are a public contract: front ends filter on them (``check --fail-on``), never on text.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, get_args

from signalchain.errors import Diagnostic, Location

Severity = Literal["error", "warning", "info"]
"""``error``: the rig cannot work as wired; ``warning``: it works, badly; ``info``: worth
knowing."""
SEVERITIES: tuple[Severity, ...] = get_args(Severity)

Step = Literal["check", "simulate"]
"""The pipeline step that produced a finding: ``check`` (wiring, no solve) or ``simulate``."""

FindingCode = Literal[
    # simulate: per listener
    "missing-channel", "one-ear", "antiphase", "hiss-audible", "hum-audible", "clipping",
    "too-quiet", "hearing-risk", "output-impedance", "shorted-output", "no-physical-volume",
    "loose-end", "passive-split",
    # simulate: the recording
    "not-enough-gain", "recording-clips", "phantom-missing", "monitor-latency",
]
"""Every code a finding can have."""
FINDING_CODES: tuple[str, ...] = get_args(FindingCode)

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class Finding:
    """One fact about a rig that a user should hear about.

    Attributes
    ----------
    code : str
        Stable identifier (:data:`FindingCode`), e.g. ``one-ear``.
    severity : {'error', 'warning', 'info'}
        How much it matters.
    stage : {'check', 'simulate'}
        The pipeline step that found it.
    subject : str
        What it is about: a listener id, a stage id (``hm4.out1``) or ``''`` for the rig.
    data : Mapping
        The numbers and names behind it (JSON-ready values).
    location : Location or None
        Where in the rig file, when it comes from one place in it.
    hint : str
        The likely fix, when one can be suggested (check findings).
    """

    code: str
    severity: Severity
    stage: Step
    subject: str = ""
    data: Mapping[str, Any] = field(default_factory=lambda: _EMPTY, compare=False)
    location: Location | None = field(default=None, compare=False)
    hint: str = field(default="", compare=False)

    @property
    def message(self) -> str:
        """The finding in English (made by :func:`signalchain.report.messages.finding_text`)."""
        from signalchain.report.messages import finding_text

        return finding_text(self)

    @classmethod
    def from_diagnostic(cls, diag: Diagnostic, stage: Step = "check") -> Finding:
        """A wiring warning (a :class:`~signalchain.errors.Diagnostic`) as a finding.

        Its sentence was made where the wiring is understood; it is kept as ``data['text']``.
        """
        severity: Severity = "error" if diag.severity == "error" else "warning"
        return cls(diag.code or "check", severity, stage, diag.path,
                   MappingProxyType({"text": diag.message}), diag.location, diag.hint)


def matches(finding: Finding, selectors: frozenset[str]) -> bool:
    """Whether ``--fail-on`` selectors (severities and/or codes) select this finding.

    ``warning`` selects warnings and errors, ``info`` everything, ``error`` only errors; any
    other selector is a code.
    """
    rank = {"error": 0, "warning": 1, "info": 2}
    for sel in selectors:
        if sel in rank and rank[finding.severity] <= rank[sel]:
            return True
        if sel == finding.code:
            return True
    return False

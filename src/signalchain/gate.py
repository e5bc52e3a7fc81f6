"""Rig-as-code in CI: which findings fail a run (``--fail-on``) and the JUnit XML report.

``--fail-on`` takes severities (``error``, ``warning``, ``info`` -- each selects itself and
everything more severe) and finding codes, comma-separated or repeated. The JUnit report has
one test case for the wiring and one per listener; a case fails when one of its findings is
selected. An invalid rig is one failing case carrying the diagnostics.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from signalchain.errors import Diagnostic, UsageError
from signalchain.findings import FINDING_CODES, SEVERITIES, Finding, matches
from signalchain.io import write_bytes_atomic
from signalchain.results import Evaluation

if TYPE_CHECKING:
    import xml.etree.ElementTree as ET

CHECK_CODES = ("loose-end", "passive-split", "shorted-output")
"""Codes the wiring check itself can report (without simulating)."""


def parse_fail_on(items: Iterable[str]) -> frozenset[str]:
    """``--fail-on`` values as a set of selectors.

    Raises
    ------
    UsageError
        For a value that is neither a severity nor a known finding code.
    """
    valid = set(SEVERITIES) | set(FINDING_CODES) | set(CHECK_CODES)
    selectors = {part.strip() for item in items for part in item.split(",") if part.strip()}
    bad = sorted(selectors - valid)
    if bad:
        raise UsageError([Diagnostic(
            "error", f"--fail-on {', '.join(bad)}: not a severity or finding code; valid: "
            f"{', '.join(SEVERITIES)}, or a code: {', '.join(sorted(set(FINDING_CODES)))}",
            code="bad-option")])
    return frozenset(selectors)


def needs_simulation(selectors: frozenset[str]) -> bool:
    """Whether the selectors can match a finding only ``simulate`` produces."""
    return bool(selectors - set(CHECK_CODES))


def grouped(check_findings: Sequence[Finding], ev: Evaluation
            ) -> tuple[tuple[Finding, ...], dict[str, tuple[Finding, ...]]]:
    """The findings of a checked and simulated rig: the rig's own, and each listener's.

    A listener's findings already include rig findings about stages on their path
    (``shorted-output``, which ``check`` also finds); a rig finding on nobody's path stays
    with the rig's, once.
    """
    on_listeners = [f for lf in ev.listeners for f in lf.warnings]
    rig: list[Finding] = []
    for f in (*check_findings, *ev.rig_findings):
        if f not in rig and f not in on_listeners:
            rig.append(f)
    return tuple(rig), {lf.id: lf.warnings for lf in ev.listeners}


def failing(findings: Iterable[Finding], selectors: frozenset[str]) -> list[Finding]:
    """The findings the selectors select (none when there are no selectors)."""
    return [f for f in findings if selectors and matches(f, selectors)]


def _case(suite: ET.Element, name: str, findings: Sequence[Finding], selectors: frozenset[str],
          classname: str) -> bool:
    import xml.etree.ElementTree as ET

    case = ET.SubElement(suite, "testcase", classname=classname, name=name)
    bad = failing(findings, selectors or frozenset({"error"}))
    for f in bad:
        failure = ET.SubElement(case, "failure", type=f.code,
                                message=f"{f.severity}: {f.code}")
        failure.text = f.message
    rest = [f for f in findings if f not in bad]
    if rest:
        ET.SubElement(case, "system-out").text = "\n".join(
            f"{f.severity}: {f.code}: {f.message}" for f in rest)
    return len(bad) > 0


def junit_xml(rig_name: str, check: Sequence[Finding],
              listeners: Mapping[str, Sequence[Finding]],
              selectors: frozenset[str]) -> bytes:
    """A JUnit XML report: one case for the wiring, one per listener (no selectors: errors)."""
    import xml.etree.ElementTree as ET  # only for --junit

    suites = ET.Element("testsuites")
    suite = ET.SubElement(suites, "testsuite", name=f"signalchain: {rig_name}")
    cases = [("wiring", check)] + [(f"listener {who}", fs) for who, fs in listeners.items()]
    failures = sum(_case(suite, name, fs, selectors, rig_name) for name, fs in cases)
    suite.set("tests", str(len(cases)))
    suite.set("failures", str(failures))
    return _bytes(suites)


def junit_invalid(rig_name: str, diagnostics: Sequence[Diagnostic]) -> bytes:
    """A JUnit XML report for a rig that does not load or plug together: one failing case."""
    import xml.etree.ElementTree as ET  # only for --junit

    suites = ET.Element("testsuites")
    suite = ET.SubElement(suites, "testsuite", name=f"signalchain: {rig_name}", tests="1",
                          failures="1")
    case = ET.SubElement(suite, "testcase", classname=rig_name, name="valid rig")
    failure = ET.SubElement(case, "failure", type="invalid", message="the rig is invalid")
    failure.text = "\n".join(d.format() for d in diagnostics)
    return _bytes(suites)


def _bytes(root: ET.Element) -> bytes:
    import xml.etree.ElementTree as ET

    data: bytes = ET.tostring(root, encoding="utf-8", xml_declaration=True)
    return data + b"\n"


def write_junit(path: Path, data: bytes) -> None:
    """Write a JUnit report (a CI artefact: an existing regular file is replaced)."""
    write_bytes_atomic(path, data, force=True)


def diagnostics_json(diagnostics: Sequence[Diagnostic]) -> dict[str, object]:
    """An invalid rig's diagnostics as the JSON ``--json`` prints (``valid: false``)."""
    return {"signalchain": 1, "valid": False, "diagnostics": [
        {"severity": d.severity, "code": d.code, "message": d.message,
         "file": d.location.file if d.location else None,
         "line": d.location.line if d.location else None,
         "column": d.location.column if d.location else None,
         "path": d.path, "hint": d.hint} for d in diagnostics]}

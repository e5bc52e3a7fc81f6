"""The one-file HTML report: everything signalchain knows about a rig, for a person to read.

:func:`build_report` gathers the results (check, simulate, and on request tune and advise),
the pictures (:mod:`signalchain.draw`), the cable schedule and the listening clips, and
renders them into one self-contained page: CSS inline, SVG inline, audio as ``data:`` URIs,
no script and no external request, so it opens offline and can be mailed to a client. The
same rig gives the same bytes (no time stamp unless one is asked for).

Needs the ``report`` extra (jinja2, graphviz) and Graphviz's ``dot``.
"""

from __future__ import annotations

from signalchain.report.html.page import ReportOptions, build_report

__all__ = ["ReportOptions", "build_report"]

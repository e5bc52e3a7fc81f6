"""Assemble the HTML report: results and pictures into the template's sections."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

from signalchain import __version__
from signalchain import thresholds as th
from signalchain.extras import require
from signalchain.findings import Finding
from signalchain.gate import grouped
from signalchain.report.common import level_text, named
from signalchain.report.messages import assumption_text, finding_text, limit_text
from signalchain.results import Evaluation, ListenerFigures

if TYPE_CHECKING:
    from signalchain.advise import Advice
    from signalchain.rig import Rig
    from signalchain.tune import TuneResult

SEVERITY_ORDER = ("error", "warning", "info")
DEFAULT_CLIP_SECONDS = 10.0
DEFAULT_PROGRAM = "builtin:music"


@dataclass(frozen=True)
class ReportOptions:
    """What the report contains besides the rig as written.

    Attributes
    ----------
    tune : bool
        Also run ``tune`` and show its knob settings as dials beside the rig's.
    advise : bool
        Also run ``advise`` and show the ranked methods as cards, each with a small diagram.
    listen : bool
        Embed a clip per listener and a noise-floor clip (the largest part of the file).
    program : str
        What the clips play (``builtin:NAME`` or an audio file).
    seconds : float
        Length of each clip.
    target_spl_db : float
        The listening level ``tune`` and ``advise`` aim for.
    stamp : str or None
        A time stamp (or any text) printed in the header; none by default, so the same rig
        gives a byte-identical report.
    deadline : float or None
        A :func:`time.monotonic` time past which the clips stop rendering (a server's time
        limit: :class:`~signalchain.render.clips.RenderTimeLimit`); none by default.
    """

    tune: bool = False
    advise: bool = False
    listen: bool = True
    program: str = DEFAULT_PROGRAM
    seconds: float = DEFAULT_CLIP_SECONDS
    target_spl_db: float = th.DEFAULT_TARGET_SPL_DB
    stamp: str | None = None
    deadline: float | None = None


def _markup(svg: str | None) -> Any:
    """SVG made by signalchain (its text already escaped) as template-safe markup."""
    if svg is None:
        return None
    markupsafe = require("markupsafe")
    return markupsafe.Markup(svg)


def _findings(findings: tuple[Finding, ...]) -> list[dict[str, str]]:
    order = {s: i for i, s in enumerate(SEVERITY_ORDER)}
    return [{"severity": f.severity, "code": f.code, "text": finding_text(f)}
            for f in sorted(findings, key=lambda f: order[f.severity])]


def _figures(lf: ListenerFigures) -> list[tuple[str, str]]:
    clip = ("does not clip" if lf.clips_at_dbfs is None else
            f"{lf.clips_at_dbfs:.1f} dBFS ({lf.clip_stage})")
    heard = math.isfinite(lf.program_spl_db)
    return [
        ("headphones", named(lf.device, lf.name)),
        ("fed by", lf.feed or "nothing"),
        ("program level", f"{lf.program_spl_db:.1f} dB SPL (1 kHz at "
                          f"{th.REFERENCE_DBFS:g} dBFS)" if heard else "no program reaches them"),
        ("peaks", f"{lf.peak_spl_db:.1f} dB SPL" if heard else "—"),
        ("hiss", level_text(lf.noise_spl_dba, th.HISS_AUDIBLE_DBA, "dBA")),
        ("hum", level_text(lf.hum_spl_dba, th.HUM_AUDIBLE_DBA, "dBA")),
        ("clips at", clip),
        *_recording_figures(lf),
    ]


def _recording_figures(lf: ListenerFigures) -> list[tuple[str, str]]:
    """The voices a listener hears, and their hiss next to the recording's floor."""
    from signalchain.report.simulate import recording_floor_text, voices_text

    rows = (("voices", voices_text(lf)), ("hiss and the recording", recording_floor_text(lf)))
    return [(k, v) for k, v in rows if v is not None]


def listener_context(rig: Rig, ev: Evaluation, lf: ListenerFigures, index: int,
                     levels: bool = True) -> dict[str, Any]:
    """One listener's section: the ears picture, figures, knobs, findings, level diagram.

    ``levels`` False leaves the level diagram out (the page's knob updates).
    """
    from signalchain.draw.ears import ears_svg
    from signalchain.draw.levels import level_diagram_svg

    controls = [{"knob": str(c.knob), "physical": c.physical,
                 "position": f"{ev.knobs[str(c.knob)]:.0%}" if str(c.knob) in ev.knobs else ""}
                for c in lf.volume_controls]
    return {
        "id": lf.id, "anchor": f"listener-{index}", "title": named(lf.id, lf.name),
        "ears": _markup(ears_svg(lf)), "figures": _figures(lf), "controls": controls,
        "findings": _findings(lf.warnings),
        "assumptions": [assumption_text(a) for a in lf.assumptions],
        "levels": _markup(level_diagram_svg(rig, ev, lf.id, id_prefix=f"lv{index}"))
        if levels else None,
    }


def _hiss_plot(rig: Rig, ev: Evaluation) -> dict[str, Any] | None:
    """Hiss vs the interface knob for the listener with the most hiss who has two knobs."""
    from signalchain.draw.plots import hiss_vs_knob_svg

    for lf in sorted(ev.listeners, key=lambda x: (-x.noise_spl_dba, x.id)):
        svg = hiss_vs_knob_svg(rig, ev, lf.id)
        if svg is not None:
            return {"listener": lf.id, "svg": _markup(svg)}
    return None


def _knobs(ev: Evaluation, tuned: TuneResult | None) -> list[dict[str, Any]]:
    from signalchain.draw.dials import dial_svg

    rows = []
    for i, (ref, position) in enumerate(sorted(ev.knobs.items())):
        row: dict[str, Any] = {"knob": ref, "tuned": None,
                               "dial": _markup(dial_svg(position, ref, id_prefix=f"k{i}"))}
        if tuned is not None and ref in tuned.knobs:
            row["tuned"] = _markup(dial_svg(tuned.knobs[ref], ref, id_prefix=f"t{i}"))
        rows.append(row)
    return rows


def _tune(tuned: TuneResult | None) -> dict[str, Any] | None:
    if tuned is None:
        return None
    from signalchain.report.tune import explanation_lines

    return {"feasible": tuned.feasible, "lines": explanation_lines(tuned),
            "targets": {k: f"{v:.0f} dB SPL" for k, v in tuned.targets.items()}}


def _advice(advice: Advice | None) -> list[dict[str, Any]]:
    if advice is None:
        return []
    from signalchain.draw.diagram import diagram_svg
    from signalchain.report.advice import point_text

    cards = []
    for i, m in enumerate(advice):
        f = m.facts
        cards.append({
            "rank": i + 1, "name": m.name, "verdict": m.verdict,
            "reason": point_text(m.reason), "stereo": f.stereo,
            "hiss": level_text(f.noise_spl_dba, th.HISS_AUDIBLE_DBA, "dBA"),
            "buy": [f"{b.to_buy} × {b.name or b.item}" for b in m.bom if b.to_buy],
            "pros": [point_text(p) for p in m.pros], "cons": [point_text(c) for c in m.cons],
            "diagram": _markup(diagram_svg(advice.rig_for(m), id_prefix=f"m{i}",
                                           legend=False)),
        })
    return cards


def _bom(rig: Rig) -> dict[str, Any]:
    from signalchain.bom import cable_schedule
    from signalchain.report.bom import BOM_HEADER, SCHEDULE_HEADER, bom_rows, schedule_rows

    schedule = cable_schedule(rig)
    return {"header": SCHEDULE_HEADER, "rows": schedule_rows(schedule),
            "bom_header": BOM_HEADER, "bom_rows": bom_rows(schedule.bom)}


def _listen(rig: Rig, options: ReportOptions, knobs: Mapping[str, float]
            ) -> dict[str, Any] | None:
    if not options.listen or not rig.listeners:
        return None
    from signalchain.render.clips import data_uri, listener_clips

    clips = listener_clips(rig, program=options.program, seconds=options.seconds, knobs=knobs,
                           deadline=options.deadline)
    return {"program": options.program, "seconds": f"{options.seconds:g}",
            "playback_gain_db": f"{clips.playback_gain_db:+.1f}",
            "noise_gain_db": f"{clips.noise_gain_db:+.1f}",
            "clips": [{"id": who, "program": data_uri(c.program), "noise": data_uri(c.noise)}
                      for who, c in clips.listeners.items()]}


def _inputs(rig: Rig, ev: Evaluation) -> list[dict[str, Any]]:
    """Each recording input: its figures and its level diagram, microphone to converter."""
    from signalchain.draw.levels import recording_diagram_svg

    out = []
    for i, f in enumerate(ev.inputs):
        figures = [("gain", f"{f.gain_db:.1f} dB ({f.position:.0%} of {f.gain_range_db:g} dB)"),
                   ("noise floor", f"{f.noise_dbfs_a:.1f} dBFS(A)"),
                   ("phantom power", "on" if f.phantom_on else "off")]
        figures += [(f"{v.talker}", f"{v.average_dbfs:.1f} dBFS average, {v.peak_dbfs:.1f} "
                     f"peak, {v.average_dbfs - f.noise_dbfs_a:.1f} dB over the floor")
                    for v in f.voices]
        if f.target_gain_db is not None:
            figures.append((f"gain for {f.target_dbfs:g} dBFS",
                            f"{f.target_gain_db:.1f} dB"
                            + (f" — {f.missing_gain_db:.1f} dB more than the preamp has"
                               if f.missing_gain_db > 0 else
                               f" (knob at {f.target_position:.0%})")))
        out.append({"id": f.id, "anchor": f"input-{i + 1}", "channel": f.channel,
                    "figures": figures,
                    "levels": _markup(recording_diagram_svg(rig, ev, f.id,
                                                            id_prefix=f"rv{i}"))
                    if f.voices else None})
    return out


def _summary(findings: tuple[Finding, ...]) -> dict[str, int]:
    counts: Counter[str] = Counter(f.severity for f in findings)
    return {s: counts[s] for s in SEVERITY_ORDER}


def report_context(rig: Rig, options: ReportOptions) -> dict[str, Any]:
    """Everything the template shows, as plain data and markup (no I/O)."""
    from signalchain.draw.diagram import diagram_svg
    from signalchain.draw.plots import hum_vs_length_svg, response_svg

    check = rig.check()
    ev = rig.simulate()
    tuned = rig.tune(options.target_spl_db) if options.tune else None
    advice = rig.advise(target_spl_db=options.target_spl_db) if options.advise else None
    rig_findings, per_listener = grouped(check.findings, ev)
    on_listeners = [f for fs in per_listener.values() for f in fs]
    return {
        "version": __version__, "rig": rig.name, "stamp": options.stamp,
        "summary": _summary((*rig_findings, *on_listeners)),
        "rig_findings": _findings(rig_findings),
        "diagram": _markup(diagram_svg(rig, ev, legend=False)),
        "listeners": [listener_context(rig, ev, lf, i) for i, lf in enumerate(ev.listeners)],
        "inputs": _inputs(rig, ev),
        "stages": [{"id": s.id, "headroom": f"{s.headroom_db:.1f} dB",
                    "limit": limit_text(s.limit)} for s in ev.stages],
        "knobs": _knobs(ev, tuned), "tune": _tune(tuned),
        "hum_plot": _markup(hum_vs_length_svg(rig, ev)),
        "hiss_plot": _hiss_plot(rig, ev),
        "response": _markup(response_svg(rig, ev)),
        "bom": _bom(rig), "listen": _listen(rig, options, ev.knobs),
        "advice": _advice(advice),
        "assumptions": [assumption_text(a) for a in ev.assumptions],
        "reference_dbfs": f"{th.REFERENCE_DBFS:g}",
    }


def _template_text(name: str) -> str:
    return (resources.files("signalchain.report.html") / "templates" / name).read_text(
        encoding="utf-8")


def build_report(rig: Rig, options: ReportOptions | None = None) -> str:
    """The report of a rig as one self-contained HTML page.

    Parameters
    ----------
    rig : Rig
        A rig that plugs together (check errors raise :class:`~signalchain.RigError`).
    options : ReportOptions, optional
        What to include besides the rig as written.

    Returns
    -------
    str
        The HTML text; the same rig and options give the same text.
    """
    jinja2 = require("jinja2")
    env = jinja2.Environment(loader=jinja2.FunctionLoader(_template_text),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    context = report_context(rig, options or ReportOptions())
    context["css"] = _markup(_template_text("report.css"))
    html: str = env.get_template("report.html.j2").render(**context)
    return html

"""The page: HTML made by Jinja2 templates (autoescaped), updated in place by htmx.

The page holds the rig as rig-file text (the YAML editor's textarea) and sends it with every
request; the server keeps nothing per user but solved rigs in its cache. Every fragment is
made from the same results as the JSON API (``evaluation_json``, ``advice_json`` ...), so
the page shows what the CLI says. Errors come back as a message fragment with the CLI's
diagnostics (the line of the rig file for an invalid rig), never a stack trace.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import TYPE_CHECKING, Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from signalchain import __version__
from signalchain.errors import Diagnostic, RigError, UsageError
from signalchain.render.programs import BUILTINS
from signalchain.rig import Rig
from signalchain.web.gear import NEW_RIG, CustomHeadphones, GearEdit, edit_gear, gear
from signalchain.web.models import MAX_RIG_CHARS
from signalchain.web.render_route import DEFAULT_RENDER_SECONDS, MAX_RENDER_SECONDS
from signalchain.web.state import ServerState
from signalchain.web.workspace import RigMissing

if TYPE_CHECKING:
    import jinja2

    from signalchain.results import Evaluation, ListenerFigures

MAX_FORM_FIELDS = 300
KNOB_FIELD = "knob:"
GEAR_KINDS = ("interface", "amp", "headphones", "splitter")
"""What the page's gear search finds (the computer comes with every rig)."""


@cache
def templates() -> jinja2.Environment:
    """The page's templates (autoescaped: nothing from a rig or a request is markup)."""
    import jinja2

    env = jinja2.Environment(loader=jinja2.PackageLoader("signalchain.web", "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.filters["pct"] = lambda v: f"{float(v):.0%}"
    env.globals["max_rig_chars"] = MAX_RIG_CHARS
    return env


def static_files() -> StaticFiles:
    """Htmx (vendored), the page's script and style."""
    return StaticFiles(directory=str(resources.files("signalchain.web") / "static"))


def _html(name: str, status: int = 200, headers: dict[str, str] | None = None,
          **context: Any) -> HTMLResponse:
    return HTMLResponse(templates().get_template(name).render(**context), status_code=status,
                        headers=headers)


def error_fragment(diagnostics: list[Diagnostic], rig_text: str | None = None,
                   status: int = 422) -> HTMLResponse:
    """The message panel: the diagnostics, and the rig's lines they point at.

    With the rig's text, the editor's annotated view too: every line numbered, each message
    under its line.
    """
    return _html("_messages.html", status, {"HX-Retarget": "#messages",
                                            "HX-Reswap": "innerHTML"},
                 messages=_marked(diagnostics, rig_text),
                 annotated=_annotated(diagnostics, rig_text))


MAX_ANNOTATED_LINES = 2000


def _annotated(diagnostics: list[Diagnostic], rig_text: str | None
               ) -> list[dict[str, Any]] | None:
    """The rig's lines, numbered, with the diagnostics that point at each."""
    if rig_text is None:
        return None
    at: dict[int, list[Diagnostic]] = {}
    for d in diagnostics:
        if d.location is not None and d.location.line is not None:
            at.setdefault(d.location.line, []).append(d)
    lines = rig_text.splitlines()[:MAX_ANNOTATED_LINES]
    return [{"number": i, "text": line, "messages": at.get(i, [])}
            for i, line in enumerate(lines, 1)]


def _marked(diagnostics: list[Diagnostic], rig_text: str | None) -> list[dict[str, Any]]:
    """Diagnostics with the line of the rig text each points at (for the message panel)."""
    lines = rig_text.splitlines() if rig_text is not None else []
    marked = []
    for d in diagnostics:
        line = d.location.line if d.location is not None else None
        excerpt = lines[line - 1] if line is not None and 0 < line <= len(lines) else None
        marked.append({"d": d, "line": line, "excerpt": excerpt})
    return marked


async def _in_thread(work: Callable[[dict[str, str]], HTMLResponse], form: dict[str, str]
                     ) -> HTMLResponse:
    """Run a route's CPU work (solver, Graphviz, a wait for a work slot) off the event loop."""
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(work, form)


async def _form(request: Request) -> dict[str, str]:
    form = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _knobs_from(form: dict[str, str], rig: Rig) -> dict[str, float]:
    from signalchain.web.api import knob_positions

    asked = {k.removeprefix(KNOB_FIELD): v for k, v in form.items()
             if k.startswith(KNOB_FIELD)}
    return knob_positions({k: v for k, v in asked.items() if k in rig.knobs}, rig)


def _float(form: dict[str, str], key: str, default: float, low: float, high: float) -> float:
    try:
        value = float(form.get(key, default))
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and low <= value <= high):
        raise UsageError([Diagnostic("error", f"{key} {form.get(key)!r} is outside "
                                     f"{low:g}..{high:g}", code="bad-option")])
    return value


def _listeners(rig: Rig, knobs: dict[str, float]) -> list[dict[str, Any]]:
    from signalchain.report.html.page import listener_context

    ev = rig.simulate(knobs)
    return [{**listener_context(rig, ev, lf, i, levels=False),
             "spl_db": f"{lf.program_spl_db:.2f}" if math.isfinite(lf.program_spl_db) else "",
             "headroom": _headroom(ev, lf)}
            for i, lf in enumerate(ev.listeners)]


def _headroom(ev: Evaluation, lf: ListenerFigures) -> str:
    """The least headroom on the listener's path, where, and what limits it."""
    from signalchain.report.messages import limit_text

    on_path = set(lf.stages_on_path) | set(lf.inputs_on_path)
    stages = [s for s in ev.stages if s.id in on_path and math.isfinite(s.headroom_db)]
    if not stages:
        return "—"
    least = min(stages, key=lambda s: s.headroom_db)
    return f"{least.headroom_db:.1f} dB at {least.id} ({limit_text(least.limit)})"


def _knob_rows(rig: Rig, positions: dict[str, float]) -> list[dict[str, Any]]:
    """Each knob with its position and the listeners whose level it sets."""
    users: dict[str, list[str]] = {}
    for lf in rig.simulate().listeners:
        for control in lf.volume_controls:
            users.setdefault(str(control.knob), []).append(lf.id)
    everyone = len(rig.listeners)
    records = {p.knob_ref: p.id for p in rig.graph.preamps}
    rows = []
    for ref, pos in sorted(positions.items()):
        if ref not in rig.graph.knob_positions:  # the gain of an input with nothing in it
            continue
        who = users.get(ref, [])
        text = ("everyone" if everyone > 1 and len(who) == everyone else ", ".join(who)
                or "no listener")
        if ref in records:
            text = f"records {records[ref]}" + (f"; heard by {text}" if who else "")
        rows.append({"ref": ref, "pos": pos, "users": text,
                     "idle": not who and ref not in records})
    return rows


def _rig_context(rig: Rig, text: str, knobs: dict[str, float] | None = None
                 ) -> dict[str, Any]:
    """Everything the wired-rig view shows."""
    from signalchain.bom import cable_schedule
    from signalchain.draw.diagram import diagram_svg
    from signalchain.report.bom import BOM_HEADER, bom_rows
    from signalchain.report.html.page import _markup, _summary
    positions = {**rig.knobs, **(knobs or {})}
    wired = bool(rig.spec.connections)
    checked = rig.check() if wired else None  # an unwired rig waits for Advise
    context: dict[str, Any] = {
        "rig_text": text, "name": rig.name, "wired": wired,
        "summary": _summary(checked.findings) if checked else {},
        "knobs": _knob_rows(rig, positions) if wired else [], "listeners": [],
        "diagram": None,
        "bom_header": BOM_HEADER, "bom": [], "builtins": BUILTINS,
        "seconds": DEFAULT_RENDER_SECONDS, "max_seconds": MAX_RENDER_SECONDS,
    }
    if wired:
        context["listeners"] = _listeners(rig, knobs or {})
        context["diagram"] = _markup(diagram_svg(rig, id_prefix="rd"))
        context["bom"] = bom_rows(cable_schedule(rig).bom)
    return context


def page_router(state: ServerState) -> APIRouter:  # noqa: C901 -- one closure per route
    """The page (``/``) and its fragments (``/ui/...``)."""
    from signalchain.demo import example_paths

    router = APIRouter(include_in_schema=False)
    catalog = state.catalog

    def gear_context(text: str) -> dict[str, Any]:
        try:
            items = gear(Rig.from_text(text, "rig.yaml", catalog))
        except RigError:
            items = []
        return {"gear": items, "rig_text": text}

    @router.get("/", response_class=HTMLResponse)
    def page(rig: str | None = None, example: str | None = None) -> HTMLResponse:
        text, opened, status = NEW_RIG, None, 200
        messages: list[dict[str, Any]] = []
        examples = {p.name: p for p in example_paths()}
        try:
            if rig is not None:
                text, opened = state.workspace.read(rig), rig
            elif example is not None:
                if example not in examples:
                    raise UsageError([Diagnostic(
                        "error", f"no example {example[:80]!r}", code="unknown-example",
                        hint=f"the examples: {', '.join(sorted(examples))}")])
                text, opened = examples[example].read_text(encoding="utf-8"), example
        except RigError as exc:  # a bad link: the start page, saying what was wrong
            status = 404 if isinstance(exc, RigMissing) else 400
            messages = _marked(exc.diagnostics, None)
        view = None
        try:
            loaded = state.rig(text)
            if loaded.spec.connections:
                view = _rig_context(loaded, text)
        except RigError as exc:  # shown in the editor's message panel
            messages = _marked(exc.diagnostics, text)
        return _html("page.html", status, version=__version__, opened=opened, view=view,
                     workspace=state.workspace.list(), examples=sorted(examples),
                     workspace_folder=str(state.workspace.folder), messages=messages,
                     **gear_context(text))

    @router.get("/ui/search", response_class=HTMLResponse)
    def search(q: str = "", kind: str = "") -> HTMLResponse:
        words = q.lower()[:100].split()
        found = [{"id": i, "kind": e.kind, "name": e.name}
                 for k in GEAR_KINDS if not kind or kind == k
                 for i in catalog.ids(k) for e in [catalog.get(i)]
                 if all(w in f"{i} {e.name} {e.kind}".lower() for w in words)]
        found.sort(key=lambda e: (GEAR_KINDS.index(e["kind"]), e["name"].lower()))
        return _html("_results.html", results=found[:40], more=max(0, len(found) - 40))

    @router.post("/ui/gear", response_class=HTMLResponse)
    async def gear_edit(request: Request) -> HTMLResponse:
        return await _in_thread(_gear_edit, await _form(request))

    def _gear_edit(form: dict[str, str]) -> HTMLResponse:
        custom = None
        if form.get("action") == "add-listener" and form.get("z_ohm"):
            custom = CustomHeadphones(
                label=form.get("label") or "My headphones",
                z_ohm=_float(form, "z_ohm", 32, 4, 1000),
                sensitivity=_float(form, "sensitivity", 100, 60, 140),
                sensitivity_unit="dB/V" if form.get("sensitivity_unit") == "dB/V" else "dB/mW",
                plug="trs-6.35" if form.get("plug") == "trs-6.35" else "trs-3.5")
        edit = GearEdit.model_validate({
            "rig": form.get("rig", NEW_RIG), "action": form.get("action", ""),
            "model": form.get("model") or None, "listener": form.get("listener") or None,
            "custom": custom})
        text = edit_gear(edit, catalog)
        return _html("_gear_update.html", **gear_context(text))

    @router.post("/ui/advise", response_class=HTMLResponse)
    async def advise(request: Request) -> HTMLResponse:
        return await _in_thread(_advise, await _form(request))

    def _advise(form: dict[str, str]) -> HTMLResponse:
        from signalchain.draw.diagram import diagram_svg
        from signalchain.report.advice import method_json
        from signalchain.report.html.page import _markup

        text = form.get("rig", "")
        priority = "convenience" if form.get("priority") == "convenience" else "quality"
        target = _float(form, "target_spl_db", 80, 60, 100)
        advice = state.advice(text, priority, 3.0, target)
        cards = []
        for i, m in enumerate(advice.methods):
            picture = (_markup(diagram_svg(m.rig.with_knobs(m.tuned.knobs), id_prefix=f"m{i}",
                                           legend=False)) if i < 6 else None)
            cards.append({"index": i, "m": method_json(m), "diagram": picture})
        return _html("_advice.html", cards=cards, priority=priority, target=target,
                     rig_text=text, skipped=[s.message for s in advice.skipped])

    @router.post("/ui/use", response_class=HTMLResponse)
    async def use(request: Request) -> HTMLResponse:
        return await _in_thread(_use, await _form(request))

    def _use(form: dict[str, str]) -> HTMLResponse:
        from signalchain.report.advice import rig_header
        from signalchain.rigfile import rig_text

        text = form.get("rig", "")
        priority = "convenience" if form.get("priority") == "convenience" else "quality"
        advice = state.advice(text, priority, 3.0, _float(form, "target_spl_db", 80, 60, 100))
        index = int(_float(form, "index", 0, 0, max(0, len(advice.methods) - 1)))
        if not advice.methods:
            raise UsageError([Diagnostic("error", "advise found no way to wire this gear",
                                         code="no-method")])
        method = advice.methods[index]
        new_text = rig_text(advice.rig_for(method), rig_header(advice, method))
        return _html("_rig_update.html", view=_rig_context(state.rig(new_text), new_text),
                     chosen={"index": index, "name": method.name, "verdict": method.verdict,
                             "count": len(advice.methods)},
                     **gear_context(new_text))

    @router.post("/ui/open", response_class=HTMLResponse)
    async def open_text(request: Request) -> HTMLResponse:
        return await _in_thread(_open_text, await _form(request))

    def _open_text(form: dict[str, str]) -> HTMLResponse:
        text = form.get("rig", "")
        try:
            loaded = Rig.from_text(text, "rig.yaml", catalog)
            loaded.resolved  # noqa: B018 -- unknown ids are the request's errors
            view = _rig_context(state.rig(text) if loaded.spec.connections else loaded, text)
        except RigError as exc:
            return error_fragment(exc.diagnostics, text)
        return _html("_rig_update.html", view=view, chosen=None, **gear_context(text))

    @router.post("/ui/simulate", response_class=HTMLResponse)
    async def simulate(request: Request) -> HTMLResponse:
        return await _in_thread(_simulate, await _form(request))

    def _simulate(form: dict[str, str]) -> HTMLResponse:
        rig = state.rig(form.get("rig", ""))
        return _html("_listeners.html", listeners=_listeners(rig, _knobs_from(form, rig)))

    @router.post("/ui/tune", response_class=HTMLResponse)
    async def tune(request: Request) -> HTMLResponse:
        return await _in_thread(_tune, await _form(request))

    def _tune(form: dict[str, str]) -> HTMLResponse:
        rig = state.rig(form.get("rig", ""))
        from signalchain.draw.diagram import diagram_svg
        from signalchain.report.html.page import _markup
        from signalchain.report.tune import explanation_lines

        target = _float(form, "target_spl_db", 80, 60, 100)
        with state.work.slot():
            result = rig.tune(target)
        knobs = dict(result.knobs)
        return _html("_tuned.html", knobs=_knob_rows(rig, {**rig.knobs, **knobs}),
                     listeners=_listeners(rig, knobs), feasible=result.feasible,
                     explanation=explanation_lines(result),
                     diagram=_markup(diagram_svg(rig.with_knobs(knobs), id_prefix="rd")))

    return router

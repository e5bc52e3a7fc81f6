"""The JSON API under ``/api/``: the CLI's answers for a rig sent as YAML text.

Every endpoint takes the rig file's text in the request (nothing the client sends names a
file on the server), loads it with the same validation, limits and messages as the CLI, and
answers with the same JSON as the matching ``--json`` option. The page uses these endpoints
too. Errors: see :mod:`signalchain.web.app`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response

from signalchain.errors import Diagnostic, UsageError
from signalchain.rig import Rig
from signalchain.web.app import MAX_BODY_BYTES, message_response
from signalchain.web.gear import GearEdit, edit_gear
from signalchain.web.models import (
    AdviseRequest,
    AdviseRigRequest,
    KnobsRequest,
    ReportRequest,
    RigRequest,
    SaveRequest,
    SimulateRequest,
    TuneRequest,
)
from signalchain.web.render_route import add_render_route
from signalchain.web.state import ServerState

__all__ = ["MAX_BODY_BYTES", "api_router", "knob_positions"]

CATALOG_ID = re.compile(r"[a-z0-9][a-z0-9._/+-]{0,127}")


def _bad(message: str, code: str = "bad-option") -> UsageError:
    return UsageError([Diagnostic("error", message, code=code)])


def knob_positions(knobs: Mapping[str, float | str], rig: Rig) -> dict[str, float]:
    """Knob positions from a request (0..1, or a percentage as ``"60%"``), checked.

    Raises
    ------
    UsageError
        For a knob the rig does not have, or a position outside 0..1.
    """
    from signalchain.units import parse_fraction

    known = rig.knobs
    out: dict[str, float] = {}
    for key, value in knobs.items():
        if key not in known:
            raise _bad(f"no knob {key[:130]!r}; the rig's knobs: "
                       f"{', '.join(sorted(known)) or 'none'}", "bad-knob")
        try:
            out[key] = parse_fraction(str(value)) if isinstance(value, str) else float(value)
        except (ValueError, OverflowError) as exc:  # OverflowError: a 400-digit integer
            raise _bad(f"knob {key}: {exc}", "bad-knob") from None
        if not 0.0 <= out[key] <= 1.0:
            raise _bad(f"knob {key}={value!r} is outside 0..1 (0% .. 100%)", "bad-knob")
    return out


def api_router(state: ServerState) -> APIRouter:  # noqa: C901 -- one closure per endpoint
    """The ``/api/`` endpoints over ``state``."""
    router = APIRouter(prefix="/api")
    catalog = state.catalog

    @router.get("/catalog")
    def catalog_list(kind: str | None = None,
                     q: Annotated[str | None, Query(max_length=100)] = None
                     ) -> list[dict[str, Any]]:
        """Catalog entries (bundled and the server's user catalogs), as ``catalog list``.

        ``kind`` keeps one kind; ``q`` keeps entries whose id, name or brand contain every
        word of it (any case).
        """
        from signalchain.report.catalog import catalog_rows

        kinds = sorted({e.kind for e in catalog.entries.values()})
        if kind is not None and kind not in kinds:
            raise _bad(f"unknown kind {kind[:40]!r}; valid kinds: {', '.join(kinds)}")
        rows = catalog_rows(catalog, kind)
        words = (q or "").lower().split()
        return [r for r in rows
                if all(w in f"{r['id']} {r.get('name', '')}".lower() for w in words)]

    @router.get("/catalog/{entry_id:path}")
    def catalog_show(entry_id: str) -> Any:
        """One catalog entry with its sources and assumptions, as ``catalog show --json``."""
        if not CATALOG_ID.fullmatch(entry_id) or entry_id not in catalog:
            return message_response(404, f"unknown catalog id {entry_id[:130]!r}",
                                    "unknown-id")
        entry = catalog.get(entry_id)
        return {**entry.model_dump(mode="json", exclude_none=True),
                "origin": catalog.origin(entry_id)}

    @router.post("/check")
    def check(body: RigRequest) -> dict[str, Any]:
        """Does the rig plug together (``check --json``)."""
        from signalchain.report.simulate import check_json

        rig = state.rig(body.rig)
        return check_json(rig.name, rig.check())

    @router.post("/simulate")
    def simulate(body: SimulateRequest) -> dict[str, Any]:
        """What every listener hears (``simulate --json``), at the rig's knobs and ``knobs``."""
        from signalchain.report.simulate import evaluation_json

        rig = state.rig(body.rig)
        return evaluation_json(rig.simulate(knob_positions(body.knobs, rig)))

    @router.post("/tune")
    def tune(body: TuneRequest) -> dict[str, Any]:
        """Where to set every knob (``tune --json``)."""
        from signalchain.report.tune import tune_json

        rig = state.rig(body.rig)
        unknown = sorted(set(body.listener_targets) - set(rig.listeners))
        if unknown:
            raise _bad(f"no listener {unknown[0][:64]!r}; the rig's listeners: "
                       f"{', '.join(rig.listeners)}", "bad-listener")
        with state.work.slot():
            result = rig.tune(body.target_spl_db, dict(body.listener_targets),
                              body.headroom_db)
        return tune_json(result)

    @router.post("/advise")
    def advise(body: AdviseRequest) -> dict[str, Any]:
        """Every sensible way to wire the rig's devices, ranked (``advise --json``)."""
        from signalchain.report.advice import advice_json

        return advice_json(state.advice(body.rig, body.priority, body.length_m,
                                        body.target_spl_db))

    @router.post("/advise/rig", response_class=PlainTextResponse,
                 responses={200: {"content": {"application/yaml": {}}}})
    def advise_rig(body: AdviseRigRequest) -> Response:
        """One of advise's methods as a rig file (``advise --write-rig``, any method)."""
        from signalchain.report.advice import rig_header
        from signalchain.rigfile import rig_text

        advice = state.advice(body.rig, body.priority, body.length_m, body.target_spl_db)
        if body.index >= len(advice.methods):
            raise _bad(f"advise found {len(advice.methods)} methods; there is no method "
                       f"{body.index + 1}", "bad-index")
        method = advice.methods[body.index]
        text = rig_text(advice.rig_for(method), rig_header(advice, method))
        return Response(text, media_type="application/yaml")

    @router.post("/rig/knobs", response_class=PlainTextResponse,
                 responses={200: {"content": {"application/yaml": {}}}})
    def rig_with_knobs(body: KnobsRequest) -> Response:
        """The rig's text with ``knobs`` written in (its comments and layout kept)."""
        from signalchain.rigfile import knob_positions_text

        rig = state.rig(body.rig)
        text = knob_positions_text(body.rig, knob_positions(body.knobs, rig), "rig.yaml")
        return Response(text, media_type="application/yaml")

    @router.post("/gear", response_class=PlainTextResponse,
                 responses={200: {"content": {"application/yaml": {}}}})
    def gear(body: GearEdit) -> Response:
        """The rig after one pick of gear (devices changed; connections dropped)."""
        return Response(edit_gear(body, catalog), media_type="application/yaml")

    @router.post("/bom")
    def bom(body: RigRequest,
            format: Literal["json", "csv", "tsv", "md"] = "json") -> Response:  # noqa: A002
        """The cable schedule and BOM (``bom --format json|csv|tsv|md``)."""
        from signalchain.bom import cable_schedule
        from signalchain.report.bom import schedule_json, schedule_text

        schedule = cable_schedule(state.rig(body.rig))
        if format == "json":
            return JSONResponse(schedule_json(schedule))
        media = {"csv": "text/csv", "tsv": "text/tab-separated-values",
                 "md": "text/markdown"}[format]
        return Response(schedule_text(format, schedule), media_type=f"{media}; charset=utf-8")

    @router.post("/diagram", response_class=Response,
                 responses={200: {"content": {"image/svg+xml": {}}}})
    def diagram(body: RigRequest) -> Response:
        """The signal-flow diagram as SVG."""
        from signalchain.draw.diagram import diagram_svg

        return Response(diagram_svg(state.rig(body.rig)), media_type="image/svg+xml")

    @router.post("/report", response_class=HTMLResponse)
    def report(body: ReportRequest) -> HTMLResponse:
        """The one-file HTML report (``signalchain report``); clips play built-in programs."""
        from signalchain.report.html import ReportOptions, build_report
        from signalchain.web.render_route import check_render_cost

        rig = state.rig(body.rig)
        if body.listen:
            check_render_cost(len(rig.listeners), 1, body.seconds)
        with state.queue.slot() as deadline:  # the clips are renders: the same queue
            options = ReportOptions(tune=body.tune, advise=body.advise, listen=body.listen,
                                    program=body.program, seconds=body.seconds,
                                    target_spl_db=body.target_spl_db, deadline=deadline)
            return HTMLResponse(build_report(rig, options))

    @router.get("/workspace")
    def workspace_list() -> list[dict[str, Any]]:
        """The rigs saved in the server's workspace folder, most recent first."""
        return [{"name": r.name, "title": r.title, "modified": r.modified,
                 "size_bytes": r.size_bytes} for r in state.workspace.list()]

    @router.get("/workspace/{name}", response_class=PlainTextResponse,
                responses={200: {"content": {"application/yaml": {}}}})
    def workspace_read(name: str) -> Response:
        """A saved rig's text."""
        return Response(state.workspace.read(name), media_type="application/yaml")

    @router.put("/workspace/{name}")
    def workspace_save(name: str, body: SaveRequest) -> dict[str, Any]:
        """Save a rig (validated first) as ``NAME.yaml``; ``replace`` to overwrite one."""
        state.workspace.path(name)  # the name first: a bad one is a 400, not a 422
        Rig.from_text(body.rig, "rig.yaml", catalog).resolved  # noqa: B018
        replaced = state.workspace.save(name, body.rig, replace=body.replace)
        return {"name": name, "replaced": replaced}

    add_render_route(router, state)
    return router

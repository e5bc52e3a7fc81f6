"""The JSON API under ``/api/``: the CLI's answers for a rig sent as YAML text.

Import it only with the ``web`` extra installed (``signalchain serve`` checks first).

Every endpoint takes the rig file's text in the request (nothing the client sends names a
file on the server), loads it with the same validation, limits and messages as the CLI, and
answers with the same JSON as the matching ``--json`` option. An invalid rig is a 422 whose
body is ``check --json``'s ``{"valid": false, "diagnostics": [...]}``; a bad option a 400 with
the same shape; a body over :data:`MAX_BODY_BYTES` a 413. Nothing ever answers with a
traceback.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response

from signalchain import __version__
from signalchain.catalog import load_catalog
from signalchain.errors import Diagnostic, RigError, UsageError
from signalchain.gate import diagnostics_json
from signalchain.rig import Rig
from signalchain.web.models import (
    AdviseRequest,
    ReportRequest,
    RigRequest,
    SimulateRequest,
    TuneRequest,
)

RIG_CACHE_SIZE = 32
"""Solved rigs kept for their text (a few megabytes each at most, bounded by the limits)."""
MAX_BODY_BYTES = 1_000_000
"""Largest request body: a rig file is a few kilobytes; this leaves room, not abuse."""
CATALOG_ID = re.compile(r"[a-z0-9][a-z0-9._/-]{0,127}")


def _error(status: int, diagnostics: list[Diagnostic]) -> JSONResponse:
    return JSONResponse(diagnostics_json(diagnostics), status_code=status)


def _message(status: int, message: str, code: str = "bad-request") -> JSONResponse:
    return _error(status, [Diagnostic("error", message, code=code)])


class BodyTooLarge(Exception):
    """A request body grew past the limit while it was read."""


class BodyLimit:
    """ASGI middleware: refuse bodies over ``limit`` bytes, declared or streamed."""

    def __init__(self, app: Any, limit: int):
        self.app, self.limit = app, limit

    async def __call__(self, scope: dict[str, Any], receive: Callable[[], Awaitable[Any]],
                       send: Callable[[Any], Awaitable[None]]) -> None:
        """Pass the request on, counting its body; a 413 once it is too large."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.limit):
            response = _message(413, f"the request is larger than {self.limit} bytes",
                                "too-large")
            await response(scope, receive, send)
            return
        seen = 0

        async def limited() -> Any:
            nonlocal seen
            message = await receive()
            if message.get("type") == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge()
            return message

        await self.app(scope, limited, send)


def create_app(catalog_dirs: tuple[str, ...] = ()) -> FastAPI:
    """The API as an ASGI application (FastAPI, from the ``web`` extra).

    Parameters
    ----------
    catalog_dirs : tuple of str
        The user's catalog directories, read once at start (as ``--catalog`` does).
    """
    catalog = load_catalog(list(catalog_dirs))
    app = FastAPI(title="signalchain", version=__version__,
                  description="Simulate and plan audio monitoring rigs: the CLI's answers "
                              "for a rig file sent as text.")

    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES)

    @app.exception_handler(BodyTooLarge)
    async def too_large(_request: Request, _exc: BodyTooLarge) -> Any:
        return _message(413, f"the request is larger than {MAX_BODY_BYTES} bytes", "too-large")

    @app.exception_handler(UsageError)
    async def usage_error(_request: Request, exc: UsageError) -> Any:
        return _error(400, exc.diagnostics)

    @app.exception_handler(RigError)
    async def rig_error(_request: Request, exc: RigError) -> Any:
        return _error(422, exc.diagnostics)

    @app.exception_handler(RequestValidationError)
    async def bad_request(_request: Request, exc: RequestValidationError) -> Any:
        where = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}"
                          for e in exc.errors()[:5])
        return _message(400, f"the request does not fit the API: {where}")

    @app.exception_handler(Exception)
    async def internal(_request: Request, _exc: Exception) -> Any:
        return _message(500, "internal error in signalchain (a bug): the request was not "
                             "answered", "internal")

    cache: OrderedDict[str, Rig] = OrderedDict()
    lock = threading.Lock()

    def load(text: str) -> Rig:
        """The rig of this text, solved once: the same text again (a knob moved) reuses it."""
        key = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
        with lock:
            if key in cache:
                cache.move_to_end(key)
                return cache[key]
        rig = Rig.from_text(text, "rig.yaml", catalog)
        rig.graph  # noqa: B018 -- build and solve now (errors are the request's)
        with lock:
            cache[key] = rig
            while len(cache) > RIG_CACHE_SIZE:
                cache.popitem(last=False)
        return rig

    @app.get("/api/catalog")
    def catalog_list(kind: str | None = None) -> list[dict[str, Any]]:
        """Every catalog entry (bundled and the server's user catalogs), as ``catalog list``."""
        from signalchain.report.catalog import catalog_rows

        kinds = sorted({e.kind for e in catalog.entries.values()})
        if kind is not None and kind not in kinds:
            raise UsageError([_diag(f"unknown kind {kind!r}; valid kinds: {', '.join(kinds)}")])
        return catalog_rows(catalog, kind)

    @app.get("/api/catalog/{entry_id:path}")
    def catalog_show(entry_id: str) -> Any:
        """One catalog entry with its sources and assumptions, as ``catalog show --json``."""
        if not CATALOG_ID.fullmatch(entry_id) or entry_id not in catalog:
            return _message(404, f"unknown catalog id {entry_id[:130]!r}", "unknown-id")
        entry = catalog.get(entry_id)
        return {**entry.model_dump(mode="json", exclude_none=True),
                "origin": catalog.origin(entry_id)}

    @app.post("/api/check")
    def check(body: RigRequest) -> dict[str, Any]:
        """Does the rig plug together (``check --json``)."""
        from signalchain.report.simulate import check_json

        rig = load(body.rig)
        return check_json(rig.name, rig.check())

    @app.post("/api/simulate")
    def simulate(body: SimulateRequest) -> dict[str, Any]:
        """What every listener hears (``simulate --json``), at the rig's knobs and ``knobs``."""
        from signalchain.report.simulate import evaluation_json
        from signalchain.rig import parse_knob_settings

        rig = load(body.rig)
        settings = [f"{k}={v}" for k, v in body.knobs.items()]
        return evaluation_json(rig.simulate(parse_knob_settings(settings, rig)))

    @app.post("/api/tune")
    def tune(body: TuneRequest) -> dict[str, Any]:
        """Where to set every knob (``tune --json``)."""
        from signalchain.report.tune import tune_json

        rig = load(body.rig)
        return tune_json(rig.tune(body.target_spl_db, dict(body.listener_targets),
                                  body.headroom_db))

    @app.post("/api/advise")
    def advise(body: AdviseRequest) -> dict[str, Any]:
        """Every sensible way to wire the rig's devices, ranked (``advise --json``)."""
        from signalchain.report.advice import advice_json

        rig = load(body.rig)
        return advice_json(rig.advise(priority=body.priority, length_m=body.length_m,
                                      target_spl_db=body.target_spl_db))

    @app.post("/api/bom")
    def bom(body: RigRequest) -> dict[str, Any]:
        """The cable schedule and BOM (``bom --format json``)."""
        from signalchain.bom import cable_schedule
        from signalchain.report.bom import schedule_json

        return schedule_json(cable_schedule(load(body.rig)))

    @app.post("/api/diagram", response_class=Response,
              responses={200: {"content": {"image/svg+xml": {}}}})
    def diagram(body: RigRequest) -> Response:
        """The signal-flow diagram as SVG."""
        from signalchain.draw.diagram import diagram_svg

        return Response(diagram_svg(load(body.rig)), media_type="image/svg+xml")

    @app.post("/api/report", response_class=HTMLResponse)
    def report(body: ReportRequest) -> HTMLResponse:
        """The one-file HTML report (``signalchain report``); clips play built-in programs."""
        from signalchain.report.html import ReportOptions, build_report

        rig = load(body.rig)
        options = ReportOptions(tune=body.tune, advise=body.advise, listen=body.listen,
                                program=body.program, seconds=body.seconds,
                                target_spl_db=body.target_spl_db)
        return HTMLResponse(build_report(rig, options))

    return app


def _diag(message: str) -> Diagnostic:
    return Diagnostic("error", message, code="bad-option")

"""The web application: the JSON API under ``/api/`` and the page, on one FastAPI app.

Import it only with the ``web`` extra installed (``signalchain serve`` checks first).

Errors are the CLI's diagnostics as JSON (``{"valid": false, "diagnostics": [...]}``): an
invalid rig is a 422, a bad request a 400, an unknown id a 404, a taken workspace name a 409,
a body over the limit a 413, a full render queue or a render past its time limit a 503.
Nothing ever answers with a traceback.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from signalchain import __version__
from signalchain.catalog import load_catalog
from signalchain.errors import Diagnostic, OutputExistsError, RigError, UsageError
from signalchain.gate import diagnostics_json
from signalchain.render.clips import RenderTimeLimit
from signalchain.web.jobs import QueueFull, QueueLimits, RenderQueue
from signalchain.web.state import ServerState
from signalchain.web.workspace import RigMissing, Workspace

MAX_BODY_BYTES = 1_000_000
"""Largest request body: a rig file is a few kilobytes; this leaves room, not abuse."""
MAX_UPLOAD_BYTES = 16_000_000
"""Largest audio file a render takes (about 80 s of 48 kHz 16-bit stereo WAV)."""
UPLOAD_PATHS = ("/api/render",)


def error_response(status: int, diagnostics: list[Diagnostic],
                   headers: dict[str, str] | None = None) -> JSONResponse:
    """The API's error body: ``check --json``'s shape."""
    return JSONResponse(diagnostics_json(diagnostics), status_code=status, headers=headers)


def message_response(status: int, message: str, code: str = "bad-request") -> JSONResponse:
    """An error body with one diagnostic."""
    return error_response(status, [Diagnostic("error", message, code=code)])


class BodyTooLarge(Exception):
    """A request body grew past the limit while it was read."""


class BodyLimit:
    """ASGI middleware: refuse bodies over the limit, declared or streamed (413).

    Paths in ``upload_paths`` may carry ``upload_limit`` bytes (an audio file), others
    ``limit``.
    """

    def __init__(self, app: Any, limit: int, upload_limit: int,
                 upload_paths: tuple[str, ...]):
        self.app, self.limit = app, limit
        self.upload_limit, self.upload_paths = upload_limit, upload_paths

    async def __call__(self, scope: dict[str, Any], receive: Callable[[], Awaitable[Any]],
                       send: Callable[[Any], Awaitable[None]]) -> None:
        """Pass the request on, counting its body; a 413 once it is too large."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.upload_limit if scope.get("path") in self.upload_paths else self.limit
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            response = message_response(413, f"the request is larger than {limit} bytes",
                                        "too-large")
            await response(scope, receive, send)
            return
        seen = 0

        async def limited() -> Any:
            nonlocal seen
            message = await receive()
            if message.get("type") == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, limited, send)


def _handlers(app: FastAPI) -> None:
    @app.exception_handler(BodyTooLarge)
    async def too_large(_request: Request, exc: BodyTooLarge) -> Any:
        return message_response(413, f"the request is larger than {exc.args[0]} bytes",
                                "too-large")

    def answer(request: Request, status: int, diagnostics: list[Diagnostic],
               headers: dict[str, str] | None = None) -> Any:
        if request.url.path.startswith("/ui/"):  # the page: a message panel, not JSON
            from signalchain.web.pages import error_fragment

            return error_fragment(diagnostics, status=status)
        return error_response(status, diagnostics, headers)

    @app.exception_handler(RigError)
    async def rig_error(request: Request, exc: RigError) -> Any:
        if isinstance(exc, QueueFull | RenderTimeLimit):
            return answer(request, 503, exc.diagnostics, {"Retry-After": "5"})
        status = (404 if isinstance(exc, RigMissing) else 409
                  if isinstance(exc, OutputExistsError) else 400
                  if isinstance(exc, UsageError) else 422)
        return answer(request, status, exc.diagnostics)

    @app.exception_handler(RequestValidationError)
    @app.exception_handler(ValidationError)
    async def bad_request(request: Request, exc: RequestValidationError | ValidationError
                          ) -> Any:
        where = "; ".join(f"{'.'.join(str(p) for p in e.get('loc', ()))}: {e.get('msg')}"
                          for e in exc.errors()[:5])
        return answer(request, 400, [Diagnostic(
            "error", f"the request does not fit the API: {where}"[:2000], code="bad-request")])

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Any:
        code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http")
        text = {404: f"nothing at {request.url.path[:200]!r}",
                405: f"{request.method} is not allowed on {request.url.path[:200]!r}"}
        return answer(request, exc.status_code, [Diagnostic(
            "error", text.get(exc.status_code, str(exc.detail)[:500]), code=code)])

    @app.exception_handler(Exception)
    async def internal(request: Request, _exc: Exception) -> Any:
        return answer(request, 500, [Diagnostic(
            "error", "internal error in signalchain (a bug): the request was not answered",
            code="internal")])


def default_workspace() -> Path:
    """Where ``serve`` keeps rigs unless told: ``$XDG_DATA_HOME/signalchain/workspace``."""
    import os

    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "signalchain" / "workspace"


def create_app(catalog_dirs: tuple[str, ...] = (), workspace: Path | None = None,
               queue_limits: QueueLimits | None = None) -> FastAPI:
    """The API and the page as an ASGI application (FastAPI, from the ``web`` extra).

    Parameters
    ----------
    catalog_dirs : tuple of str
        The user's catalog directories, read once at start (as ``--catalog`` does).
    workspace : Path, optional
        The folder of saved rigs (created if missing); :func:`default_workspace` if None.
    queue_limits : QueueLimits, optional
        Renders at once, waiting, and their time limit.
    """
    from signalchain.web.api import api_router
    from signalchain.web.pages import page_router, static_files

    state = ServerState(load_catalog(list(catalog_dirs)),
                        Workspace(workspace if workspace is not None else default_workspace()),
                        RenderQueue(queue_limits))
    app = FastAPI(title="signalchain", version=__version__,
                  description="Simulate and plan audio monitoring rigs: the CLI's answers "
                              "for a rig file sent as text, renders, and a workspace of rigs.")
    app.state.signalchain = state
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES, upload_limit=MAX_UPLOAD_BYTES + 65_536,
                       upload_paths=UPLOAD_PATHS)
    _handlers(app)
    app.include_router(api_router(state))
    app.include_router(page_router(state))
    app.mount("/static", static_files(), name="static")
    return app

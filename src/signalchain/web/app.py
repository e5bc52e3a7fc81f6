"""The web application: the JSON API under ``/api/`` and the page, on one FastAPI app.

Import it only with the ``web`` extra installed (``signalchain serve`` checks first).

Errors are the CLI's diagnostics as JSON (``{"valid": false, "diagnostics": [...]}``): an
invalid rig is a 422, a bad request a 400, an unknown id a 404, a taken workspace name a 409,
a body over the limit a 413, a full render queue or a render past its time limit a 503.
Nothing ever answers with a traceback. What gets in at all: :mod:`signalchain.web.guard`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException

from signalchain import __version__
from signalchain.catalog import load_catalog
from signalchain.errors import Diagnostic, OutputExistsError, RigError, UsageError
from signalchain.io import OutputWriteError
from signalchain.render.clips import RenderTimeLimit
from signalchain.web.guard import (
    LOCAL_HOSTS,
    MAX_BODY_BYTES,
    MAX_UPLOAD_BYTES,
    UPLOAD_PATHS,
    BodyLimit,
    LocalOnly,
    answer_for,
    error_response,
    message_response,
)
from signalchain.web.jobs import QueueFull, QueueLimits, RenderQueue
from signalchain.web.state import ServerState
from signalchain.web.workspace import RigMissing, Workspace, WorkspaceUnavailable

__all__ = ["LOCAL_HOSTS", "MAX_BODY_BYTES", "MAX_UPLOAD_BYTES", "create_app",
           "default_workspace", "error_response", "message_response"]

SPARE_THREADS = 24
"""Worker threads kept for quick requests beyond those the queues may hold waiting."""

def _handlers(app: FastAPI) -> None:
    def answer(request: Request, status: int, diagnostics: list[Diagnostic],
               headers: dict[str, str] | None = None) -> Any:
        return answer_for(request.url.path, status, diagnostics, headers)

    @app.exception_handler(RigError)
    async def rig_error(request: Request, exc: RigError) -> Any:
        if isinstance(exc, QueueFull | RenderTimeLimit):
            return answer(request, 503, exc.diagnostics, {"Retry-After": "5"})
        if isinstance(exc, WorkspaceUnavailable | OutputWriteError):  # the server's disk
            return answer(request, 503, exc.diagnostics)
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
               queue_limits: QueueLimits | None = None,
               allowed_hosts: tuple[str, ...] = LOCAL_HOSTS) -> FastAPI:
    """The API and the page as an ASGI application (FastAPI, from the ``web`` extra).

    Parameters
    ----------
    catalog_dirs : tuple of str
        The user's catalog directories, read once at start (as ``--catalog`` does).
    workspace : Path, optional
        The folder of saved rigs (created if missing); :func:`default_workspace` if None.
    queue_limits : QueueLimits, optional
        Renders at once, waiting, and their time limit.
    allowed_hosts : tuple of str
        The names requests may be addressed to (the ``Host`` header); this machine's
        loopback names by default. ``"*"`` allows any (only behind a proxy that checks).
    """
    from signalchain.web.api import api_router
    from signalchain.web.pages import page_router, static_files

    state = ServerState(load_catalog(list(catalog_dirs)),
                        Workspace(workspace if workspace is not None else default_workspace()),
                        RenderQueue(queue_limits))

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Requests waiting in a queue each hold a worker thread: keep enough for the rest.
        from anyio import to_thread

        limiter = to_thread.current_default_thread_limiter()
        limiter.total_tokens = max(limiter.total_tokens,
                                   state.queue.capacity + state.work.capacity + SPARE_THREADS)
        yield

    app = FastAPI(title="signalchain", version=__version__, lifespan=lifespan,
                  docs_url=None, redoc_url=None,
                  description="Simulate and plan audio monitoring rigs: the CLI's answers "
                              "for a rig file sent as text, renders, and a workspace of rigs.")
    app.state.signalchain = state
    app.add_middleware(BodyLimit, limit=MAX_BODY_BYTES, upload_limit=MAX_UPLOAD_BYTES + 65_536,
                       upload_paths=UPLOAD_PATHS)
    app.add_middleware(LocalOnly, allowed_hosts=allowed_hosts)  # outermost: checked first
    _handlers(app)
    app.include_router(api_router(state))
    app.include_router(page_router(state))
    app.mount("/static", static_files(), name="static")
    return app

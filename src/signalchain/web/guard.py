"""What gets into the server: body sizes, and requests from this machine's own page only.

Two ASGI middlewares, outside every route:

- :class:`BodyLimit` refuses a body over its limit with a 413, whether its size is declared
  (``Content-Length``) or only found while it streams in (chunked).
- :class:`LocalOnly` answers only requests addressed to one of the server's own names (the
  ``Host`` header), so a web site cannot reach the server through a name of its own that it
  points at 127.0.0.1 ("DNS rebinding"); and it refuses a request that changes anything
  (``POST``, ``PUT`` ...) sent by a page of another origin (the ``Origin`` header, or
  ``Sec-Fetch-Site: cross-site``), so a site open in the same browser cannot save over the
  workspace or start renders. Scripts (curl, Python) send neither header and are served.

Errors have the API's shape (:func:`error_response`); under ``/ui/`` they are the page's
message panel instead.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any
from urllib.parse import urlsplit

from starlette.responses import Response

from signalchain.errors import Diagnostic
from signalchain.gate import diagnostics_json

MAX_BODY_BYTES = 1_000_000
"""Largest request body: a rig file is a few kilobytes; this leaves room, not abuse."""
MAX_UPLOAD_BYTES = 16_000_000
"""Largest audio file a render takes (about 80 s of 48 kHz 16-bit stereo WAV)."""
UPLOAD_PATHS = ("/api/render",)
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")
"""The names a browser on this machine uses for a server on the loopback address."""
ANY_HOST = "*"
"""In the allowed hosts: answer any ``Host`` (behind a proxy that checks it)."""
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[Any]]
Send = Callable[[Any], Awaitable[None]]


def error_response(status: int, diagnostics: list[Diagnostic],
                   headers: dict[str, str] | None = None) -> Response:
    """The API's error body: ``check --json``'s shape."""
    from starlette.responses import JSONResponse

    return JSONResponse(diagnostics_json(diagnostics), status_code=status, headers=headers)


def message_response(status: int, message: str, code: str = "bad-request",
                     hint: str = "") -> Response:
    """An error body with one diagnostic."""
    return error_response(status, [Diagnostic("error", message, hint=hint, code=code)])


def answer_for(path: str, status: int, diagnostics: list[Diagnostic],
               headers: dict[str, str] | None = None) -> Response:
    """An error as the API's JSON, or under ``/ui/`` as the page's message panel."""
    if path.startswith("/ui/"):
        from signalchain.web.pages import error_fragment

        return error_fragment(diagnostics, status=status)
    return error_response(status, diagnostics, headers)


class BodyLimit:
    """Refuse bodies over the limit, declared or streamed (413).

    Paths in ``upload_paths`` may carry ``upload_limit`` bytes (an audio file), others
    ``limit``. A streamed body that grows past the limit is answered with the 413 at once;
    the route then sees the client as gone and whatever it would answer is dropped.
    """

    def __init__(self, app: Any, limit: int, upload_limit: int,
                 upload_paths: tuple[str, ...]):
        self.app, self.limit = app, limit
        self.upload_limit, self.upload_paths = upload_limit, upload_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, counting its body; a 413 once it is too large."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = str(scope.get("path", ""))
        limit = self.upload_limit if path in self.upload_paths else self.limit
        too_large = [Diagnostic("error", f"the request is larger than {limit} bytes",
                                hint="send a smaller rig or audio file", code="too-large")]
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await answer_for(path, 413, too_large)(scope, receive, send)
            return
        seen = 0
        answered = False

        async def limited() -> Any:
            nonlocal seen, answered
            if answered:
                return {"type": "http.disconnect"}
            message = await receive()
            if message.get("type") == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    answered = True
                    await answer_for(path, 413, too_large)(scope, receive, send)
                    return {"type": "http.disconnect"}
            return message

        async def unless_answered(message: Any) -> None:
            if not answered:
                await send(message)

        await self.app(scope, limited, unless_answered)


def host_name(header: str) -> str:
    """The host of a ``Host`` header (``name``, ``name:port``, ``[v6]:port``), lower case."""
    value = header.strip().lower()
    if value.startswith("["):
        return value[1:value.find("]")] if "]" in value else value
    name, colon, port = value.rpartition(":")
    return name if colon and port.isdigit() and ":" not in name else value


class LocalOnly:
    """Answer only requests for the server's own names, and changes from its own page.

    Parameters
    ----------
    app
        The ASGI application inside.
    allowed_hosts : iterable of str
        Names the ``Host`` header may carry (any port); :data:`ANY_HOST` allows every name.
    """

    def __init__(self, app: Any, allowed_hosts: Iterable[str]):
        self.app = app
        self.allowed = frozenset(host_name(h) if h != ANY_HOST else h for h in allowed_hosts)

    def _host_ok(self, name: str) -> bool:
        return ANY_HOST in self.allowed or name in self.allowed

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, or answer 400 (wrong host) / 403 (another site's page)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers") or []}
        path = str(scope.get("path", ""))
        refusal = self._refusal(headers, str(scope.get("method", "GET")).upper())
        if refusal is None:
            await self.app(scope, receive, send)
            return
        status, diagnostic = refusal
        await answer_for(path, status, [diagnostic])(scope, receive, send)

    def _refusal(self, headers: dict[str, str], method: str
                 ) -> tuple[int, Diagnostic] | None:
        host = headers.get("host", "")
        names = ", ".join(sorted(self.allowed))
        if not self._host_ok(host_name(host)):
            return 400, Diagnostic(
                "error", f"this server answers requests for {names}, not for "
                f"{host[:100]!r}", hint="open the address 'signalchain serve' printed, or "
                "start it with --allow-host NAME to use another name for this machine",
                code="host-not-allowed")
        if method in SAFE_METHODS:
            return None
        origin = headers.get("origin")
        foreign = headers.get("sec-fetch-site") == "cross-site"
        if origin is not None:
            parts = urlsplit(origin)
            foreign = foreign or origin == "null" or parts.netloc.lower() != host.lower()
        if foreign:
            return 403, Diagnostic(
                "error", f"a page from another site ({(origin or 'unknown')[:100]}) may not "
                "change anything here", hint="use the page this server serves, or call the "
                "API from a script", code="cross-origin")
        return None

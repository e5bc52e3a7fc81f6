"""``serve``: the web page and its JSON API over HTTP on this machine."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

import typer

from signalchain.cli.app import app
from signalchain.cli.common import CatalogOpt, err, finite_option, guarded, out
from signalchain.errors import Diagnostic, UsageError

WILDCARD_HOSTS = ("0.0.0.0", "::", "")
HOST_NAME = re.compile(r"\*|[A-Za-z0-9][A-Za-z0-9.-]{0,252}|\[?[0-9A-Fa-f:.]{2,45}\]?")


def _check_free(host: str, port: int) -> None:
    """A clear message now, rather than uvicorn's log line, when the port cannot be had."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UsageError([Diagnostic("error", f"--host {host}: {exc.strerror or exc}",
                                     hint="give an address of this machine, e.g. 127.0.0.1")]
                         ) from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            raise UsageError([Diagnostic(
                "error", f"cannot listen on {host} port {port}: {exc.strerror or exc}",
                hint="another program (another 'signalchain serve'?) uses it: choose another "
                     "with --port")]) from None


def _own_names(host: str, extra: list[str]) -> tuple[str, ...]:
    """The names requests may use for this server: loopback, ``--host``, ``--allow-host``.

    Listening on every address (``0.0.0.0``), this machine's name and its addresses too.
    """
    import socket

    from signalchain.web.guard import LOCAL_HOSTS

    names = [*LOCAL_HOSTS, *extra]
    if host in WILDCARD_HOSTS:
        names += [socket.gethostname(), socket.getfqdn()]
        try:
            names += [str(info[4][0]) for info in socket.getaddrinfo(socket.gethostname(), None)]
        except OSError:
            pass
    else:
        names.append(host)
    return tuple(dict.fromkeys(n for n in names if n))


@app.command()
@guarded
def serve(
    host: Annotated[str, typer.Option(help="address to listen on (this machine only by "
                                      "default)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workspace: Annotated[Path | None, typer.Option(
        help="folder where the page saves rigs as YAML files (default: "
             "~/.local/share/signalchain/workspace)")] = None,
    renders: Annotated[int, typer.Option(help="renders at once")] = 2,
    render_queue: Annotated[int, typer.Option(help="renders waiting at most; more are "
                                              "refused")] = 4,
    render_time_limit: Annotated[float, typer.Option(help="seconds a render may take, "
                                                     "waiting included")] = 30.0,
    allow_host: Annotated[list[str] | None, typer.Option(
        help="another name this machine is reached by (repeatable); requests for any "
             "other name are refused, so web sites cannot reach the server through DNS "
             "rebinding. '*' allows any name (only behind a proxy that checks it)")] = None,
    catalog: CatalogOpt = None,
) -> None:
    """Serve the web page and the JSON API (check, simulate, tune, advise, render ...)."""
    from signalchain.extras import require

    require("fastapi", "web")
    require("python_multipart", "web")
    uvicorn = require("uvicorn", "web")
    from signalchain.web.app import LOCAL_HOSTS, create_app, default_workspace
    from signalchain.web.jobs import QueueLimits

    finite_option("--port", float(port), 1, 65535)
    for name in allow_host or []:
        if not HOST_NAME.fullmatch(name):
            raise UsageError([Diagnostic(
                "error", f"--allow-host {name[:80]!r} is not a host name or address",
                hint="give a name such as studio.local or an address such as 192.168.1.20, "
                     "or '*'")])
    finite_option("--renders", float(renders), 1, 16)
    finite_option("--render-queue", float(render_queue), 0, 64)
    finite_option("--render-time-limit", render_time_limit, 1, 3600, "s")
    folder = workspace if workspace is not None else default_workspace()
    if folder.exists() and not folder.is_dir():
        raise UsageError([Diagnostic("error", f"--workspace {folder}: not a folder",
                                     hint="give a folder (it is created if missing)")])
    _check_free(host, port)
    application = create_app(tuple(str(Path(d)) for d in catalog or []), folder,
                             QueueLimits(renders, render_queue, render_time_limit),
                             _own_names(host, list(allow_host or [])))
    if host not in LOCAL_HOSTS:
        err.print(f"warning: listening on {host}: anyone who can reach this machine can use "
                  "the page and its API", markup=False)
    shown = f"[{host}]" if ":" in host else host
    for line in (f"signalchain: open http://{shown}:{port}/ in your browser "
                 "(Ctrl-C stops it)",
                 f"  the JSON API's schema: http://{shown}:{port}/openapi.json",
                 f"  rigs are saved in {folder}"):
        out.print(line, markup=False, highlight=False, soft_wrap=True)  # URLs stay whole
    uvicorn.run(application, host=host, port=port, log_level="warning")

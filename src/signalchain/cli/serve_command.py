"""``serve``: the JSON API over HTTP on this machine."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from signalchain.cli.app import app
from signalchain.cli.common import CatalogOpt, err, finite_option, guarded, out

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


@app.command()
@guarded
def serve(
    host: Annotated[str, typer.Option(help="address to listen on (this machine only by "
                                      "default)")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    catalog: CatalogOpt = None,
) -> None:
    """Serve the JSON API (check, simulate, tune, advise, bom, diagram, report, catalog)."""
    from signalchain.extras import require

    require("fastapi", "web")
    uvicorn = require("uvicorn", "web")
    from signalchain.web.api import create_app

    finite_option("--port", float(port), 1, 65535)
    application = create_app(tuple(str(Path(d)) for d in catalog or []))
    if host not in LOCAL_HOSTS:
        err.print(f"warning: listening on {host}: anyone who can reach this machine can use "
                  "the API", markup=False)
    shown = f"[{host}]" if ":" in host else host
    out.print(f"signalchain API on http://{shown}:{port}/api/ — its schema and a page to try "
              f"it: http://{shown}:{port}/docs (Ctrl-C stops it)", markup=False)
    uvicorn.run(application, host=host, port=port, log_level="warning")

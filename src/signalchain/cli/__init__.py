"""The ``signalchain`` command line: a thin typer layer over the library.

Exit codes: 0 success (warnings may be printed), 1 invalid rig or input (including
files that cannot be read or written), 2 usage error, 3 internal error (a bug),
128+N when stopped by signal N (SIGINT: 130, SIGTERM: 143).
"""

from __future__ import annotations

# importing the command modules registers their commands on the app
from signalchain.cli import (  # noqa: F401
    bom_command,
    catalog_commands,
    checks,
    diagram_command,
    planning,
    rendering,
    report_command,
    serve_command,
    shop_command,
    sweep_command,
)
from signalchain.cli.app import app, catalog_app

__all__ = ["app", "catalog_app", "main"]


def main() -> None:
    """Console-script entry point."""
    app()

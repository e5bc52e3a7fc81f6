"""The ``signalchain`` command line: a thin typer layer over the library.

Exit codes: 0 success (warnings may be printed), 1 invalid rig or input (including
files that cannot be read or written), 2 usage error, 3 internal error (a bug),
128+N when stopped by signal N (SIGINT: 130, SIGTERM: 143).
"""

from __future__ import annotations

import os
import sys

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


_BLAS_ENV = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "GOTO_NUM_THREADS")


def _one_blas_thread() -> None:
    """Start OpenBLAS with one thread when the solver would be held to one anyway.

    The default (``SIGNALCHAIN_BLAS_THREADS`` unset or 1, see :mod:`signalchain.threads`):
    a thread per core costs a tenth of a second to start, and the solver would only stop
    them. Nothing changes when NumPy is already loaded or any BLAS thread count is set.
    """
    from signalchain.threads import ENV_VAR

    if ("numpy" in sys.modules or any(os.environ.get(v) for v in _BLAS_ENV)
            or os.environ.get(ENV_VAR, "1").strip() != "1"):
        return
    os.environ["OPENBLAS_NUM_THREADS"] = "1"


def main() -> None:
    """Console-script entry point."""
    _one_blas_thread()
    app()

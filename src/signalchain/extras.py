"""Optional dependencies: imported when a feature needs them, with an error that names the fix.

The core (check, simulate, tune, advise, render) needs only the packages in ``dependencies``.
The diagram and the HTML report need the ``report`` extra (graphviz, jinja2) and
Graphviz's ``dot`` program; a missing one is a :class:`MissingExtraError`, printed like any
other user error (exit 1), never a traceback.
"""

from __future__ import annotations

import importlib
import shutil
from types import ModuleType

from signalchain.errors import Diagnostic, RigError

REPORT_EXTRA = "report"


class MissingExtraError(RigError):
    """A feature needs a package or program that is not installed."""


def require(module: str, extra: str = REPORT_EXTRA) -> ModuleType:
    """Import ``module``, or raise :class:`MissingExtraError` naming the extra to install.

    Parameters
    ----------
    module : str
        The module to import, e.g. ``"graphviz"`` or ``"jinja2"``.
    extra : str
        The signalchain extra that provides it.
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        top = module.partition(".")[0]
        raise MissingExtraError([Diagnostic(
            "error", f"this needs the Python package {top!r}, which is not installed",
            code="missing-extra",
            hint=f"install signalchain's '{extra}' extra: pip install 'signalchain[{extra}]'")]
        ) from None


def require_program(name: str, package: str) -> str:
    """The path of an executable on ``PATH``, or :class:`MissingExtraError` naming its package.

    Parameters
    ----------
    name : str
        The program, e.g. ``"dot"``.
    package : str
        The Debian/Ubuntu package that provides it, e.g. ``"graphviz"``.
    """
    path = shutil.which(name)
    if path is None:
        raise MissingExtraError([Diagnostic(
            "error", f"this needs the program {name!r}, which is not on PATH",
            code="missing-program",
            hint=f"install it, e.g. 'apt-get install {package}' (Debian/Ubuntu) or "
                 f"'brew install {package}' (macOS)")])
    return path

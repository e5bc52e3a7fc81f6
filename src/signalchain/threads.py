"""How many threads BLAS may use while signalchain solves: one, unless asked.

The solver's matrices are small (tens of unknowns, a few per point of a batch); OpenBLAS's
default of one thread per core only adds hand-over costs there, and on a busy machine it
made ``tune`` 1 to 8 times slower. ``SIGNALCHAIN_BLAS_THREADS`` changes it: a number of
threads, or ``auto`` for the BLAS library's own choice.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from signalchain.errors import Diagnostic, UsageError

if TYPE_CHECKING:
    from threadpoolctl import ThreadpoolController

ENV_VAR = "SIGNALCHAIN_BLAS_THREADS"
MAX_THREADS = 256

P = ParamSpec("P")
R = TypeVar("R")


def blas_threads() -> int | None:
    """Threads BLAS may use while solving (None: the library's own choice).

    Raises
    ------
    UsageError
        If ``SIGNALCHAIN_BLAS_THREADS`` is neither ``auto`` nor a whole number 1 to 256.
    """
    text = os.environ.get(ENV_VAR, "1").strip()
    if text.lower() == "auto":
        return None
    if text.isascii() and text.isdecimal() and 1 <= int(text) <= MAX_THREADS:
        return int(text)
    raise UsageError([Diagnostic(
        "error", f"{ENV_VAR}={text[:40]!r} is not a thread count",
        hint=f"use a whole number 1 to {MAX_THREADS}, or 'auto' for the BLAS library's "
        "own choice", code="bad-environment")])


_in_force: ContextVar[tuple[int, ThreadpoolController] | None] = ContextVar(
    "signalchain_blas_limit", default=None)
"""The limit :func:`solver_threads` put in force in this context, and the libraries it saw."""


@functools.cache
def _controller_for(scipy_loaded: bool) -> ThreadpoolController:
    import numpy  # noqa: F401 -- the BLAS libraries must be loaded to be found
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


def _controller() -> ThreadpoolController:
    """The BLAS libraries loaded now: NumPy's, and SciPy's once something imported it.

    SciPy is not imported for them (it takes a fifth of a second): code that imports it
    while a limit is in force limits it with :func:`also_newly_loaded`.
    """
    return _controller_for("scipy.linalg" in sys.modules)


@contextmanager
def solver_threads() -> Iterator[None]:
    """Limit BLAS to :func:`blas_threads` threads inside the block (process-wide).

    The limit is process-wide: threads solving at once (a Dask worker's) share it, and the
    last one out restores the count it found.
    """
    count = blas_threads()
    if count is None:
        yield
        return
    controller = _controller()
    token = _in_force.set((count, controller))
    try:
        with controller.limit(limits=count, user_api="blas"):
            yield
    finally:
        _in_force.reset(token)


@contextmanager
def also_newly_loaded() -> Iterator[None]:
    """Inside :func:`solver_threads`, limit BLAS libraries loaded since it began too.

    For code that imports SciPy when it needs it (the sparse solver): SciPy brings a BLAS
    library of its own. Outside a limit, or with nothing new loaded, it does nothing.
    """
    outer = _in_force.get()
    controller = _controller()
    if outer is None or controller is outer[1]:
        yield
        return
    with controller.limit(limits=outer[0], user_api="blas"):
        yield


def on_solver_threads(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` inside :func:`solver_threads`."""
    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with solver_threads():
            return func(*args, **kwargs)

    return wrapper

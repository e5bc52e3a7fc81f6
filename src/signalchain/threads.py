"""How many threads BLAS may use while signalchain solves: one, unless asked.

The solver's matrices are small (tens of unknowns, a few per point of a batch); OpenBLAS's
default of one thread per core only adds hand-over costs there, and on a busy machine it
made ``tune`` 1 to 8 times slower. ``SIGNALCHAIN_BLAS_THREADS`` changes it: a number of
threads, or ``auto`` for the BLAS library's own choice.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
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
    if text.isdigit() and 1 <= int(text) <= MAX_THREADS:
        return int(text)
    raise UsageError([Diagnostic(
        "error", f"{ENV_VAR}={text[:40]!r} is not a thread count",
        hint=f"use a whole number 1 to {MAX_THREADS}, or 'auto' for the BLAS library's "
        "own choice", code="bad-environment")])


@functools.cache
def _controller() -> ThreadpoolController:
    import numpy  # noqa: F401 -- the BLAS libraries must be loaded to be found
    import scipy.linalg  # noqa: F401
    from threadpoolctl import ThreadpoolController

    return ThreadpoolController()


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
    with _controller().limit(limits=count, user_api="blas"):
        yield


def on_solver_threads(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` inside :func:`solver_threads`."""
    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with solver_threads():
            return func(*args, **kwargs)

    return wrapper

"""The render queue: a bounded number of renders at once, a bounded number waiting, a deadline.

A render is CPU work of up to a few seconds; a page (or a script) could ask for many at once.
:class:`RenderQueue` admits a request only while fewer than ``running + waiting`` are in the
house -- past that it refuses at once with :class:`QueueFull` (HTTP 503 with ``Retry-After``)
instead of letting the queue grow -- runs at most ``running`` at a time, and gives each one a
deadline counted from its admission (waiting included); the render checks it between blocks
and stops with :class:`~signalchain.render.clips.RenderTimeLimit`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from signalchain.errors import Diagnostic, RigError
from signalchain.render.clips import RenderTimeLimit


class QueueFull(RigError):
    """The render queue has no room: the request is refused, not queued."""


@dataclass(frozen=True)
class QueueLimits:
    """How much rendering the server takes on."""

    running: int = 2
    """Renders at once (this machine has 2 cores)."""
    waiting: int = 4
    """Renders admitted to wait for a free slot; beyond them requests are refused."""
    time_limit_s: float = 30.0
    """From admission to the last clip, waiting included."""


class RenderQueue:
    """Admission, concurrency and deadlines for renders, or other CPU work (thread-safe).

    The server keeps two: one for renders (and the report's clips), one for advise and
    tune, so that neither kind of request can take every core.
    """

    def __init__(self, limits: QueueLimits | None = None, work: str = "render"):
        self.limits = limits or QueueLimits()
        self.work = work
        """What the queue runs, for messages (``render``, ``advise or tune``)."""
        self._lock = threading.Lock()
        self._slots = threading.Semaphore(self.limits.running)
        self._admitted = 0
        self.refused = 0
        self.completed = 0

    @property
    def capacity(self) -> int:
        """Requests admitted at most (running and waiting)."""
        return self.limits.running + self.limits.waiting

    @property
    def admitted(self) -> int:
        """Renders running or waiting now."""
        with self._lock:
            return self._admitted

    @contextmanager
    def slot(self) -> Iterator[float]:
        """Wait for a render slot; yields the deadline (a :func:`time.monotonic` time).

        Raises
        ------
        QueueFull
            At once, when ``running + waiting`` renders are already admitted.
        RenderTimeLimit
            When no slot frees up before the deadline.
        """
        with self._lock:
            if self._admitted >= self.capacity:
                self.refused += 1
                raise QueueFull([Diagnostic(
                    "error", f"the server is busy: {self.limits.running} {self.work} "
                    f"requests running and {self.limits.waiting} waiting, so this one was "
                    "not started",
                    hint="try again in a few seconds", code="queue-full")])
            self._admitted += 1
        deadline = time.monotonic() + self.limits.time_limit_s
        try:
            if not self._slots.acquire(timeout=self.limits.time_limit_s):
                raise RenderTimeLimit([Diagnostic(
                    "error", f"the {self.work} request waited longer than its time limit "
                    f"({self.limits.time_limit_s:g} s) for a free slot and was dropped",
                    hint="try again when the server is less busy",
                    code="render-time-limit")])
            try:
                yield deadline
                self.completed += 1
            finally:
                self._slots.release()
        finally:
            with self._lock:
                self._admitted -= 1

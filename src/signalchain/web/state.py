"""What the server holds between requests: catalog, solved rigs, render queue, workspace.

One :class:`ServerState` per application, shared by its routes (thread-safe).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from signalchain.catalog import Catalog
from signalchain.rig import Rig
from signalchain.web.jobs import QueueLimits, RenderQueue
from signalchain.web.workspace import Workspace

if TYPE_CHECKING:
    from signalchain.advise import Advice

RIG_CACHE_SIZE = 32
"""Solved rigs kept for their text (a few megabytes each at most, bounded by the limits)."""
ADVICE_CACHE_SIZE = 8


def text_key(*parts: object) -> str:
    """A cache key for a rig text and the options asked with it."""
    joined = "\x00".join(str(p) for p in parts)
    return hashlib.sha256(joined.encode("utf-8", "surrogatepass")).hexdigest()


@dataclass
class ServerState:
    """The server's catalog, caches, render queue and workspace."""

    catalog: Catalog
    workspace: Workspace
    queue: RenderQueue = field(default_factory=RenderQueue)
    """Renders and the report's clips."""
    work: RenderQueue = field(default_factory=lambda: RenderQueue(
        QueueLimits(running=2, waiting=8, time_limit_s=60.0), "advise or tune"))
    """Advise and tune (a second or two of CPU each)."""
    _rigs: OrderedDict[str, Rig] = field(default_factory=OrderedDict)
    _advice: OrderedDict[str, Advice] = field(default_factory=OrderedDict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def rig(self, text: str) -> Rig:
        """The rig of this text, solved once: the same text again (a knob moved) reuses it.

        Raises
        ------
        RigError
            If the text is not a valid rig (the same diagnostics as ``check``).
        """
        key = text_key(text)
        with self._lock:
            if key in self._rigs:
                self._rigs.move_to_end(key)
                return self._rigs[key]
        rig = Rig.from_text(text, "rig.yaml", self.catalog)
        rig.graph  # noqa: B018 -- build and solve now (errors are the request's)
        with self._lock:
            self._rigs[key] = rig
            while len(self._rigs) > RIG_CACHE_SIZE:
                self._rigs.popitem(last=False)
        return rig

    def advice(self, text: str, priority: str, length_m: float, target_spl_db: float
               ) -> Advice:
        """``advise`` for this rig text and options (kept for the next question about it)."""
        key = text_key(text, priority, length_m, target_spl_db)
        with self._lock:
            if key in self._advice:
                self._advice.move_to_end(key)
                return self._advice[key]
        rig = Rig.from_text(text, "rig.yaml", self.catalog)
        rig.resolved  # noqa: B018 -- unknown ids are reported here
        with self.work.slot():
            advice = rig.advise(priority=priority, length_m=length_m,
                                target_spl_db=target_spl_db)
        with self._lock:
            self._advice[key] = advice
            while len(self._advice) > ADVICE_CACHE_SIZE:
                self._advice.popitem(last=False)
        return advice

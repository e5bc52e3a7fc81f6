"""What ``simulate`` computes, as immutable data (no English: see :mod:`signalchain.report`).

:class:`Evaluation` holds one :class:`ListenerFigures` per listener, each with two
:class:`EarFigures`, the headroom of every stage on someone's path and the findings. All
levels are for the reference program: a 1 kHz sine at −18 dBFS RMS per source channel.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, Literal, TypeVar, overload

import numpy as np

from signalchain import thresholds as th
from signalchain.findings import Finding
from signalchain.refs import KnobRef

if TYPE_CHECKING:
    from signalchain.recording import InputFigures, VoiceAtEar

Polarity = Literal[1, -1]
T = TypeVar("T")


class derived(Generic[T]):  # noqa: N801 -- used as a decorator, like ``property``
    """A figure computed from the others on first read, then kept on the instance.

    (``functools.cached_property`` does the same, but on Python 3.11 it takes a lock on
    every read: a sweep reads these millions of times.)
    """

    def __init__(self, func: Callable[[Any], T]) -> None:
        self.func = func
        self.name: str = func.__name__
        self.__doc__ = func.__doc__

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> derived[T]: ...
    @overload
    def __get__(self, obj: object, owner: type | None = None) -> T: ...
    def __get__(self, obj: object | None, owner: type | None = None) -> T | derived[T]:
        if obj is None:
            return self
        value: T = self.func(obj)
        obj.__dict__[self.name] = value  # a frozen dataclass too: the instance's own dict
        return value


LimitKind = Literal["swing", "differential-swing", "common-mode-swing", "current", "input",
                    "rated-power"]
"""What limits a stage: an output's voltage swing (single-ended, differential, or the common
mode of a grounded leg), its current, an input's maximum level, headphones' rated power."""


@dataclass(frozen=True)
class ChannelAtEar:
    """One program source channel arriving at an ear.

    ``crosstalk`` is True when it arrives more than :data:`~signalchain.thresholds.CROSSTALK_DB`
    below the listener's loudest program entry at either ear (ground return or leakage).
    """

    channel: str
    spl_db: float
    polarity: Polarity
    crosstalk: bool = False


@dataclass(frozen=True)
class EarFigures:
    """What one ear gets."""

    program: tuple[ChannelAtEar, ...]
    noise_spl_dba: float
    hum_spl_dba: float
    response_db: np.ndarray = field(compare=False, repr=False)
    """Level of the strongest channel over the frequency grid, re its 1 kHz level."""

    @property
    def noise_audible(self) -> bool:
        """Hiss at or above :data:`~signalchain.thresholds.HISS_AUDIBLE_DBA`."""
        return self.noise_spl_dba >= th.HISS_AUDIBLE_DBA

    @property
    def hum_audible(self) -> bool:
        """Hum at or above :data:`~signalchain.thresholds.HUM_AUDIBLE_DBA`."""
        return self.hum_spl_dba >= th.HUM_AUDIBLE_DBA


@dataclass(frozen=True)
class VolumeControl:
    """A knob on a listener's path (``physical`` False for a computer's software volume)."""

    knob: KnobRef
    physical: bool


@dataclass(frozen=True)
class StageLimit:
    """What limits a stage: ``kind`` and its ``value`` (V RMS, A RMS, or mW for headphones)."""

    kind: LimitKind
    value: float


@dataclass(frozen=True)
class StageHeadroom:
    """Headroom of one stage for a 0 dBFS sine on every source channel."""

    id: str
    headroom_db: float
    limit: StageLimit


@dataclass(frozen=True)
class Assumption:
    """A value a result rests on that no source gives.

    ``subject`` is a catalog id, ``'<device> (inline)'`` or ``'environment'``; ``path`` the
    value (``ports.headphones.noise_dbu``); ``reason`` why it was assumed.
    """

    subject: str
    path: str
    reason: str


@dataclass(frozen=True)
class ListenerFigures:
    """Everything simulate says about one listener."""

    id: str
    device: str
    """Catalog id of the headphones (the listener id for inline ones)."""
    name: str
    """The headphones' own name (an inline device's ``name:``, or the catalog's)."""
    feed: str | None
    """The active stage that drives the headphones (``hm4.out1``), if any."""
    ears: Mapping[str, EarFigures]
    peak_spl_db: float
    clips_at_dbfs: float | None
    clip_stage: str | None
    volume_controls: tuple[VolumeControl, ...]
    stages_on_path: tuple[str, ...]
    inputs_on_path: tuple[str, ...]
    warnings: tuple[Finding, ...] = ()
    assumptions: tuple[Assumption, ...] = ()
    voices: tuple[VoiceAtEar, ...] = ()
    """The talkers' voices at each ear, through direct monitoring."""
    recorded_noise_spl_dba: float | None = None
    """The recording's noise floor (the noisiest input) played back through this listener's
    chain at these knobs, dB(A) SPL: the same units as their hiss. None without inputs."""
    monitor_latency_ms: float | None = None
    """How late the voices reach them through the computer (software monitoring), or None."""

    @derived
    def program_spl_db(self) -> float:
        """Loudest program channel at either ear (dB SPL, reference program)."""
        levels = [c.spl_db for e in self.ears.values() for c in e.program]
        return max(levels) if levels else -math.inf

    def program_at(self, side: str) -> list[ChannelAtEar]:
        """Channels that are program at this ear, not crosstalk."""
        return [c for c in self.ears[side].program if not c.crosstalk]

    def crosstalk_at(self, side: str) -> list[ChannelAtEar]:
        """Channels that reach this ear only as crosstalk."""
        return [c for c in self.ears[side].program if c.crosstalk]

    @derived
    def noise_spl_dba(self) -> float:
        """Worse ear's hiss (dBA)."""
        return max(e.noise_spl_dba for e in self.ears.values())

    @derived
    def hum_spl_dba(self) -> float:
        """Worse ear's hum (dBA)."""
        return max(e.hum_spl_dba for e in self.ears.values())

    @property
    def path_ids(self) -> tuple[str, ...]:
        """Every stage id whose headroom limits this listener (stages, inputs, drivers)."""
        return (*self.stages_on_path, *self.inputs_on_path, f"{self.id}.drivers")


@dataclass(frozen=True)
class Evaluation:
    """The result of ``simulate``."""

    rig: str
    listeners: tuple[ListenerFigures, ...]
    stages: tuple[StageHeadroom, ...]
    warnings: tuple[Finding, ...]
    """Findings about the rig as a whole (not about one listener)."""
    knobs: Mapping[str, float]
    """Every knob's position used (``device.knob`` → 0..1)."""
    assumptions: tuple[Assumption, ...]
    """The environment's assumed values (the listeners carry their devices')."""
    sources: tuple[str, ...] = ("L", "R")
    """The named program source channels (the computer's playback channels)."""
    inputs: tuple[InputFigures, ...] = ()
    """What each recording input of the rig's interfaces records."""

    def listener(self, listener_id: str) -> ListenerFigures:
        """The figures of one listener (KeyError if there is none)."""
        for lf in self.listeners:
            if lf.id == listener_id:
                return lf
        raise KeyError(listener_id)

    def stage(self, stage_id: str) -> StageHeadroom:
        """The headroom row of one stage (KeyError if it is on nobody's path)."""
        for s in self.stages:
            if s.id == stage_id:
                return s
        raise KeyError(stage_id)

    @property
    def rig_findings(self) -> tuple[Finding, ...]:
        """The rig's findings that are about no listener's path (the others are in theirs)."""
        on_a_path = {s for lf in self.listeners for s in lf.stages_on_path}
        return tuple(w for w in self.warnings if w.subject not in on_a_path)

    @property
    def findings(self) -> tuple[Finding, ...]:
        """Every finding once: the rig's own, then each listener's."""
        return (*self.rig_findings, *(w for lf in self.listeners for w in lf.warnings))

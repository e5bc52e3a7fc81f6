"""The API's request bodies, with every value range-checked (extra keys refused)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from signalchain import thresholds as th
from signalchain.limits import Limits

MAX_RIG_CHARS = Limits().rig_bytes
"""A rig text's length at most: the rig-file limit (its UTF-8 size is checked again on load)."""
MAX_MAP_ENTRIES = 256

RigText = Annotated[str, Field(min_length=1, max_length=MAX_RIG_CHARS,
                               description="the rig file's YAML text")]
Spl = Annotated[float, Field(ge=20.0, le=130.0, description="dB SPL")]


class RigRequest(BaseModel):
    """A rig, as the text of a rig file."""

    model_config = ConfigDict(extra="forbid")
    rig: RigText


KnobMap = dict[Annotated[str, Field(max_length=130)],
               float | Annotated[str, Field(max_length=16)]]
"""Knob positions: ``device.knob`` → 0..1 or a percentage (``"60%"``)."""


class SimulateRequest(RigRequest):
    """A rig and knob positions over its own (``device.knob`` → 0..1 or ``"60%"``)."""

    knobs: KnobMap = Field(default_factory=dict, max_length=MAX_MAP_ENTRIES)


class TuneRequest(RigRequest):
    """What ``tune`` aims for."""

    target_spl_db: Spl = th.DEFAULT_TARGET_SPL_DB
    headroom_db: Annotated[float, Field(ge=0.0, le=40.0)] = th.DEFAULT_HEADROOM_DB
    listener_targets: dict[Annotated[str, Field(max_length=64)], Spl] = Field(
        default_factory=dict, max_length=MAX_MAP_ENTRIES)


class AdviseRequest(RigRequest):
    """What ``advise`` ranks by."""

    priority: Literal["quality", "convenience"] = "quality"
    length_m: Annotated[float, Field(gt=0.0, le=1000.0)] = 3.0
    target_spl_db: Spl = th.DEFAULT_TARGET_SPL_DB


class ReportRequest(RigRequest):
    """What the report contains; clips can only play built-in programs here."""

    tune: bool = False
    advise: bool = False
    listen: bool = True
    program: Annotated[str, Field(pattern=r"^builtin:[a-z0-9-]{1,32}$")] = "builtin:music"
    seconds: Annotated[float, Field(ge=1.0, le=30.0)] = 10.0
    target_spl_db: Spl = th.DEFAULT_TARGET_SPL_DB


class AdviseRigRequest(AdviseRequest):
    """Which of advise's methods to turn into a rig (0 = the first, the recommended one)."""

    index: Annotated[int, Field(ge=0, le=255)] = 0


class KnobsRequest(RigRequest):
    """Knob positions to write into the rig's text (``device.knob`` → 0..1 or ``"60%"``)."""

    knobs: KnobMap = Field(default_factory=dict, max_length=MAX_MAP_ENTRIES)


class SaveRequest(RigRequest):
    """A rig to keep in the workspace; ``replace`` overwrites one of the same name."""

    replace: bool = False

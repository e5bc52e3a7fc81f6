"""The rig file, format 1 (the public contract in DESIGN.md)."""

from __future__ import annotations

import typing
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BeforeValidator, Discriminator, Field, Tag, field_validator, model_validator
from pydantic_core import PydanticCustomError

from signalchain.errors import RigValidationError, error_at
from signalchain.schema.budget import limit_value, over_limit
from signalchain.schema.common import Strict
from signalchain.schema.device import DeviceKind, DeviceSpec, MonitorMode
from signalchain.schema.editor import Case, Cases
from signalchain.schema.quantities import (
    AdapterId,
    CableModelId,
    DeviceId,
    DeviceModelId,
    EndId,
    Fraction,
    GroundOffsetV,
    HarmonicDb,
    KnobId,
    LengthM,
    MicDistanceM,
    Name,
    OutletId,
    PlugRef,
    PortId,
    PortRef,
    ProgramText,
    SpeechDb,
    doc,
)

if TYPE_CHECKING:
    from signalchain.schema.loader import YamlDocument

MAX_ADAPTERS = 8
"""Most adapters in a chain at one cable end or plug."""


class Environment(Strict):
    """Where the rig lives: mains frequency and how far apart the outlets' grounds are."""

    mains_hz: Literal[50, 60] = 60
    ground_offset_v: GroundOffsetV = Field(default=0.01, description=doc(
        "ground-potential difference between two outlets at the mains fundamental (default "
        "10 mV: between 'a few millivolts' on one strip and 'a few volts' between distant "
        "outlets; see docs/physics.md, hum)", GroundOffsetV))
    hum_harmonics_db: dict[int, HarmonicDb] = Field(
        default_factory=lambda: {1: 0.0, 2: -20.0, 3: -10.0, 5: -16.0, 7: -22.0, 9: -28.0},
        description=doc("level of each mains harmonic (order 1..30) in the ground voltage, "
                        "re the fundamental", HarmonicDb))

    @field_validator("hum_harmonics_db")
    @classmethod
    def _positive_orders(cls, v: dict[int, float]) -> dict[int, float]:
        bad = [k for k in v if k < 1 or k > 30]
        if bad:
            raise ValueError(f"harmonic orders must be 1..30, not {bad}")
        return v


DEFAULT_SPEECH_DB_SPL = 89.0
"""Average speech level at 25 mm from the lips (the mouth reference point)."""
MOUTH_REFERENCE_M = 0.025


class Settings(Strict):
    """Switches of a device besides its knobs (interfaces)."""

    direct_monitor: MonitorMode | None = Field(
        default=None, description="the interface's direct monitoring: off, mono or stereo "
        "(default: the device's own default)")
    phantom: list[PortId] = Field(default_factory=list, max_length=64, description="inputs "
                                  "with +48 V phantom power switched on")
    software_monitoring: Annotated[int, Field(ge=16, le=8192)] | None = Field(
        default=None, description="the computer plays the inputs back to the outputs (a DAW's "
        "input monitoring, each input in the middle) at this buffer size in frames, 16-8192; "
        "with direct monitoring off")


class Talker(Strict):
    """A person speaking into a microphone (and, as ``listener``, hearing themselves)."""

    mic: DeviceId = Field(description="the microphone device they speak into")
    distance: MicDistanceM = Field(default=0.1, description=doc(
        "from the lips to the microphone", MicDistanceM))
    speech_db_spl: SpeechDb = Field(default=DEFAULT_SPEECH_DB_SPL, description=doc(
        "average speech level at 25 mm from the lips (89 dB SPL is a normal voice); it "
        "falls 6 dB per doubling of distance", SpeechDb))
    listener: DeviceId | None = Field(default=None, description="their headphones, if they "
                                      "monitor: 'alice' hears her own voice")
    voice: Literal["builtin:speech", "builtin:music", "builtin:pink", "builtin:sine1k",
                   "builtin:silence"] = Field(
        default="builtin:speech", description="what they say when rendered (a built-in "
        "signal, scaled to their speech level): builtin:speech, music, pink, sine1k or "
        "silence")

    def spl_at_mic_db(self) -> float:
        """Average speech level at the microphone, dB SPL (inverse-distance law)."""
        import math

        return self.speech_db_spl - 20.0 * math.log10(self.distance / MOUTH_REFERENCE_M)


class DeviceUse(Strict):
    """A catalog device used in a rig, with its knob settings."""

    model: DeviceModelId = Field(description="catalog id, e.g. "
                                 "focusrite/scarlett-2i2-3rd-gen")
    name: Name = ""
    knobs: dict[KnobId, Fraction] = Field(default_factory=dict, description=doc(
        "knob positions by knob name", Fraction))
    outlet: OutletId | None = Field(default=None, description="mains-earthed devices on the "
                                    "same outlet (or power strip) name share a ground potential")
    settings: Settings = Field(default_factory=Settings, description="switches besides the "
                               "knobs: direct monitoring, phantom power")


class InlineDevice(DeviceSpec):
    """A device defined in the rig file itself (same schema as the catalog) plus knob settings."""

    knob_positions: dict[KnobId, Fraction] = Field(default_factory=dict, alias="set",
                                                   description=doc("knob positions by knob "
                                                                   "name", Fraction))
    outlet: OutletId | None = None
    settings: Settings = Field(default_factory=Settings)


def _device_tag(value: Any) -> str | None:
    if isinstance(value, str):
        return "catalog-id"
    if isinstance(value, DeviceUse) or (isinstance(value, dict) and "model" in value):
        return "catalog-device"
    # a mapping without 'model' is an inline device, even without 'kind': its own errors
    # (a missing kind, a misspelt 'model') are more helpful than "not a device"
    if isinstance(value, dict | InlineDevice):
        return "inline-device"
    return None


DeviceEntry = Annotated[
    Annotated[DeviceModelId, Tag("catalog-id")] | Annotated[DeviceUse, Tag("catalog-device")]
    | Annotated[InlineDevice, Tag("inline-device")],
    Discriminator(_device_tag, custom_error_type="device_entry",
                  custom_error_message="a device is a catalog id, a mapping with 'model:' (a "
                  "catalog id) and 'knobs:', or an inline device with 'kind:' (one of "
                  f"{', '.join(typing.get_args(DeviceKind))})"),
    Cases((Case("catalog-id", {"type": "string"}),
           Case("catalog-device", {"type": "object", "required": ["model"]})),
          otherwise="inline-device"),
]
"""A device of a rig: a catalog id, ``{model: ID, knobs: ...}``, or an inline device (with
``kind``)."""


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


Adapters = Annotated[list[AdapterId], Field(max_length=MAX_ADAPTERS),
                     BeforeValidator(_one_or_many,
                                     json_schema_input_type=AdapterId | Annotated[
                                         list[AdapterId], Field(max_length=MAX_ADAPTERS)]),
                     Cases((Case("one", {"type": "string"}),), otherwise="list")]


class EndRef(Strict):
    """A cable end plugged into ``device.port``, optionally through adapters."""

    port: PortRef = Field(description="'device.port'")
    via: Adapters = Field(default_factory=list, description="adapters, from the cable outwards")


def _end_ref(value: Any) -> Any:
    return {"port": value} if isinstance(value, str) else value


EndRefIn = Annotated[EndRef, BeforeValidator(_end_ref, json_schema_input_type=PortRef | EndRef),
                     Field(description="'device.port' or {port, via}"),
                     Cases((Case("port", {"type": "string"}),), otherwise="end")]


def _ends_tag(value: Any) -> str:
    return "by-name" if isinstance(value, dict) else "in-order"


Ends = Annotated[
    Annotated[list[EndRefIn], Field(max_length=64), Tag("in-order")]
    | Annotated[dict[EndId, EndRefIn], Field(max_length=64), Tag("by-name")],
    Discriminator(_ends_tag),
    Cases((Case("in-order", {"type": "array"}),), otherwise="by-name"),
]


class CableConnection(Strict):
    """``cable: ID`` with ``ends`` in the cable's end order (a list) or by end name (a mapping)."""

    cable: CableModelId = Field(description="catalog id of the cable (or adapter)")
    length: LengthM | None = Field(default=None, description=doc(
        "cable length (the catalog's default length if not given)", LengthM))
    ends: Ends


class PlugConnection(Strict):
    """A device with a captive plug (headphones, a Y splitter) plugged ``into`` a port."""

    plug: PlugRef = Field(description="device id, or 'device.port' if it has several plugs")
    into: PortRef = Field(description="'device.port'")
    via: Adapters = Field(default_factory=list, description="adapters, from the plug outwards")


def _connection_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        if "cable" in value:
            return "cable-connection"
        if "plug" in value:
            return "plug-connection"
        return None
    return "cable-connection" if isinstance(value, CableConnection) else "plug-connection"


_CONNECTION_KINDS = "a connection has either 'cable:' and 'ends:', or 'plug:' and 'into:'"
Connection = Annotated[
    Annotated[CableConnection, Tag("cable-connection")]
    | Annotated[PlugConnection, Tag("plug-connection")],
    Discriminator(_connection_tag, custom_error_type="connection_kind",
                  custom_error_message=_CONNECTION_KINDS),
    Cases((Case("cable-connection", {"type": "object", "required": ["cable"]}),
           Case("plug-connection", {"type": "object", "required": ["plug"]})),
          otherwise={"type": "object", "required": ["cable", "ends"],
                     "description": _CONNECTION_KINDS}),
]


class RigSpec(Strict):
    """A rig file (format 1)."""

    signalchain: Literal[1] = Field(description="format version; must be 1")
    name: Name = ""
    program: ProgramText = "builtin:music"
    samplerate: Literal[44100, 48000, 88200, 96000] = Field(
        default=48000, description="sample rate the rig renders at (programs are resampled)")
    environment: Environment = Field(default_factory=Environment)
    devices: dict[DeviceId, DeviceEntry] = Field(description="devices by id (at most the "
                                                 "devices limit: signalchain limits)")
    connections: list[Connection] = Field(default_factory=list, description="at most the "
                                          "connections limit: signalchain limits")
    talkers: dict[DeviceId, Talker] = Field(default_factory=dict, max_length=64, description=(
        "people speaking into the rig's microphones, by name"))

    @field_validator("devices", mode="before")
    @classmethod
    def _not_too_many_devices(cls, v: Any) -> Any:
        _check_count(v, "devices", "the rig's number of devices")
        return v

    @field_validator("connections", mode="before")
    @classmethod
    def _not_too_many_connections(cls, v: Any) -> Any:
        _check_count(v, "connections", "the rig's number of connections")
        return v

    @model_validator(mode="after")
    def _not_empty(self) -> RigSpec:
        if not self.devices:
            raise ValueError("a rig needs at least one device")
        return self


def _check_count(value: Any, limit: str, what: str) -> None:
    if isinstance(value, dict | list) and len(value) > limit_value(limit):
        message, hint = over_limit(limit, what, len(value), suggest=len(value))
        raise PydanticCustomError("limit", "{message}", {"message": message, "hint": hint})


def check_listener_count(kinds: Mapping[str, str], doc: YamlDocument) -> None:
    """Refuse a rig with more headphones than the ``listeners`` limit.

    Parameters
    ----------
    kinds : mapping
        Device id -> device kind, once catalog ids are resolved.
    doc : YamlDocument
        The rig file, for the location of ``devices:``.

    Raises
    ------
    RigValidationError
        Naming the limit and how to raise it.
    """
    listeners = sum(kind == "headphones" for kind in kinds.values())
    if listeners > limit_value("listeners"):
        message, hint = over_limit("listeners", "the rig's number of headphones", listeners,
                                   suggest=listeners)
        loc, path = doc.location(("devices",))
        raise RigValidationError([error_at(f"{path}: {message}" if path else message, loc,
                                           path=path, hint=hint, code="limit")])

"""The rig file, format 1 (the public contract in DESIGN.md)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Discriminator, Field, Tag, field_validator, model_validator

from signalchain.schema.common import Strict
from signalchain.schema.device import DeviceSpec
from signalchain.schema.quantities import Fraction, LengthM, VoltsRms


class Environment(Strict):
    """Where the rig lives: mains frequency and how far apart the outlets' grounds are."""

    mains_hz: Literal[50, 60] = 60
    ground_offset_v: VoltsRms = Field(
        default=0.01, description="ground-potential difference between two outlets at the mains "
        "fundamental (default 10 mV: between 'a few millivolts' on one strip and 'a few volts' "
        "between distant outlets, electrical.md §2)")
    hum_harmonics_db: dict[int, float] = Field(
        default_factory=lambda: {1: 0.0, 2: -20.0, 3: -10.0, 5: -16.0, 7: -22.0, 9: -28.0},
        description="level of each mains harmonic in the ground voltage, re the fundamental")

    @field_validator("hum_harmonics_db")
    @classmethod
    def _positive_orders(cls, v: dict[int, float]) -> dict[int, float]:
        bad = [k for k in v if k < 1 or k > 30]
        if bad:
            raise ValueError(f"harmonic orders must be 1..30, not {bad}")
        return v


class DeviceUse(Strict):
    """A catalog device used in a rig, with its knob settings."""

    model: str = Field(description="catalog id, e.g. focusrite/scarlett-2i2-3rd-gen")
    name: str = ""
    knobs: dict[str, Fraction] = Field(default_factory=dict)
    outlet: str | None = Field(default=None, description="mains-earthed devices on the same "
                               "outlet (or power strip) name share a ground potential")


class InlineDevice(DeviceSpec):
    """A device defined in the rig file itself (same schema as the catalog) plus knob settings."""

    knob_positions: dict[str, Fraction] = Field(default_factory=dict, alias="set")
    outlet: str | None = None


def _device_tag(value: Any) -> str:
    if isinstance(value, str):
        return "catalog-id"
    if isinstance(value, dict | DeviceUse) and (not isinstance(value, dict) or "model" in value):
        return "catalog-device"
    return "inline-device"


DeviceEntry = Annotated[
    Annotated[str, Tag("catalog-id")] | Annotated[DeviceUse, Tag("catalog-device")]
    | Annotated[InlineDevice, Tag("inline-device")],
    Discriminator(_device_tag),
]


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, str) else value


Adapters = Annotated[list[str], BeforeValidator(_one_or_many,
                                                json_schema_input_type=str | list[str])]


class EndRef(Strict):
    """A cable end plugged into ``device.port``, optionally through adapters."""

    port: str = Field(pattern=r"^[^.\s]+\.[^.\s]+$", description="'device.port'")
    via: Adapters = Field(default_factory=list, description="adapters, from the cable outwards")


def _end_ref(value: Any) -> Any:
    return {"port": value} if isinstance(value, str) else value


EndRefIn = Annotated[EndRef, BeforeValidator(_end_ref, json_schema_input_type=str | EndRef),
                     Field(description="'device.port' or {port, via}")]


class CableConnection(Strict):
    """``cable: ID`` with ``ends`` in the cable's end order (a list) or by end name (a mapping)."""

    cable: str
    length: LengthM | None = None
    ends: list[EndRefIn] | dict[str, EndRefIn]


class PlugConnection(Strict):
    """A device with a captive plug (headphones, a Y splitter) plugged ``into`` a port."""

    plug: str = Field(description="device id, or 'device.port' if it has several plugs")
    into: str = Field(pattern=r"^[^.\s]+\.[^.\s]+$", description="'device.port'")
    via: Adapters = Field(default_factory=list, description="adapters, from the plug outwards")


def _connection_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        if "cable" in value:
            return "cable-connection"
        if "plug" in value:
            return "plug-connection"
        return None
    return "cable-connection" if isinstance(value, CableConnection) else "plug-connection"


Connection = Annotated[
    Annotated[CableConnection, Tag("cable-connection")]
    | Annotated[PlugConnection, Tag("plug-connection")],
    Discriminator(_connection_tag, custom_error_type="connection_kind",
                  custom_error_message="a connection has either 'cable:' and 'ends:', or "
                  "'plug:' and 'into:'"),
]


class RigSpec(Strict):
    """A rig file (format 1)."""

    signalchain: Literal[1] = Field(description="format version; must be 1")
    name: str = ""
    program: str = "builtin:music"
    samplerate: Literal[44100, 48000, 88200, 96000] = Field(
        default=48000, description="sample rate the rig renders at (programs are resampled)")
    environment: Environment = Field(default_factory=Environment)
    devices: dict[str, DeviceEntry]
    connections: list[Connection] = Field(default_factory=list)

    @field_validator("devices")
    @classmethod
    def _ids(cls, v: dict[str, Any]) -> dict[str, Any]:
        for name in v:
            if "." in name or not name.strip():
                raise ValueError(f"device name {name!r} must be non-empty and contain no '.'")
        return v

    @model_validator(mode="after")
    def _not_empty(self) -> RigSpec:
        if not self.devices:
            raise ValueError("a rig needs at least one device")
        return self

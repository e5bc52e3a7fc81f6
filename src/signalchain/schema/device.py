"""Device entries: the same schema serves catalog files and inline devices in a rig."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from signalchain.schema.budget import limit_value, over_limit
from signalchain.schema.common import Provenance, Strict
from signalchain.schema.editor import Case, Cases
from signalchain.schema.quantities import (
    AdapterId,
    CatalogId,
    ChannelId,
    CmrrDb,
    ContactRef,
    CordOhm,
    CurveZOhm,
    DynamicRangeDb,
    EarthOhm,
    EinDbu,
    Fraction,
    FreqHz,
    FullScaleV,
    GainDb,
    HeadphoneZOhm,
    InMaxV,
    InputAt0DbfsDbu,
    KnobId,
    Label,
    LatencyMs,
    LeakageUa,
    MaxCurrentMa,
    MaxPowerMw,
    MaxSplDb,
    MaxV,
    MicSensitivityMv,
    Name,
    NoiseDbu,
    Note,
    PortId,
    PreampGainDb,
    SelfNoiseDba,
    SensitivityDb,
    TaperDb,
    TaperPosition,
    ZCommonModeOhm,
    ZInOhm,
    ZOutOhm,
    doc,
)

Connector = Literal["trs-6.35", "ts-6.35", "trs-3.5", "ts-3.5", "xlr-3", "combo", "rca",
                    "usb-a", "usb-b", "usb-c", "usb-any"]
Gender = Literal["jack", "plug"]
Direction = Literal["out", "in", "host"]
SignalKind = Literal["stereo", "balanced", "unbalanced", "host"]
OutputTopology = Literal["impedance", "push-pull", "servo", "transformer"]
InputTopology = Literal["differential", "transformer"]
DeviceKind = Literal["computer", "interface", "amp", "headphones", "splitter", "microphone"]
Power = Literal["usb-bus", "mains-earthed", "mains-floating", "battery", "none"]
MAX_TABLE_POINTS = 1000
"""Most points in a taper or impedance-curve table."""


def _table_error(message: str, hint: str) -> PydanticCustomError:
    return PydanticCustomError("bad_table", "{message}", {"message": message, "hint": hint})


def _taper_points(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    for i in range(1, len(points)):
        (x0, db0), (x1, db1) = points[i - 1], points[i]
        if x1 <= x0:
            raise _table_error(
                f"taper point {i + 1} is at position {x1:g}, not after point {i}'s {x0:g}",
                "list [position, dB] points with positions rising from 0 to 1")
        if db1 < db0:
            raise _table_error(
                f"taper point {i + 1} ({db1:g} dB) is quieter than point {i} ({db0:g} dB); "
                "a volume knob's gain cannot fall as it goes up",
                "list [position, dB] points with dB rising as the knob goes up")
    return points


TaperPoints = Annotated[
    list[tuple[TaperPosition, TaperDb]],
    Field(min_length=2, max_length=MAX_TABLE_POINTS),
    AfterValidator(_taper_points),
]


def _taper_tag(value: Any) -> str:
    return "named" if isinstance(value, str) else "points"


Taper = Annotated[
    Annotated[Literal["audio", "linear"], Tag("named")] | Annotated[TaperPoints, Tag("points")],
    Discriminator(_taper_tag),
    Cases((Case("named", {"type": "string"}),), otherwise="points"),
]


def _curve_points(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    for i in range(1, len(points)):
        f0, f1 = points[i - 1][0], points[i][0]
        if f1 <= f0:
            raise _table_error(
                f"z_curve point {i + 1} is at {f1:g} Hz, not above point {i}'s {f0:g} Hz",
                "list [frequency_hz, impedance_ohm] points with rising frequencies")
    return points


ZCurve = Annotated[
    list[tuple[FreqHz, CurveZOhm]],
    Field(min_length=2, max_length=MAX_TABLE_POINTS),
    AfterValidator(_curve_points),
]


def _channels_tag(value: Any) -> str:
    return "pair" if isinstance(value, dict) else "one"


Channels = Annotated[
    Annotated[ChannelId, Tag("one")]
    | Annotated[dict[Literal["left", "right"], ChannelId], Tag("pair")],
    Discriminator(_channels_tag),
    Cases((Case("pair", {"type": "object"}),), otherwise="one"),
]


class Knob(Strict):
    """A volume control.

    Attributes
    ----------
    label : str
        What the front panel calls it.
    taper : 'audio', 'linear' or [[position, dB], ...]
        How position maps to gain (see :func:`signalchain.units.taper_gain`).
    default : float
        Position used when the rig does not set it.
    physical : bool
        False for a software-only control (a DAW fader or mixer app).
    """

    label: Label = ""
    taper: Taper = Field(default="audio", description="'audio', 'linear' or 2 to "
                         f"{MAX_TABLE_POINTS} [position, dB] points: positions 0..1 rising, "
                         "dB -200..40 not falling")
    default: Fraction = Field(default=0.5, description=doc("position used when the rig does "
                                                           "not set it", Fraction))
    physical: bool = True


class NoiseSpec(Strict):
    """A-weighted output noise with no signal, in dBu(A), at both ends of the knob's travel."""

    knob_min_dbu_a: NoiseDbu = Field(description=doc(
        "noise with the knob fully down (post-knob floor)", NoiseDbu))
    knob_max_dbu_a: NoiseDbu = Field(description=doc("noise with the knob fully up", NoiseDbu))

    @model_validator(mode="after")
    def _ordered(self) -> NoiseSpec:
        if self.knob_max_dbu_a < self.knob_min_dbu_a:
            raise ValueError(
                f"knob_max_dbu_a ({self.knob_max_dbu_a}) is below knob_min_dbu_a "
                f"({self.knob_min_dbu_a}); noise cannot fall as the knob goes up")
        return self


class PreampSpec(Strict):
    """A microphone preamp and ADC behind an interface input: what the computer records.

    The gain knob's taper gives dB re full gain (``[[0, -56], [1, 0]]`` for a 56 dB range
    linear in dB); at position ``x`` the preamp's gain is ``gain_range_db`` plus the taper's
    dB, and an input of ``dbu_at_0dbfs`` minus that gain reaches 0 dBFS (AES17: a full-scale
    sine).
    """

    knob: KnobId = Field(description="the device knob that sets the gain")
    gain_range_db: PreampGainDb = Field(description=doc(
        "gain added from the knob fully down to fully up", PreampGainDb))
    dbu_at_0dbfs: InputAt0DbfsDbu = Field(description=doc(
        "input level for 0 dBFS with the gain knob fully down", InputAt0DbfsDbu))
    ein_dbu_a: EinDbu = Field(description=doc(
        "equivalent input noise at full gain, A-weighted", EinDbu))
    dynamic_range_db_a: DynamicRangeDb = Field(default=110.0, description=doc(
        "the converter's dynamic range (its noise floor below 0 dBFS)", DynamicRangeDb))
    phantom: bool = Field(default=False, description="+48 V phantom power can be switched on")
    monitor_side: Literal["left", "right"] = Field(
        default="left", description="where direct monitoring in stereo puts this input")
    channel: int = Field(default=1, ge=1, le=64, description="the recording's channel number")


MonitorMode = Literal["off", "mono", "stereo"]


class DirectMonitorSpec(Strict):
    """An interface's own mix of its inputs into its outputs, with no computer in between."""

    modes: list[MonitorMode] = Field(
        default_factory=lambda: list[MonitorMode](["off", "mono"]), min_length=1, max_length=3,
        description="the settings the interface has (Scarlett 3rd Gen: off, mono, stereo)")
    mono_gain_db: GainDb = Field(default=-3.0, description=doc(
        "each input's level in both outputs in mono, re its level in stereo", GainDb))
    default: MonitorMode = "off"


class LatencySpec(Strict):
    """Round-trip latency (input to output through the computer) at some buffer sizes."""

    samplerate: Literal[44100, 48000, 88200, 96000] = 48000
    round_trip_ms: dict[Annotated[int, Field(ge=16, le=8192)], LatencyMs] = Field(
        min_length=1, max_length=16, description="buffer size in frames -> round trip, ms")


class MicrophoneSpec(Strict):
    """What a microphone adds to its output port (whose ``mv_per_pa`` is its sensitivity)."""

    type: Literal["dynamic", "condenser", "ribbon"]
    self_noise_dba: SelfNoiseDba | None = Field(default=None, description=doc(
        "self-noise, A-weighted equivalent SPL (condensers)", SelfNoiseDba))
    max_spl_db: MaxSplDb | None = Field(default=None, description=doc(
        "the SPL of 1 % distortion", MaxSplDb))


SIGNAL_ROLES: dict[str, set[str]] = {"stereo": {"hot", "cold", "ground"},
                                      "balanced": {"hot", "cold"}, "unbalanced": {"hot"},
                                      "host": {"ground"}}
"""Contact roles (wiring.connectors.ROLES) a port's connector needs for its signal; for stereo,
hot is left and cold is right."""


class PortSpec(Strict):
    """A socket or captive plug of a device.

    Output ports say what feeds them and how they drive their contacts; input
    ports say how they load and sense their contacts. ``feeds``/``senses`` name
    the device's internal channels: a string for mono kinds (``balanced``,
    ``unbalanced``) or ``{left: L, right: R}`` for ``stereo`` (tip = left,
    ring = right).
    """

    label: Label = ""
    connector: Connector
    gender: Gender = "jack"
    direction: Direction
    signal: SignalKind
    topology: OutputTopology | InputTopology | None = Field(
        default=None, description="balanced outputs: impedance/push-pull/servo/transformer; "
        "balanced inputs: differential/transformer")
    # outputs ---------------------------------------------------------------
    feeds: Channels | None = Field(default=None, description="internal channel: 'L', or "
                                   "{left: L, right: R} for a stereo port")
    knob: KnobId | None = Field(default=None, description="device knob that sets this output")
    v_rms_at_0dbfs: FullScaleV | None = Field(default=None, description=doc(
        "output for a full-scale sine with the knob fully up (interfaces); differential level "
        "for balanced outputs", FullScaleV))
    gain_db: GainDb | None = Field(default=None, description=doc(
        "input-to-output gain with the knob fully up (amps)", GainDb))
    mv_per_pa: MicSensitivityMv | None = Field(default=None, description=doc(
        "microphones: the open-circuit output for 1 Pa (94 dB SPL) at 1 kHz", MicSensitivityMv))
    z_out_ohm: ZOutOhm | None = Field(default=None, description=doc(
        "output impedance per driven leg", ZOutOhm))
    max_v_rms: MaxV | None = Field(default=None, description=doc(
        "largest clean output, RMS (differential for balanced outputs)", MaxV))
    max_i_ma: MaxCurrentMa | None = Field(default=None, description=doc(
        "current limit per leg, mA RMS", MaxCurrentMa))
    noise: NoiseSpec | None = None
    z_common_mode_ohm: ZCommonModeOhm | None = Field(default=None, description=doc(
        "servo outputs: impedance that sets each leg's common mode", ZCommonModeOhm))
    # inputs ----------------------------------------------------------------
    senses: Channels | None = Field(default=None, description="internal channel: 'L', or "
                                    "{left: L, right: R} for a stereo port")
    z_in_ohm: ZInOhm | None = Field(default=None, description=doc(
        "input impedance per leg (differential impedance for balanced inputs)", ZInOhm))
    cmrr_db: CmrrDb | None = Field(default=None, description=doc(
        "common-mode rejection of a balanced input", CmrrDb))
    max_in_v_rms: InMaxV | None = Field(default=None, description=doc(
        "largest input before clipping, RMS", InMaxV))
    preamp: PreampSpec | None = Field(default=None, description="interfaces: the mic preamp "
                                      "and converter that record this input")
    # captive plugs (headphones, splitters) --------------------------------
    captive: bool = Field(default=False, description="a plug on a cord, not a socket")

    @field_validator("feeds", "senses")
    @classmethod
    def _channels_fit_signal(cls, value: str | dict[str, str] | None,
                             info: ValidationInfo) -> str | dict[str, str] | None:
        signal = info.data.get("signal")
        name = info.field_name
        if value is None or signal is None:
            return value
        if signal == "stereo" and not isinstance(value, dict):
            raise ValueError(f"a stereo port's {name} is {{left: L, right: R}}, not {value!r}")
        if signal == "stereo" and isinstance(value, dict) and len(value) != 2:
            missing = " and ".join(s for s in ("left", "right") if s not in value)
            raise ValueError(f"a stereo port's {name} needs both sides, {{left: L, right: R}}; "
                             f"{missing} is missing")
        if signal != "stereo" and isinstance(value, dict):
            raise ValueError(f"a {signal} port carries one channel: {name} is a channel name "
                             f"such as 'L', not {value!r}")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> PortSpec:
        self._check_connector()
        if self.direction == "out" and self.feeds is not None:
            self._check_output()
        if self.direction == "in" and self.senses is not None:
            if self.z_in_ohm is None:
                raise ValueError("an input port needs z_in_ohm")
            if self.signal == "balanced" and self.topology not in ("differential", "transformer"):
                raise ValueError("a balanced input needs topology: differential or transformer "
                                 f"(got {self.topology!r})")
        return self

    def _check_connector(self) -> None:
        """The connector must have the contacts the signal travels on.

        A stereo signal on a TS jack has no ring for its right channel; audio on a USB
        port has no contacts.
        """
        from signalchain.wiring.connectors import ROLES

        have = set(ROLES[self.connector])
        need = SIGNAL_ROLES[self.signal]
        if not need <= have:
            usable = sorted(c for c, roles in ROLES.items() if need <= set(roles))
            raise ValueError(f"a {self.signal} port cannot use a {self.connector} connector (it "
                             f"has no {' or '.join(sorted(need - have))} contact); valid "
                             f"connectors: {', '.join(usable)}")

    def _check_output(self) -> None:
        """An output that carries a channel states its level, impedance, limits and noise."""
        needed = ("z_out_ohm",) if self.mv_per_pa is not None else (
            "z_out_ohm", "max_v_rms", "noise")
        missing = [f for f in needed if getattr(self, f) is None]
        if self.v_rms_at_0dbfs is None and self.gain_db is None and self.mv_per_pa is None:
            missing.append("v_rms_at_0dbfs, gain_db or mv_per_pa")
        if missing:
            raise ValueError(f"an output port needs {', '.join(missing)}")
        if self.signal == "balanced" and self.topology not in (
                "impedance", "push-pull", "servo", "transformer"):
            raise ValueError("a balanced output needs topology: impedance, push-pull, servo "
                             f"or transformer (got {self.topology!r})")

    def channel_roles(self, attr: str) -> dict[str, str]:
        """Map contact role (``left``, ``right`` or ``hot``) to internal channel."""
        value = getattr(self, attr)
        if value is None:
            return {}
        if isinstance(value, dict):
            return dict(value)
        return {"hot": value}


class HeadphoneSpec(Strict):
    """Transducer data of a pair of headphones (both sides alike)."""

    z_ohm: HeadphoneZOhm = Field(description=doc("nominal impedance per side", HeadphoneZOhm))
    sensitivity_db_per_mw: SensitivityDb | None = Field(default=None, description=doc(
        "sound pressure for 1 mW, dB SPL", SensitivityDb))
    sensitivity_db_per_v: SensitivityDb | None = Field(default=None, description=doc(
        "sound pressure for 1 V RMS, dB SPL", SensitivityDb))
    sensitivity_freq_hz: FreqHz = Field(default=1000.0, description=doc(
        "frequency the sensitivity is given at", FreqHz))
    z_curve: ZCurve | None = Field(
        default=None, description="[[frequency_hz, impedance_ohm], ...] measured curve: 2 to "
        f"{MAX_TABLE_POINTS} points, frequencies rising within 1 Hz..100 kHz, impedances "
        "1 ohm..100 kohm")
    max_power_mw: MaxPowerMw | None = Field(default=None, description=doc(
        "largest input power, mW", MaxPowerMw))
    cord_r_ohm: CordOhm = Field(default=0.1, description=doc(
        "resistance of each cord conductor", CordOhm))
    adapter_included: AdapterId | None = Field(default=None, description="catalog id of an "
                                               "adapter that comes in the box")

    @model_validator(mode="after")
    def _one_sensitivity(self) -> HeadphoneSpec:
        if (self.sensitivity_db_per_mw is None) == (self.sensitivity_db_per_v is None):
            raise ValueError("give exactly one of sensitivity_db_per_mw and sensitivity_db_per_v")
        return self

    def level_db_per_v(self) -> float:
        """DB SPL for 1 V RMS across a driver at ``sensitivity_freq_hz``.

        A dB/mW figure is converted with the impedance at that frequency (from
        ``z_curve``, interpolated in log-frequency, when there is one).
        """
        from signalchain import units

        if self.sensitivity_db_per_v is not None:
            return self.sensitivity_db_per_v
        assert self.sensitivity_db_per_mw is not None  # exactly one is given (validated)
        z_ohm = units.impedance_at(self.z_curve or (), self.z_ohm, self.sensitivity_freq_hz)
        return units.sensitivity_db_per_v(self.sensitivity_db_per_mw, float(z_ohm))


class PowerSpec(Strict):
    """How a device is powered, which decides its ground path."""

    leakage_ua: LeakageUa | None = Field(default=None, description=doc(
        "mains-floating: leakage current from the supply into the device's ground, µA",
        LeakageUa))
    earth_r_ohm: EarthOhm | None = Field(default=None, description=doc(
        "mains-earthed: resistance of the protective-earth path to the outlet", EarthOhm))


class DeviceSpec(Strict):
    """A piece of gear: catalog entry or inline device in a rig file."""

    # editors learn what a kind needs from the schema too (the validator says it to pydantic)
    model_config = ConfigDict(json_schema_extra={"allOf": [{
        "if": {"properties": {"kind": {"const": "headphones"}}, "required": ["kind"]},
        "then": {"required": ["headphones"]}}]})

    id: CatalogId | None = Field(default=None, description="catalog id (catalog entries only)")
    kind: DeviceKind
    name: Name = ""
    power: Power = "none"
    power_details: PowerSpec = Field(default_factory=PowerSpec)
    ports: dict[PortId, PortSpec] = Field(default_factory=dict, description="ports by name "
                                          "(at most the ports-per-device limit)")
    knobs: dict[KnobId, Knob] = Field(default_factory=dict)
    program_channels: list[ChannelId] = Field(
        default_factory=lambda: ["L", "R"],
        description="interfaces: internal channels fed by the computer's program, in order")
    links: list[list[ContactRef]] = Field(default_factory=list, description="passive devices: "
                                          "groups of 'port.contact' wired together")
    headphones: HeadphoneSpec | None = None
    microphone: MicrophoneSpec | None = None
    phantom_power: Literal["required", "none"] = Field(
        default="none", description="'required': a condenser mic or an inline booster that "
        "works only on +48 V phantom power from the input it is plugged into")
    direct_monitor: DirectMonitorSpec | None = Field(
        default=None, description="interfaces: direct monitoring of the inputs")
    latency: LatencySpec | None = Field(default=None, description="interfaces: round trip "
                                        "through the computer (software monitoring)")
    provenance: Provenance = Field(default_factory=Provenance)
    notes: list[Note] = Field(default_factory=list)

    @field_validator("ports", mode="before")
    @classmethod
    def _not_too_many_ports(cls, v: Any) -> Any:
        if isinstance(v, dict) and len(v) > limit_value("ports-per-device"):
            message, hint = over_limit("ports-per-device", "the device's number of ports",
                                       len(v), suggest=len(v))
            raise PydanticCustomError("limit", "{message}", {"message": message, "hint": hint})
        return v

    @model_validator(mode="after")
    def _consistent(self) -> DeviceSpec:
        for pname, port in self.ports.items():
            if port.knob is not None and port.knob not in self.knobs:
                known = ", ".join(sorted(self.knobs)) or "none"
                raise ValueError(f"port {pname!r} uses knob {port.knob!r}, which the device does "
                                 f"not define (knobs: {known})")
            if port.preamp is not None and port.preamp.knob not in self.knobs:
                known = ", ".join(sorted(self.knobs)) or "none"
                raise ValueError(f"port {pname!r}'s preamp uses knob {port.preamp.knob!r}, "
                                 f"which the device does not define (knobs: {known})")
        if self.kind == "headphones":
            self._check_headphones()
        if self.kind == "microphone":
            self._check_microphone()
        self._check_links()
        return self

    def _check_headphones(self) -> None:
        """Headphones have their transducer data and one stereo plug on the cord."""
        if self.headphones is None:
            raise ValueError("a headphones device needs a 'headphones:' section "
                             "(impedance, sensitivity)")
        captive = [name for name, port in self.ports.items() if port.captive]
        if len(captive) != 1:
            found = ", ".join(captive) if captive else "none"
            hint = ("add 'captive: true' to its plug port" if not captive
                    else "headphones have one plug: keep 'captive: true' on one port")
            raise PydanticCustomError("captive", "{message}", {
                "message": "a headphones device needs exactly one captive plug port "
                f"(found {found})", "hint": hint})
        plug = self.ports[captive[0]]
        if plug.signal != "stereo" or plug.feeds is not None or plug.senses is not None:
            raise ValueError(f"the headphones' plug {captive[0]!r} carries the two drivers: "
                             "it is 'signal: stereo' (tip left, ring right) with no feeds "
                             "or senses")

    def _check_microphone(self) -> None:
        """A microphone has its ``microphone:`` data and one output with a sensitivity."""
        if self.microphone is None:
            raise ValueError("a microphone device needs a 'microphone:' section (type, "
                             "self-noise, phantom power)")
        outs = [p for p, port in self.ports.items() if port.mv_per_pa is not None]
        if len(outs) != 1:
            raise ValueError("a microphone needs exactly one output port with mv_per_pa "
                             f"(found {', '.join(outs) or 'none'})")

    def _check_links(self) -> None:
        """Every ``port.contact`` a passive link joins must exist on this device."""
        from signalchain.wiring.connectors import CONTACTS

        for group in self.links:
            for ref in group:
                pname, _, contact = ref.partition(".")
                port = self.ports.get(pname)
                if port is None:
                    raise ValueError(f"link {ref!r} names port {pname!r}, which the device does "
                                     f"not have (ports: {', '.join(self.ports) or 'none'})")
                if contact not in CONTACTS[port.connector]:
                    raise ValueError(f"link {ref!r}: a {port.connector} port has no contact "
                                     f"{contact!r} (contacts: "
                                     f"{', '.join(CONTACTS[port.connector])})")

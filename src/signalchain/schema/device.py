"""Device entries: the same schema serves catalog files and inline devices in a rig."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from signalchain.schema.common import Provenance, Strict
from signalchain.schema.quantities import Fraction, Hz, Ohm, PositiveOhm, VoltsRms

Connector = Literal["trs-6.35", "ts-6.35", "trs-3.5", "ts-3.5", "xlr-3", "combo", "rca",
                    "usb-a", "usb-b", "usb-c", "usb-any"]
Gender = Literal["jack", "plug"]
Direction = Literal["out", "in", "host"]
SignalKind = Literal["stereo", "balanced", "unbalanced", "host"]
OutputTopology = Literal["impedance", "push-pull", "servo", "transformer"]
InputTopology = Literal["differential", "transformer"]
DeviceKind = Literal["computer", "interface", "amp", "headphones", "splitter"]
Power = Literal["usb-bus", "mains-earthed", "mains-floating", "battery", "none"]
Taper = Literal["audio", "linear"] | list[tuple[float, float]]


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

    label: str = ""
    taper: Taper = "audio"
    default: Fraction = 0.5
    physical: bool = True


class NoiseSpec(Strict):
    """A-weighted output noise with no signal, in dBu(A), at both ends of the knob's travel."""

    knob_min_dbu_a: float = Field(description="noise with the knob fully down (post-knob floor)")
    knob_max_dbu_a: float = Field(description="noise with the knob fully up")

    @model_validator(mode="after")
    def _ordered(self) -> NoiseSpec:
        if self.knob_max_dbu_a < self.knob_min_dbu_a:
            raise ValueError(
                f"knob_max_dbu_a ({self.knob_max_dbu_a}) is below knob_min_dbu_a "
                f"({self.knob_min_dbu_a}); noise cannot fall as the knob goes up")
        return self


class PortSpec(Strict):
    """A socket or captive plug of a device.

    Output ports say what feeds them and how they drive their contacts; input
    ports say how they load and sense their contacts. ``feeds``/``senses`` name
    the device's internal channels: a string for mono kinds (``balanced``,
    ``unbalanced``) or ``{left: L, right: R}`` for ``stereo`` (tip = left,
    ring = right).
    """

    label: str = ""
    connector: Connector
    gender: Gender = "jack"
    direction: Direction
    signal: SignalKind
    topology: OutputTopology | InputTopology | None = Field(
        default=None, description="balanced outputs: impedance/push-pull/servo/transformer; "
        "balanced inputs: differential/transformer")
    # outputs ---------------------------------------------------------------
    feeds: str | dict[Literal["left", "right"], str] | None = None
    knob: str | None = Field(default=None, description="device knob that sets this output")
    v_rms_at_0dbfs: VoltsRms | None = Field(
        default=None, description="output for a full-scale sine with the knob fully up "
        "(interfaces); differential level for balanced outputs")
    gain_db: float | None = Field(default=None, description="input-to-output gain with the knob "
                                  "fully up (amps)")
    z_out_ohm: Ohm | None = Field(default=None, description="output impedance per driven leg")
    max_v_rms: VoltsRms | None = Field(default=None, description="largest clean output, RMS "
                                       "(differential for balanced outputs)")
    max_i_ma: float | None = Field(default=None, gt=0, description="current limit per leg, mA RMS")
    noise: NoiseSpec | None = None
    z_common_mode_ohm: PositiveOhm | None = Field(
        default=None, description="servo outputs: impedance that sets each leg's common mode")
    # inputs ----------------------------------------------------------------
    senses: str | dict[Literal["left", "right"], str] | None = None
    z_in_ohm: PositiveOhm | None = Field(default=None, description="input impedance per leg "
                                         "(differential impedance for balanced inputs)")
    cmrr_db: float | None = Field(default=None, gt=0)
    max_in_v_rms: VoltsRms | None = None
    # captive plugs (headphones, splitters) --------------------------------
    captive: bool = Field(default=False, description="a plug on a cord, not a socket")

    @model_validator(mode="after")
    def _consistent(self) -> PortSpec:
        stereo = self.signal == "stereo"
        for name in ("feeds", "senses"):
            value = getattr(self, name)
            if value is None:
                continue
            if stereo and not isinstance(value, dict):
                raise ValueError(f"a stereo port's {name} is {{left: L, right: R}}, not {value!r}")
            if not stereo and isinstance(value, dict):
                raise ValueError(f"a {self.signal} port carries one channel: {name} is a channel "
                                 f"name such as 'L', not {value!r}")
        if self.direction == "out" and self.feeds is not None:
            missing = [f for f in ("z_out_ohm", "max_v_rms", "noise") if getattr(self, f) is None]
            if self.v_rms_at_0dbfs is None and self.gain_db is None:
                missing.append("v_rms_at_0dbfs or gain_db")
            if missing:
                raise ValueError(f"an output port needs {', '.join(missing)}")
            if self.signal == "balanced" and self.topology not in (
                    "impedance", "push-pull", "servo", "transformer"):
                raise ValueError("a balanced output needs topology: impedance, push-pull, servo "
                                 f"or transformer (got {self.topology!r})")
        if self.direction == "in" and self.senses is not None:
            if self.z_in_ohm is None:
                raise ValueError("an input port needs z_in_ohm")
            if self.signal == "balanced" and self.topology not in ("differential", "transformer"):
                raise ValueError("a balanced input needs topology: differential or transformer "
                                 f"(got {self.topology!r})")
        return self

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

    z_ohm: PositiveOhm = Field(description="nominal impedance per side")
    sensitivity_db_per_mw: float | None = None
    sensitivity_db_per_v: float | None = None
    sensitivity_freq_hz: Hz = 1000.0
    z_curve: list[tuple[float, float]] | None = Field(
        default=None, description="[[frequency_hz, impedance_ohm], ...] measured curve")
    max_power_mw: float | None = Field(default=None, gt=0)
    cord_r_ohm: Ohm = Field(default=0.1, description="resistance of each cord conductor")
    adapter_included: str | None = Field(default=None, description="catalog id of an adapter "
                                         "that comes in the box")

    @model_validator(mode="after")
    def _one_sensitivity(self) -> HeadphoneSpec:
        if (self.sensitivity_db_per_mw is None) == (self.sensitivity_db_per_v is None):
            raise ValueError("give exactly one of sensitivity_db_per_mw and sensitivity_db_per_v")
        return self


class PowerSpec(Strict):
    """How a device is powered, which decides its ground path."""

    leakage_ua: float | None = Field(default=None, ge=0, description="mains-floating: leakage "
                                     "current from the supply into the device's ground, µA")
    earth_r_ohm: Ohm | None = Field(default=None, description="mains-earthed: resistance of the "
                                    "protective-earth path to the outlet")


class DeviceSpec(Strict):
    """A piece of gear: catalog entry or inline device in a rig file."""

    id: str | None = Field(default=None, description="catalog id (catalog entries only)")
    kind: DeviceKind
    name: str = ""
    power: Power = "none"
    power_details: PowerSpec = Field(default_factory=PowerSpec)
    ports: dict[str, PortSpec] = Field(default_factory=dict)
    knobs: dict[str, Knob] = Field(default_factory=dict)
    program_channels: list[str] = Field(
        default_factory=lambda: ["L", "R"],
        description="interfaces: internal channels fed by the computer's program, in order")
    links: list[list[str]] = Field(default_factory=list, description="passive devices: groups of "
                                   "'port.contact' wired together")
    headphones: HeadphoneSpec | None = None
    provenance: Provenance = Field(default_factory=Provenance)
    notes: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> DeviceSpec:
        for pname, port in self.ports.items():
            if port.knob is not None and port.knob not in self.knobs:
                known = ", ".join(sorted(self.knobs)) or "none"
                raise ValueError(f"port {pname!r} uses knob {port.knob!r}, which the device does "
                                 f"not define (knobs: {known})")
        if self.kind == "headphones" and self.headphones is None:
            raise ValueError("a headphones device needs a 'headphones:' section "
                             "(impedance, sensitivity)")
        return self

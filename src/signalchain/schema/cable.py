"""Cables and adapters: ends with connectors, and conductors joining end contacts."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from signalchain.schema.common import Provenance, Strict
from signalchain.schema.device import Connector, Gender
from signalchain.schema.quantities import LengthM


class CableEnd(Strict):
    """One end of a cable or adapter."""

    connector: Connector
    gender: Gender = "plug"
    label: str = ""


class Conductor(Strict):
    """A wire joining contacts at two or more ends (``'left.tip'``, ``'stereo.ring'``)."""

    joins: list[str] = Field(min_length=2)
    role: Literal["signal", "shield", "power"] = "signal"
    label: str = ""


class CableSpec(Strict):
    """A catalog cable or adapter.

    Per-metre figures apply to every conductor of the cable: signal conductors
    have ``r_ohm_per_m`` and ``c_pf_per_m`` to the shield; shields have
    ``shield_r_ohm_per_m``. Adapters have a fixed length.
    """

    id: str | None = None
    kind: Literal["cable", "adapter"] = "cable"
    name: str = ""
    ends: dict[str, CableEnd]
    conductors: list[Conductor]
    r_ohm_per_m: float = Field(ge=0)
    shield_r_ohm_per_m: float = Field(ge=0)
    c_pf_per_m: float = Field(ge=0)
    default_length_m: LengthM = 1.0
    fixed_length: bool = False
    provenance: Provenance = Field(default_factory=Provenance)
    notes: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _joins_name_ends(self) -> CableSpec:
        for cond in self.conductors:
            for ref in cond.joins:
                end, _, contact = ref.partition(".")
                if end not in self.ends or not contact:
                    raise ValueError(f"conductor joins {ref!r}, but the ends are "
                                     f"{', '.join(self.ends)} (write 'end.contact')")
        return self

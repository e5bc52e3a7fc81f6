"""Cables and adapters: ends with connectors, and conductors joining end contacts."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from signalchain.schema.common import Provenance, Strict
from signalchain.schema.device import Connector, Gender
from signalchain.schema.quantities import (
    CatalogId,
    CPfPerM,
    EndContactRef,
    EndId,
    Label,
    LengthM,
    Name,
    Note,
    ROhmPerM,
    doc,
)

CableKind = Literal["cable", "adapter"]


class CableEnd(Strict):
    """One end of a cable or adapter."""

    connector: Connector
    gender: Gender = "plug"
    label: Label = ""


class Conductor(Strict):
    """A wire joining contacts at two or more ends (``'left.tip'``, ``'stereo.ring'``)."""

    joins: list[EndContactRef] = Field(min_length=2, max_length=64)
    role: Literal["signal", "shield", "power"] = "signal"
    label: Label = ""


class CableSpec(Strict):
    """A catalog cable or adapter.

    Per-metre figures apply to every conductor of the cable: signal conductors
    have ``r_ohm_per_m`` and ``c_pf_per_m`` to the shield; shields have
    ``shield_r_ohm_per_m``. Adapters have a fixed length.
    """

    id: CatalogId | None = None
    kind: CableKind = "cable"
    name: Name = ""
    ends: dict[EndId, CableEnd] = Field(min_length=1, max_length=64)
    conductors: list[Conductor] = Field(max_length=64)
    r_ohm_per_m: ROhmPerM = Field(description=doc(
        "resistance of each signal conductor per metre", ROhmPerM))
    shield_r_ohm_per_m: ROhmPerM = Field(description=doc(
        "resistance of the shield per metre", ROhmPerM))
    c_pf_per_m: CPfPerM = Field(description=doc(
        "capacitance of each signal conductor to the shield per metre", CPfPerM))
    default_length_m: LengthM = Field(default=1.0, description=doc(
        "length when a rig does not give one (the only length of an adapter)", LengthM))
    fixed_length: bool = False
    provenance: Provenance = Field(default_factory=Provenance)
    notes: list[Note] = Field(default_factory=list)

    @model_validator(mode="after")
    def _joins_name_ends(self) -> CableSpec:
        for cond in self.conductors:
            for ref in cond.joins:
                end, _, contact = ref.partition(".")
                if end not in self.ends or not contact:
                    raise ValueError(f"conductor joins {ref!r}, but the ends are "
                                     f"{', '.join(self.ends)} (write 'end.contact')")
        return self

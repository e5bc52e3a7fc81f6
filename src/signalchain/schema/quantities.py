"""Annotated field types that accept the units people write (``3 m``, ``60%``, ``300 Ω``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from pydantic import BeforeValidator, Field

from signalchain import units


def _unit(parse: Callable[[Any], float]) -> BeforeValidator:
    """Validator that parses a number or a string with units (editors see ``number | string``)."""
    return BeforeValidator(parse, json_schema_input_type=float | str)


LengthM = Annotated[float, _unit(units.parse_length_m),
                    Field(description="length in metres; '3 m', '10 ft' or a number")]
Fraction = Annotated[float, _unit(units.parse_fraction),
                     Field(description="knob position 0..1; '60%' also accepted")]
Ohm = Annotated[float, _unit(units.parse_ohm),
                Field(description="impedance in ohm; '300 ohm', '300 Ω', '10k'")]
PositiveOhm = Annotated[float, _unit(units.parse_ohm), Field(gt=0)]
Hz = Annotated[float, _unit(units.parse_hz), Field(gt=0)]
VoltsRms = Annotated[float, _unit(units.parse_level_v),
                     Field(ge=0, description="RMS voltage; '+4 dBu', '-10 dBV', '1.2 V'")]

"""Annotated field types that accept the units people write (``3 m``, ``60%``, ``300 Ω``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator, Field

from signalchain import units

LengthM = Annotated[float, BeforeValidator(units.parse_length_m, json_schema_input_type=float | str),
                    Field(description="length in metres; '3 m', '10 ft' or a number")]
Fraction = Annotated[float, BeforeValidator(units.parse_fraction, json_schema_input_type=float | str),
                     Field(description="knob position 0..1; '60%' also accepted")]
Ohm = Annotated[float, BeforeValidator(units.parse_ohm, json_schema_input_type=float | str),
                Field(description="impedance in ohm; '300 ohm', '300 Ω', '10k'")]
PositiveOhm = Annotated[float, BeforeValidator(units.parse_ohm, json_schema_input_type=float | str), Field(gt=0)]
Hz = Annotated[float, BeforeValidator(units.parse_hz, json_schema_input_type=float | str), Field(gt=0)]
Farad = Annotated[float, BeforeValidator(units.parse_farad, json_schema_input_type=float | str), Field(ge=0)]
VoltsRms = Annotated[float, BeforeValidator(units.parse_level_v, json_schema_input_type=float | str),
                     Field(ge=0, description="RMS voltage; '+4 dBu', '-10 dBV', '1.2 V'")]
Decibel = Annotated[float, BeforeValidator(units.parse_db, json_schema_input_type=float | str)]

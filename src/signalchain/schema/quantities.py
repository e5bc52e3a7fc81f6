"""Annotated field types: quantities with units and physical ranges, identifiers, free text.

Quantities accept the units people write (``3 m``, ``60%``, ``300 Ω``, ``+4 dBu``),
refuse NaN and infinities however they are written (``.nan``, ``1e999``,
``'1e400 ohm'``) and check a finite, physically sensible :class:`Range`. The range
is stated in the generated JSON Schema with the standard keywords ``minimum``,
``maximum``, ``exclusiveMinimum`` and ``exclusiveMaximum`` (pydantic would emit its
own ``gt``/``le`` keys for a constrained type with a ``BeforeValidator``, which JSON
Schema tools ignore), and in each field's description.

Identifiers (device, port, knob names ...) and catalog ids are restricted to safe
patterns: they become file names, netlist node names and terminal output. Free
text (names, labels, notes) may not contain control characters or Unicode bidi
overrides, and is bounded in length.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import PydanticCustomError, core_schema

from signalchain import units
from signalchain.schema.controls import FORMAT_CONTROLS
from signalchain.schema.editor import IdsOf


@dataclass(eq=False)
class Checked:
    """``Annotated`` metadata: a check run by pydantic and the JSON Schema editors see.

    Parameters
    ----------
    check : callable
        Returns the (converted) value or raises ``ValueError``/``PydanticCustomError``.
    schema : dict
        The field's JSON Schema (standard keywords only).
    before : bool
        Run ``check`` on the raw input, before the annotated type's own validation
        (quantities: it parses strings with units), instead of after it (strings).
    """

    check: Callable[[Any], Any]
    schema: dict[str, Any] = field(default_factory=dict)
    before: bool = False

    def __get_pydantic_core_schema__(self, source: Any,
                                     handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        inner = handler(source)
        if self.before:
            return core_schema.no_info_before_validator_function(self.check, inner)
        return core_schema.no_info_after_validator_function(self.check, inner)

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        return dict(self.schema)


@dataclass(eq=False)
class Quantity(Checked):
    """:class:`Checked` metadata of a float quantity, which knows its :class:`Range`."""

    valid: Range | None = None


# --------------------------------------------------------------- quantities
@dataclass(frozen=True)
class Range:
    """A closed or half-open interval of valid values, with its unit and the reason for it.

    Parameters
    ----------
    unit : str
        Unit of the value after parsing (``'ohm'``, ``'V'``, ``''`` for a ratio).
    low, high : float
        The bounds (always finite).
    low_open, high_open : bool
        Whether a bound itself is excluded.
    why : str
        Why these bounds are physically sensible (shown as the hint of an error).
    """

    unit: str
    low: float
    high: float
    low_open: bool = False
    high_open: bool = False
    why: str = ""

    def __contains__(self, value: float) -> bool:
        if not math.isfinite(value):
            return False
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open else value <= self.high
        return above and below

    def text(self) -> str:
        """``'between 0.001 and 1e+06 ohm'`` or ``'more than 0 and at most 100 V'``."""
        unit = f" {self.unit}" if self.unit else ""
        if not self.low_open and not self.high_open:
            return f"between {_g(self.low)} and {_g(self.high)}{unit}"
        low = f"more than {_g(self.low)}" if self.low_open else f"at least {_g(self.low)}"
        high = f"less than {_g(self.high)}" if self.high_open else f"at most {_g(self.high)}"
        return f"{low} and {high}{unit}"

    def json_schema(self) -> dict[str, Any]:
        """The bounds as standard JSON Schema keywords."""
        schema: dict[str, Any] = {"type": "number"}
        schema["exclusiveMinimum" if self.low_open else "minimum"] = self.low
        schema["exclusiveMaximum" if self.high_open else "maximum"] = self.high
        return schema

    def check(self, value: float, written: object) -> float:
        """Return ``value`` if it is in range, else raise an ``out_of_range`` error."""
        if value in self:
            return value
        shown = units._show(written)
        converted = f"{_g(value)}{' ' + self.unit if self.unit else ''}"
        if isinstance(written, str) and written.strip() != converted:
            shown += f" ({converted})"
        raise PydanticCustomError("out_of_range", "{message}", {
            "message": f"{shown} is out of range: must be {self.text()}", "hint": self.why})

    def parse(self, parse: Callable[[object], float], written: object) -> float:
        """``parse(written)`` checked against this range; unreadable values name the range."""
        try:
            value = parse(written)
        except ValueError as exc:
            message = str(exc)
            if self.text() not in message:
                message += f"; valid: {self.text()}"
            raise PydanticCustomError("out_of_range", "{message}", {
                "message": message, "hint": self.why}) from None
        return self.check(value, written)


def _g(value: float) -> str:
    return f"{value:g}"


def quantity(parse: Callable[[object], float], valid: Range, *, strings: bool = True,
             examples: str = "") -> Quantity:
    """Metadata for ``Annotated[float, ...]``: ``parse`` the value, check it is in ``valid``.

    Parameters
    ----------
    parse : callable
        Turns what was written into a finite float (raises ValueError otherwise).
    valid : Range
        The valid range after parsing.
    strings : bool
        Whether strings with units are accepted (editors then see ``number | string``).
    examples : str
        Examples of the string form, for the JSON Schema.
    """
    def check(value: object) -> float:
        return valid.parse(parse, value)

    number = valid.json_schema()
    schema: dict[str, Any] = number
    if strings:
        string: dict[str, Any] = {"type": "string", "maxLength": units.MAX_QUANTITY_CHARS}
        if examples:
            string["description"] = f"with a unit, e.g. {examples}"
        schema = {"anyOf": [number, string]}
    return Quantity(check, schema, before=True, valid=valid)


def range_of(annotation: Any) -> Range:
    """The :class:`Range` of an ``Annotated[float, quantity(...)]`` type."""
    for meta in getattr(annotation, "__metadata__", ()):
        if isinstance(meta, Quantity) and meta.valid is not None:
            return meta.valid
    raise TypeError(f"{annotation!r} has no Range")


def doc(text: str, annotation: Any) -> str:
    """A field description with the quantity's valid range and the reason for it."""
    valid = range_of(annotation)
    why = f" ({valid.why})" if valid.why else ""
    return f"{text}; {valid.text()}{why}"


def _ohm(low: float, high: float, why: str, low_open: bool = False) -> Quantity:
    return quantity(units.parse_ohm, Range("ohm", low, high, low_open=low_open, why=why),
                    examples="'300 ohm', '10k', '1 Mohm'")


def _volts(high: float, why: str) -> Quantity:
    return quantity(units.parse_level_v, Range("V", 0.0, high, low_open=True, why=why),
                    examples="'+4 dBu', '-10 dBV', '1.2 V'")


def _plain(unit: str, low: float, high: float, why: str, *, low_open: bool = False
           ) -> Quantity:
    return quantity(units.parse_number, Range(unit, low, high, low_open=low_open, why=why),
                    strings=False)


LengthM = Annotated[float, quantity(
    units.parse_length_m,
    Range("m", 0.001, 1000.0, why="from a few millimetres (an adapter) to a long balanced run"),
    examples="'3 m', '10 ft'")]
Fraction = Annotated[float, quantity(
    units.parse_fraction, Range("", 0.0, 1.0, why="0 is fully down, 1 fully up"),
    examples="'60%'")]
TaperPosition = Annotated[float, quantity(
    units.parse_number, Range("", 0.0, 1.0, why="0 is fully down, 1 fully up"), strings=False)]
TaperDb = Annotated[float, _plain(
    "dB", -200.0, 40.0, "a knob attenuates (-200 dB is silence) or adds a little gain")]
# device outputs ----------------------------------------------------------
FullScaleV = Annotated[float, _volts(
    100.0, "0 dBFS of any line or headphone output is a few volts; 100 V RMS is "
    "power-amplifier territory")]
MaxV = Annotated[float, _volts(
    100.0, "line and headphone outputs swing a few volts to a few tens of volts")]
InMaxV = Annotated[float, _volts(
    100.0, "inputs clip somewhere between a few hundred millivolts and a few tens of volts")]
GainDb = Annotated[float, _plain(
    "dB", -60.0, 60.0, "headphone and line amplifiers have between -60 and +60 dB of gain")]
ZOutOhm = Annotated[float, _ohm(
    0.001, 1e6, "from milliohms (a strong headphone amp) to a passive output of hundreds of "
    "kilohms")]
ZCommonModeOhm = Annotated[float, _ohm(
    0.001, 1e9, "a servo output's common-mode impedance, up to practically open")]
MaxCurrentMa = Annotated[float, _plain(
    "mA", 0.0, 10_000.0, "op-amp outputs give tens of mA, headphone amps up to a few A",
    low_open=True)]
NoiseDbu = Annotated[float, _plain(
    "dBu(A)", -200.0, 30.0, "1 mohm of Johnson noise is about -190 dBu; +30 dBu is past any "
    "output's clipping point")]
# device inputs -----------------------------------------------------------
ZInOhm = Annotated[float, _ohm(
    0.1, 1e9, "from a speaker-like load to a practically open input")]
CmrrDb = Annotated[float, _plain(
    "dB", 0.0, 160.0, "common-mode rejection of real inputs is 20-130 dB", low_open=True)]
# microphones and preamps -------------------------------------------------
MicSensitivityMv = Annotated[float, quantity(
    units.parse_mic_sensitivity_mv, Range(
        "mV/Pa", 0.01, 1000.0, low_open=False,
        why="ribbons and dynamics give about 1-3 mV/Pa, condensers 5-50; 1 V/Pa would be a "
            "mic with a line-level amplifier"),
    examples="'1.85 mV/Pa', '-54.5 dBV/Pa'")]
SelfNoiseDba = Annotated[float, _plain(
    "dB(A) SPL", -10.0, 60.0, "condensers are 5-25 dB(A); 60 would be a broken capsule")]
MaxSplDb = Annotated[float, _plain(
    "dB SPL", 80.0, 200.0, "condensers clip at 120-150 dB SPL; dynamics practically never")]
PreampGainDb = Annotated[float, _plain(
    "dB", 0.0, 90.0, "interface preamps add 40-75 dB of gain")]
EinDbu = Annotated[float, _plain(
    "dBu(A)", -140.0, -80.0, "good preamps are about -128 dBu(A) (150 ohm source); the "
    "thermal limit is about -131")]
InputAt0DbfsDbu = Annotated[float, _plain(
    "dBu", -40.0, 40.0, "the input level that reaches 0 dBFS at minimum gain: about 0 to "
    "+24 dBu on interfaces")]
DynamicRangeDb = Annotated[float, _plain(
    "dB(A)", 40.0, 160.0, "interface converters measure 100-125 dB(A)")]
SpeechDb = Annotated[float, _plain(
    "dB SPL", 40.0, 140.0, "speech at 25 mm from the lips: about 89 dB SPL, loud talkers 10 "
    "dB more, shouting 20")]
MicDistanceM = Annotated[float, quantity(
    units.parse_length_m, Range("m", 0.005, 5.0, why="from lips on the grille to across a "
                                "room"), examples="'10 cm', '4 in'")]
LatencyMs = Annotated[float, _plain(
    "ms", 0.0, 1000.0, "a round trip through an interface and a computer takes 3-50 ms")]
# headphones --------------------------------------------------------------
HeadphoneZOhm = Annotated[float, _ohm(
    1.0, 10_000.0, "dynamic headphones and earphones are 8-600 ohm; a few vintage ones are a "
    "few kilohms")]
CurveZOhm = Annotated[float, _ohm(
    1.0, 100_000.0, "a measured impedance curve peaks at most a few times the nominal "
    "impedance")]
SensitivityDb = Annotated[float, _plain(
    "dB SPL", 40.0, 160.0, "real headphones give 80-130 dB SPL for 1 mW or 1 V")]
FreqHz = Annotated[float, quantity(
    units.parse_hz, Range("Hz", 1.0, 100_000.0, why="the audio band with an octave or more "
                          "to spare"), examples="'1 kHz'")]
MaxPowerMw = Annotated[float, _plain(
    "mW", 0.0, 10_000.0, "headphones take a few mW to a few W", low_open=True)]
CordOhm = Annotated[float, _ohm(
    0.001, 100.0, "each cord conductor is a fraction of an ohm to a few ohms")]
# power -------------------------------------------------------------------
LeakageUa = Annotated[float, _plain(
    "µA", 0.0, 10_000.0, "class II supplies leak up to 250 µA (IEC 62368); 10 mA is a "
    "dangerous fault")]
EarthOhm = Annotated[float, _ohm(
    0.001, 1000.0, "a protective-earth path is well under an ohm; 1 kohm is practically no "
    "earth")]
# cables ------------------------------------------------------------------
ROhmPerM = Annotated[float, _plain(
    "ohm/m", 0.0, 100.0, "copper conductors are 0.01-5 ohm/m (even 42 AWG is 5.5)")]
CPfPerM = Annotated[float, _plain("pF/m", 0.0, 10_000.0, "audio cables are 50-300 pF/m")]
# environment -------------------------------------------------------------
GroundOffsetV = Annotated[float, quantity(
    units.parse_level_v, Range("V", 0.0, 50.0, why="a few millivolts on one strip to a few "
                               "volts between distant outlets; 50 V would be a wiring fault"),
    examples="'10 mV'")]
HarmonicDb = Annotated[float, _plain(
    "dB", -200.0, 40.0, "re the fundamental: absent (-200 dB) to a buzz stronger than the hum "
    "itself")]


# -------------------------------------------------------------- identifiers
ID_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
_ID = re.compile(ID_PATTERN)
_ID_RULE = "may only contain letters, digits, '_' and '-' (1 to 64 characters)"
CATALOG_ID_PATTERN = r"^(?!.*\.\.)[a-z0-9._+-]+(?:/[a-z0-9._+-]+)*$"
_CATALOG_ID = re.compile(CATALOG_ID_PATTERN)
CATALOG_ID_MAX = 128
_CATALOG_RULE = ("may only contain lowercase letters, digits, '.', '_', '-', '+' and '/' "
                 f"(no '..', no leading, trailing or double '/', at most {CATALOG_ID_MAX} "
                 "characters)")


def _bad(kind: str, message: str, hint: str = "") -> PydanticCustomError:
    return PydanticCustomError(kind, "{message}", {"message": message, "hint": hint})


def identifier(noun: str) -> Checked:
    """Metadata for ``Annotated[str, ...]``: a user-chosen name (``noun``: ``'device id'``)."""
    def check(value: str) -> str:
        if not _ID.fullmatch(value):
            raise _bad("bad_id", f"{noun} {units._show(value)} {_ID_RULE}",
                       "rename it, e.g. 'alice', 'out_1' or 'hm-4'")
        return value

    return Checked(check, {"type": "string", "pattern": ID_PATTERN, "minLength": 1,
                           "maxLength": 64})


def reference(form: str, parts: tuple[int, ...] = (2,)) -> Checked:
    """Metadata for ``Annotated[str, ...]``: ``'device.port'``-like (``parts``: name counts)."""
    one = "[A-Za-z0-9_-]{1,64}"
    alternatives = "|".join(r"\.".join([one] * n) for n in parts)
    pattern = rf"^(?:{alternatives})$"
    compiled = re.compile(pattern)

    def check(value: str) -> str:
        if not compiled.fullmatch(value):
            raise _bad("bad_id", f"{units._show(value)} is not {form}: each name {_ID_RULE}, "
                       "joined by '.'", f"write {form}")
        return value

    return Checked(check, {"type": "string", "pattern": pattern, "maxLength": 65 * max(parts)})


def _check_catalog_id(value: str) -> str:
    if len(value) > CATALOG_ID_MAX or not _CATALOG_ID.fullmatch(value):
        raise _bad("bad_id", f"catalog id {units._show(value)} {_CATALOG_RULE}",
                   "catalog ids look like 'focusrite/scarlett-2i2-3rd-gen'; run "
                   "'signalchain catalog list' to see them")
    return value


CatalogId = Annotated[str, Checked(_check_catalog_id, {
    "type": "string", "pattern": CATALOG_ID_PATTERN, "minLength": 1,
    "maxLength": CATALOG_ID_MAX})]

DeviceModelId = Annotated[CatalogId, IdsOf("device")]
"""The catalog id of a device (in an exported schema with ids: an enum of them)."""
CableModelId = Annotated[CatalogId, IdsOf("cable")]
"""The catalog id of a cable or adapter (in an exported schema with ids: an enum of them)."""
AdapterId = Annotated[CatalogId, IdsOf("adapter")]
"""The catalog id of an adapter (in an exported schema with ids: an enum of them)."""

DeviceId = Annotated[str, identifier("device id")]
PortId = Annotated[str, identifier("port name")]
KnobId = Annotated[str, identifier("knob name")]
EndId = Annotated[str, identifier("cable end name")]
ChannelId = Annotated[str, identifier("channel name")]
OutletId = Annotated[str, identifier("outlet name")]
PortRef = Annotated[str, reference("'device.port'")]
ContactRef = Annotated[str, reference("'port.contact'")]
EndContactRef = Annotated[str, reference("'end.contact'")]
PlugRef = Annotated[str, reference("a device id or 'device.port'", (1, 2))]


# ---------------------------------------------------------------- free text
# rig text refuses every C0 control too (newline, tab, ESC ...), and lone surrogates
_FORBIDDEN = "\\u0000-\\u001f" + FORMAT_CONTROLS
_BAD_CHAR = re.compile(f"[{_FORBIDDEN}\\ud800-\\udfff]")
TEXT_PATTERN = f"^[^{_FORBIDDEN}]*$"
NAME_MAX = 200
NOTE_MAX = 2000
PROGRAM_MAX = 1024


def text(noun: str, max_length: int) -> Checked:
    """Metadata for ``Annotated[str, ...]``: one line of at most ``max_length`` characters.

    Control characters (C0 including newline and ESC, DEL, C1), line and paragraph
    separators, bidi embeddings, overrides and isolates, and lone surrogates are refused.
    """
    def check(value: str) -> str:
        if len(value) > max_length:
            raise _bad("bad_text", f"{noun} is {len(value)} characters long; at most "
                       f"{max_length} are allowed", "shorten it")
        bad = _BAD_CHAR.search(value)
        if bad:
            char = bad.group()
            raise _bad("bad_text", f"{noun} {units._show(value)} contains the control "
                       f"character U+{ord(char):04X} at position {bad.start() + 1}",
                       "write plain text on one line (no line breaks, escape sequences or "
                       "bidi overrides); a long note can be split into several notes")
        return value

    return Checked(check, {"type": "string", "maxLength": max_length, "pattern": TEXT_PATTERN})


Name = Annotated[str, text("the name", NAME_MAX)]
Label = Annotated[str, text("the label", NAME_MAX)]
Note = Annotated[str, text("the note", NOTE_MAX)]
Url = Annotated[str, text("the URL", NOTE_MAX)]
ProvenancePath = Annotated[str, text("the provenance path", NAME_MAX)]
ProgramText = Annotated[str, text("the program", PROGRAM_MAX)]

"""Generate the field tables of docs/rig-format.md from the rig file's JSON Schema.

The tables sit between two marker lines in the page and are rewritten from
``RigSpec.model_json_schema()``, so the page cannot fall behind the schema:
``tests/test_docs.py`` fails when they differ.

    python scripts/gen_docs.py          # rewrite the tables in docs/rig-format.md
    python scripts/gen_docs.py --check  # exit 1 if they are out of date

Every model in the schema's ``$defs`` gets a table (known ones in reading order, any
new one after them), so a field or model added to the schema shows up here at once.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PAGE = ROOT / "docs" / "rig-format.md"
BEGIN = "<!-- BEGIN GENERATED FIELD TABLES (python scripts/gen_docs.py) -->"
END = "<!-- END GENERATED FIELD TABLES -->"
ROOT_NAME = "RigSpec"
ORDER = ("RigSpec", "Environment", "DeviceUse", "InlineDevice", "PowerSpec", "PortSpec",
         "NoiseSpec", "Knob", "HeadphoneSpec", "Provenance", "SourceRef", "CableConnection",
         "EndRef", "PlugConnection")
"""Models in reading order; models the schema has beyond these follow alphabetically."""
TITLES = {
    "RigSpec": "the rig file (top level)",
    "Environment": "`environment:`",
    "DeviceUse": "a catalog device with settings (`devices: {ID: {model: ...}}`)",
    "InlineDevice": "an inline device (`devices: {ID: {kind: ...}}`)",
    "PowerSpec": "`power_details:` of a device",
    "PortSpec": "a port (`ports: {NAME: ...}`)",
    "NoiseSpec": "`noise:` of an output port",
    "Knob": "a knob (`knobs: {NAME: ...}` of a device)",
    "HeadphoneSpec": "`headphones:` of a headphones device",
    "Provenance": "`provenance:` (sources and assumptions)",
    "SourceRef": "a source (`provenance.sources: {PATH: ...}`)",
    "CableConnection": "a cable connection (`- cable: ...`)",
    "EndRef": "a cable end with adapters (`{port: ..., via: ...}`)",
    "PlugConnection": "a plug connection (`- plug: ...`)",
}


def _patterns() -> dict[str, str]:
    """Known string patterns -> what they are, in words (absent names are skipped)."""
    from signalchain.schema import quantities as q

    named = {"ID_PATTERN": "name (letters, digits, `_`, `-`; 1-64)",
             "CATALOG_ID_PATTERN": "catalog id",
             "TEXT_PATTERN": "text"}
    return {getattr(q, attr): words for attr, words in named.items() if hasattr(q, attr)}


def _number(schema: dict[str, Any]) -> str:
    """``number 0.001 to 1000``, or ``number > 0 and ≤ 100`` when a bound is excluded."""
    kind = "integer" if schema.get("type") == "integer" else "number"
    low = ("> " if "exclusiveMinimum" in schema else "≥ ",
           schema.get("exclusiveMinimum", schema.get("minimum")))
    high = ("< " if "exclusiveMaximum" in schema else "≤ ",
            schema.get("exclusiveMaximum", schema.get("maximum")))
    if low[0] == "≥ " and high[0] == "≤ " and low[1] is not None and high[1] is not None:
        return f"{kind} {_g(low[1])} to {_g(high[1])}"
    bounds = [f"{sign}{_g(value)}" for sign, value in (low, high) if value is not None]
    return f"{kind} {' and '.join(bounds)}" if bounds else kind


def _g(value: Any) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _string(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return " or ".join(f"`{v}`" for v in schema["enum"])
    pattern = schema.get("pattern", "")
    words = _patterns().get(pattern)
    if words is None and r"\." in pattern:  # 'device.port', 'port.contact' ...
        words = "`NAME.NAME`" if "|" not in pattern else "name or `NAME.NAME`"
    words = words or "string"
    if "maxLength" in schema and words in ("text", "string"):
        words += f" (at most {schema['maxLength']} characters)"
    unit = re.fullmatch(r"with a unit, e\.g\. (.*)", schema.get("description", ""))
    if unit:
        words = f"text such as {unit.group(1).replace(', ', ' or ')}"
    return words


def _branches(schema: dict[str, Any]) -> list[dict[str, Any]]:
    """The alternatives of an ``anyOf``/``oneOf`` or an ``if``/``then``/``else`` chain."""
    if "if" in schema and "then" in schema:
        rest = schema.get("else")
        return [schema["then"], *(_branches(rest) if isinstance(rest, dict) else [])]
    for key in ("anyOf", "oneOf"):
        if key in schema:
            return [b for s in schema[key] for b in _branches(s)]
    return [schema]


def type_text(schema: dict[str, Any]) -> str:
    """What a field accepts, in words (``$ref`` links to the model's table)."""
    branches = [b for b in _branches(schema) if b.get("type") != "null"]
    if len(branches) > 1:
        return _alternatives(branches)
    return _one_type(branches[0] if branches else schema)


def _alternatives(branches: list[dict[str, Any]]) -> str:
    if all("enum" in b for b in branches):
        return type_text({**branches[0], "enum": list(dict.fromkeys(
            v for b in branches for v in b["enum"]))})
    texts = [type_text(b) for b in branches]
    # a bare mapping is the fallback that only states what was expected
    texts = [t for t in texts if t != "mapping"] or texts
    return " or ".join(dict.fromkeys(texts))


def _one_type(one: dict[str, Any]) -> str:
    if "$ref" in one:
        name = one["$ref"].rsplit("/", 1)[-1]
        return f"[{name}](#{name.lower()})"
    if "const" in one:
        return f"`{json.dumps(one['const'])}`"
    if "enum" in one and one.get("type") != "string":
        return " or ".join(f"`{v}`" for v in one["enum"])
    kind = one.get("type")
    if kind in ("number", "integer"):
        return _number(one)
    if kind in ("string", "boolean", "array"):
        return {"string": _string, "boolean": lambda _s: "`true` or `false`",
                "array": _array}[kind](one)
    if kind == "object" or "patternProperties" in one or "additionalProperties" in one:
        return _mapping(one)
    return "any"


def _array(schema: dict[str, Any]) -> str:
    if "prefixItems" in schema:
        return "[" + ", ".join(_grouped(type_text(s)) for s in schema["prefixItems"]) + "]"
    items = _grouped(type_text(schema.get("items", {})))
    count = ""
    if "minItems" in schema and "maxItems" in schema:
        count = f" ({schema['minItems']} to {schema['maxItems']})"
    elif "maxItems" in schema:
        count = f" (at most {schema['maxItems']})"
    elif "minItems" in schema:
        count = f" (at least {schema['minItems']})"
    return f"list{count} of {items}"


def _mapping(schema: dict[str, Any]) -> str:
    names = schema.get("propertyNames", {})
    key = ("/".join(f"`{v}`" for v in names["enum"]) if "enum" in names else "KEY")
    values = [*schema.get("patternProperties", {}).values()]
    extra = schema.get("additionalProperties")
    if isinstance(extra, dict):
        values.append(extra)
    if not values:
        return "mapping"
    count = f" (at most {schema['maxProperties']})" if "maxProperties" in schema else ""
    return f"mapping{count} {key} → {_grouped(type_text(values[0]))}"


def _grouped(text: str) -> str:
    """``text`` in parentheses if it has alternatives outside brackets (in a list, a mapping)."""
    depth = 0
    for i, char in enumerate(text):
        depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(char, 0)
        if depth == 0 and text.startswith(" or ", i):
            return f"({text})"
    return text


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _default(name: str, spec: dict[str, Any], required: list[str]) -> str:
    if name in required:
        return "**required**"
    if "default" not in spec:
        return "—"  # a default_factory: an empty mapping/list, or the model's own defaults
    return f"`{json.dumps(spec['default'], ensure_ascii=False)}`"


def model_table(name: str, model: dict[str, Any]) -> str:
    """One model's heading, description and field table."""
    title = TITLES.get(name, "")
    lines = [f"### {name}", ""]
    if title:
        lines += [f"*{title}*", ""]
    doc = model.get("description", "")
    if doc:
        lines += [_cell(doc.split("\n\n")[0]).replace("``", "`"), ""]
    lines += ["| field | accepts | default | meaning |", "|---|---|---|---|"]
    required = list(model.get("required", []))
    for field, spec in model.get("properties", {}).items():
        lines.append(f"| `{field}` | {_cell(type_text(spec))} | "
                     f"{_cell(_default(field, spec, required))} | "
                     f"{_cell(spec.get('description', ''))} |")
    return "\n".join(lines) + "\n"


def field_tables(schema: dict[str, Any]) -> str:
    """Every model of a rig-file JSON Schema as a Markdown table, in reading order."""
    defs = dict(schema.get("$defs", {}))
    root = {k: v for k, v in schema.items() if k != "$defs"}
    models = {ROOT_NAME: root, **defs}
    names = [n for n in ORDER if n in models] + sorted(n for n in models if n not in ORDER)
    return "\n".join(model_table(n, models[n]) for n in names)


def rig_schema() -> dict[str, Any]:
    """The rig file's JSON Schema as pydantic generates it (no catalog-id enums)."""
    from signalchain.schema import RigSpec

    data: dict[str, Any] = RigSpec.model_json_schema()
    return data


def generated_block(page_text: str) -> str:
    """The text between the markers of a page (ValueError if they are missing)."""
    match = re.search(re.escape(BEGIN) + r"\n(.*?)" + re.escape(END), page_text, re.DOTALL)
    if match is None:
        raise ValueError(f"{PAGE.name} lacks the generated-table markers")
    return match.group(1)


def updated(page_text: str, tables: str) -> str:
    """The page with the text between the markers replaced by ``tables``."""
    generated_block(page_text)  # the markers must be there
    head, rest = page_text.split(BEGIN, 1)
    _old, tail = rest.split(END, 1)
    return f"{head}{BEGIN}\n{tables}{END}{tail}"


def main(argv: list[str]) -> int:
    """Rewrite (or with ``--check`` verify) the tables in docs/rig-format.md."""
    text = PAGE.read_text(encoding="utf-8")
    new = updated(text, field_tables(rig_schema()))
    if "--check" in argv:
        if new != text:
            print(f"{PAGE} is out of date: run python scripts/gen_docs.py", file=sys.stderr)
            return 1
        return 0
    if new != text:
        PAGE.write_text(new, encoding="utf-8")
        print(f"updated {PAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""What editors see in the JSON Schema: catalog ids as enums, unions as ``if``/``then``.

Two pieces of ``Annotated`` metadata shape the exported schema without changing what
pydantic accepts:

- :class:`IdsOf` marks a catalog-id field (``model``, ``cable``, ``via``); while
  :func:`listing_ids` is in force, the field's schema gains an ``enum`` of the catalog's
  ids of that kind, so an editor completes them and flags typos. Validation itself does
  not use the enum: an unknown id stays a rig error with a "did you mean" hint.
- :class:`Cases` turns a tagged union, whose plain schema is a ``oneOf`` (an editor's only
  error for it is "not valid under any of the given schemas"), into a chain of
  ``if``/``then``/``else``: the condition that picks a branch is checked first, and the
  errors are those of the one branch that applies.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Literal

from pydantic import GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

IdKind = Literal["device", "cable", "adapter"]
"""Which catalog ids a field takes: devices, cables and adapters (``cable:``), or adapters."""

_IDS: ContextVar[Mapping[str, Sequence[str]] | None] = ContextVar("signalchain_schema_ids",
                                                                   default=None)


@contextlib.contextmanager
def listing_ids(ids: Mapping[str, Sequence[str]]) -> Iterator[None]:
    """Give :class:`IdsOf` fields an ``enum`` while JSON Schemas are generated in this block.

    Parameters
    ----------
    ids : mapping
        ``'device'``, ``'cable'`` and ``'adapter'`` -> the catalog ids of that kind.
    """
    token = _IDS.set(ids)
    try:
        yield
    finally:
        _IDS.reset(token)


@dataclass(frozen=True)
class IdsOf:
    """``Annotated`` metadata: this string (or list of strings) is a catalog id of ``kind``."""

    kind: IdKind

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        generated = handler(schema)
        ids = _IDS.get()
        if ids is None:
            return generated
        return _with_enum(generated, sorted(ids.get(self.kind, ())))


def _with_enum(schema: JsonSchemaValue, ids: list[str]) -> JsonSchemaValue:
    """``schema`` with ``enum: ids`` on each string it accepts (also as array items)."""
    if schema.get("type") == "string":
        return {**schema, "enum": ids}
    if schema.get("type") == "array" and isinstance(schema.get("items"), dict):
        return {**schema, "items": _with_enum(schema["items"], ids)}
    if "anyOf" in schema:
        return {**schema, "anyOf": [_with_enum(s, ids) for s in schema["anyOf"]]}
    return schema


@dataclass(frozen=True, eq=False)
class Case:
    """One branch of :class:`Cases`: the JSON Schema ``condition`` that selects ``tag``."""

    tag: str
    condition: JsonSchemaValue


@dataclass(frozen=True, eq=False)
class Cases:
    """``Annotated`` metadata for a tagged union: its JSON Schema as ``if``/``then``/``else``.

    Parameters
    ----------
    cases : sequence of Case
        In order, the condition under which each tag's branch applies.
    otherwise : str or dict
        The tag of the branch taken when no condition holds, or a schema that states
        what was expected (a union whose discriminator has no tag for the value).

    A plain union (``anyOf``) works alike, its members named by made-up tags listed in
    the union's order (the cases', then ``otherwise``).
    """

    cases: tuple[Case, ...]
    otherwise: str | JsonSchemaValue

    def __get_pydantic_json_schema__(self, schema: core_schema.CoreSchema,
                                     handler: GetJsonSchemaHandler) -> JsonSchemaValue:
        generated = handler(schema)
        union = "oneOf" if "oneOf" in generated else "anyOf"
        branches = generated.get(union)
        declared = [c.tag for c in self.cases]
        if isinstance(self.otherwise, str):
            declared.append(self.otherwise)
        # a tagged union's schema lists its members in the order of its tags
        tags = list(schema["choices"]) if schema["type"] == "tagged-union" else declared
        if (not isinstance(branches, list) or len(branches) != len(tags)
                or sorted(tags) != sorted(declared)):
            raise TypeError(f"Cases({declared}) does not match the union's schema {generated}")
        by_tag = dict(zip(tags, branches, strict=True))
        chain: JsonSchemaValue = (by_tag[self.otherwise] if isinstance(self.otherwise, str)
                                  else dict(self.otherwise))
        for case in reversed(self.cases):
            chain = {"if": case.condition, "then": by_tag[case.tag], "else": chain}
        rest = {k: v for k, v in generated.items() if k not in (union, "discriminator")}
        return {**rest, **chain}

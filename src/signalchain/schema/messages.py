"""Pydantic's validation errors as the loader reports them: what is wrong and the likely fix.

Each error names the bad value and what would be valid; pydantic's raw messages never
reach the user.
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from pydantic import BaseModel, RootModel

from signalchain.schema.entry import ENTRY_KINDS

MAX_DIAGNOSTICS = 50
"""Most schema errors reported for one document (the rest are counted)."""

Error = Mapping[str, Any]
"""One entry of ``ValidationError.errors()``."""

_CUSTOM = {"out_of_range", "bad_id", "bad_text", "bad_table", "limit", "captive"}
"""Our own error types, whose message and hint are already what the user should read."""


def all_field_names(model: type[BaseModel], seen: set[type] | None = None) -> set[str]:
    """Every field name (or alias) in ``model`` and the models it contains (for hints)."""
    seen = seen if seen is not None else set()
    if model in seen:
        return set()
    seen.add(model)
    names: set[str] = set()
    for name, info in model.model_fields.items():
        if not issubclass(model, RootModel):
            names.add(info.alias or name)
        for sub in _models_in(info.annotation):
            names |= all_field_names(sub, seen)
    return names


def _models_in(annotation: Any) -> Iterable[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield annotation
        return
    for arg in typing.get_args(annotation):
        yield from _models_in(arg)


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def error_path(err: Error) -> tuple[str | int, ...]:
    """Where in the document an error points (an entry's bad ``kind``, not the entry)."""
    loc = tuple(err["loc"])
    value = err.get("input")
    if err["type"] == "entry_kind" and isinstance(value, dict) and "kind" in value:
        return (*loc, "kind")
    return loc


def _length(err: Error, _known: set[str]) -> tuple[str, str]:
    ctx = err.get("ctx", {})
    short = err["type"] == "too_short"
    bound = ctx.get("min_length") if short else ctx.get("max_length")
    word = "at least" if short else "at most"
    return f"needs {word} {bound} entries, not {ctx.get('actual_length', '?')}", ""


def _finite(err: Error, _known: set[str]) -> tuple[str, str]:
    return f"{_describe(err.get('input'))} is not a finite number", "write a finite number"


def _last(err: Error) -> Any:
    loc = err["loc"]
    return loc[-1] if loc else ""


def _missing(err: Error, _known: set[str]) -> tuple[str, str]:
    last = _last(err)
    return f"missing required field {last!r}", f"add '{last}:'"


def _extra(err: Error, known: set[str]) -> tuple[str, str]:
    last = _last(err)
    close = difflib.get_close_matches(str(last), sorted(known), n=1)
    hint = f"did you mean {close[0]!r}?" if close else "remove it or check the spelling"
    return f"unknown field {last!r}", hint


def _literal(err: Error, _known: set[str]) -> tuple[str, str]:
    expected = err.get("ctx", {}).get("expected", "")
    return f"{_describe(err.get('input'))} is not valid here; expected {expected}", ""


def _value(err: Error, _known: set[str]) -> tuple[str, str]:
    return str(err.get("ctx", {}).get("error", err["msg"])), ""


def _connection_kind(err: Error, _known: set[str]) -> tuple[str, str]:
    return err["msg"], ("write '- cable: trs-cable' with 'ends: [a.port, b.port]', or "
                        "'- plug: alice' with 'into: hm4.out1'")


def _device_entry(err: Error, _known: set[str]) -> tuple[str, str]:
    return (f"{err['msg']}; not {_describe(err.get('input'))}",
            "write a catalog id such as 'generic/laptop'")


def _entry_kind(err: Error, _known: set[str]) -> tuple[str, str]:
    value = err.get("input")
    kinds = ", ".join(ENTRY_KINDS)
    if isinstance(value, dict) and "kind" in value:
        return (f"{_describe(value['kind'])} is not a kind of catalog entry; valid kinds: "
                f"{kinds}", "")
    if isinstance(value, dict):
        return (f"a catalog entry needs a kind: one of {kinds}",
                "add 'kind:' (a cable may leave it out, but needs 'ends:')")
    return (f"a catalog entry is a mapping with 'id:' and 'kind:', not {_describe(value)}",
            "start each entry with '- id: brand/model'")


_BY_TYPE: dict[str, Callable[[Error, set[str]], tuple[str, str]]] = {
    "too_short": _length, "too_long": _length, "finite_number": _finite,
    "missing": _missing, "extra_forbidden": _extra, "literal_error": _literal,
    "value_error": _value, "assertion_error": _value, "connection_kind": _connection_kind,
    "device_entry": _device_entry, "entry_kind": _entry_kind,
}


def error_message(err: Error, known_fields: set[str]) -> tuple[str, str]:
    """The message and hint for one pydantic error.

    Parameters
    ----------
    err : mapping
        An entry of ``ValidationError.errors()``.
    known_fields : set of str
        The field names of the model validated (for "did you mean" hints).
    """
    kind = err["type"]
    if kind in _CUSTOM:
        return err["msg"], str(err.get("ctx", {}).get("hint", ""))
    handler = _BY_TYPE.get(kind)
    if handler is not None:
        return handler(err, known_fields)
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return f"{err['msg'].lower()}, not {_describe(err.get('input'))}", ""
    return f"{err['msg']} (got {_describe(err.get('input'))})", ""

"""Read YAML with line numbers and validate it into schema models.

Errors name the file, line and column, the YAML path, the bad value and what
would be valid; pydantic's raw messages never reach the user.
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from signalchain.errors import Diagnostic, Location, RigValidationError, error_at

M = TypeVar("M", bound=BaseModel)


class YamlDocument:
    """A parsed YAML document that remembers where every key and item came from."""

    def __init__(self, data: Any, filename: str, text: str):
        self.data = data
        self.filename = filename
        self.text = text

    def location(self, path: Iterable[str | int]) -> tuple[Location, str]:
        """Return the location of the deepest node along ``path`` and the dotted path found.

        Path elements that are not keys or indices of the document (pydantic's
        union tags) are skipped.
        """
        node = self.data
        line, col = 0, 0
        found: list[str] = []
        for key in path:
            if isinstance(node, CommentedMap) and key in node:
                line, col = node.lc.key(key)
                node = node[key]
                found.append(str(key))
            elif isinstance(node, CommentedSeq) and isinstance(key, int) and key < len(node):
                line, col = node.lc.item(key)
                node = node[key]
                found.append(str(key))
        return Location(self.filename, line + 1, col + 1), ".".join(found)

    def value_location(self, path: Iterable[str | int]) -> Location:
        """Return the location of the value (not the key) at an exact path."""
        node = self.data
        loc = Location(self.filename, 1, 1)
        for key in path:
            if isinstance(node, CommentedMap) and key in node:
                line, col = node.lc.value(key)
                loc = Location(self.filename, line + 1, col + 1)
                node = node[key]
            elif isinstance(node, CommentedSeq) and isinstance(key, int) and key < len(node):
                line, col = node.lc.item(key)
                loc = Location(self.filename, line + 1, col + 1)
                node = node[key]
            else:
                break
        return loc


def _plain(node: Any) -> Any:
    """Convert ruamel's round-trip containers and scalars to plain Python objects."""
    if isinstance(node, dict):
        return {_plain(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node


def round_trip_yaml() -> YAML:
    """Return a ruamel YAML instance that keeps comments and positions."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    return yaml


def parse_yaml(text: str, filename: str) -> YamlDocument:
    """Parse YAML text; syntax errors become a :class:`RigValidationError` with a location."""
    try:
        data = round_trip_yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = Location(filename, mark.line + 1, mark.column + 1) if mark else Location(filename)
        problem = exc.problem or exc.context or "invalid YAML"
        raise RigValidationError([error_at(f"YAML syntax error: {problem}", loc,
                                           hint="check indentation, colons and quotes near "
                                           "this line", code="yaml-syntax")]) from None
    except YAMLError as exc:
        raise RigValidationError([error_at(f"YAML error: {exc}", Location(filename),
                                           code="yaml-syntax")]) from None
    return YamlDocument(data, filename, text)


def read_yaml(path: str | Path) -> YamlDocument:
    """Read and parse a YAML file; unreadable files become clear errors."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RigValidationError([error_at(f"no such file: {p}", Location(str(p)),
                                           code="no-file")]) from None
    except IsADirectoryError:
        raise RigValidationError([error_at(f"{p} is a directory, not a rig file",
                                           Location(str(p)), code="no-file")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RigValidationError([error_at(f"cannot read {p}: {exc}", Location(str(p)),
                                           code="no-file")]) from None
    return parse_yaml(text, str(p))


def _all_field_names(model: type[BaseModel], seen: set[type] | None = None) -> set[str]:
    seen = seen if seen is not None else set()
    if model in seen:
        return set()
    seen.add(model)
    names: set[str] = set()
    for name, info in model.model_fields.items():
        names.add(info.alias or name)
        for sub in _models_in(info.annotation):
            names |= _all_field_names(sub, seen)
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


def _message(err: dict[str, Any], known_fields: set[str]) -> tuple[str, str]:
    kind = err["type"]
    loc = err["loc"]
    last = loc[-1] if loc else ""
    value = err.get("input")
    if kind == "missing":
        return f"missing required field {last!r}", f"add '{last}:'"
    if kind == "extra_forbidden":
        close = difflib.get_close_matches(str(last), sorted(known_fields), n=1)
        hint = f"did you mean {close[0]!r}?" if close else "remove it or check the spelling"
        return f"unknown field {last!r}", hint
    if kind == "literal_error":
        expected = err.get("ctx", {}).get("expected", "")
        return f"{_describe(value)} is not valid here; expected {expected}", ""
    if kind in ("value_error", "assertion_error"):
        msg = str(err.get("ctx", {}).get("error", err["msg"]))
        return msg, ""
    if kind == "connection_kind":
        return err["msg"], "write '- cable: trs-cable' with 'ends: [a.port, b.port]', or " \
            "'- plug: alice' with 'into: hm4.out1'"
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return f"{err['msg'].lower()}, not {_describe(value)}", ""
    return f"{err['msg']} (got {_describe(value)})", ""


def validate(model: type[M], doc: YamlDocument, data: Any | None = None,
             path_prefix: tuple[str | int, ...] = ()) -> M:
    """Validate ``doc`` (or part of it) into ``model``, mapping errors to file locations."""
    raw = doc.data if data is None else data
    try:
        return model.model_validate(_plain(raw))
    except ValidationError as exc:
        known = _all_field_names(model)
        diags: list[Diagnostic] = []
        seen: set[tuple[str, str]] = set()
        for err in exc.errors(include_url=False):
            full = path_prefix + tuple(err["loc"])
            location, dotted = doc.location(full)
            message, hint = _message(err, known)
            key = (dotted, message)
            if key in seen:
                continue
            seen.add(key)
            where = f"{dotted}: " if dotted else ""
            diags.append(error_at(f"{where}{message}", location, path=dotted, hint=hint,
                                  code="schema"))
        raise RigValidationError(diags) from None

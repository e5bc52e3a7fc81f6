"""Which numeric values of a catalog entry are sourced, assumed, or schema defaults."""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from signalchain.schema.common import Provenance

_SKIP = {"provenance"}


def numeric_leaves(model: BaseModel, prefix: str = "", only_set: bool = True
                   ) -> Iterator[tuple[str, float]]:
    """Yield ``(dotted_path, value)`` for every number in a model.

    With ``only_set`` (default) only values written in the document are
    yielded; defaults filled in by the schema are skipped.
    """
    fields = model.model_fields_set if only_set else set(type(model).model_fields)
    for name in type(model).model_fields:
        if name in _SKIP or name not in fields:
            continue
        yield from _leaves(getattr(model, name), f"{prefix}{name}", only_set)


def _leaves(value: Any, path: str, only_set: bool) -> Iterator[tuple[str, float]]:
    if isinstance(value, bool) or value is None:
        return
    if isinstance(value, int | float):
        yield path, float(value)
    elif isinstance(value, BaseModel):
        yield from numeric_leaves(value, path + ".", only_set)
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, f"{path}.{k}", only_set)
    elif isinstance(value, list | tuple):
        if value and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value):
            yield path, float(value[0])  # a table or pair counts as one value
        else:
            for i, v in enumerate(value):
                yield from _leaves(v, f"{path}.{i}", only_set)


def _covered(path: str, patterns: dict[str, Any]) -> str | None:
    parts = path.split(".")
    for pattern in patterns:
        pat = pattern.split(".")
        # a pattern covers its own path and everything below it
        if len(pat) <= len(parts) and all(
                fnmatch.fnmatchcase(p, q) for p, q in zip(parts, pat, strict=False)):
            return pattern
    return None


def classify(path: str, prov: Provenance) -> tuple[str, str]:
    """Return ``('source', url)``, ``('assumed', reason)`` or ``('none', '')`` for a path."""
    key = _covered(path, prov.sources)
    if key is not None:
        ref = prov.sources[key]
        return "source", ref.url if hasattr(ref, "url") else str(ref)
    key = _covered(path, prov.assumed)
    if key is not None:
        return "assumed", prov.assumed[key]
    return "none", ""

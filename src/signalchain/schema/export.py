"""The JSON Schemas ``signalchain schema`` prints: rig files and catalog files."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

from signalchain.schema.editor import listing_ids
from signalchain.schema.entry import CABLE_KINDS, DEVICE_KINDS, CatalogFile
from signalchain.schema.rig import RigSpec

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def _ids(ids: Mapping[str, Sequence[str]] | None) -> contextlib.AbstractContextManager[None]:
    return listing_ids(ids) if ids is not None else contextlib.nullcontext()


def rig_json_schema(ids: Mapping[str, Sequence[str]] | None = None) -> dict[str, Any]:
    """The JSON Schema of a rig file (format 1), for editors.

    Parameters
    ----------
    ids : mapping, optional
        ``'device'``, ``'cable'`` (cables and adapters) and ``'adapter'`` -> catalog ids
        (:meth:`signalchain.catalog.Catalog.schema_ids`): ``model``, ``cable`` and ``via``
        then list them as an ``enum``. Without it any well-formed catalog id is accepted.
    """
    with _ids(ids):
        data = RigSpec.model_json_schema()
    data["$schema"] = DIALECT
    data["title"] = "signalchain rig file (format 1)"
    return data


def catalog_json_schema(ids: Mapping[str, Sequence[str]] | None = None) -> dict[str, Any]:
    """The JSON Schema of a catalog file (a list of device and cable entries), for editors.

    Parameters
    ----------
    ids : mapping, optional
        As for :func:`rig_json_schema` (an ``adapter_included`` lists the adapters).
    """
    with _ids(ids):
        data = CatalogFile.model_json_schema()
    data["items"]["required"] = ["id"]
    data["$schema"] = DIALECT
    data["title"] = "signalchain catalog file"
    data["description"] = (f"A YAML list of catalog entries: devices (kind: "
                           f"{', '.join(DEVICE_KINDS)}) and cables (kind: "
                           f"{', '.join(CABLE_KINDS)}, or no kind and 'ends:').")
    return data

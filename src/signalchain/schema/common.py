"""Shared building blocks: provenance (sources and assumptions) and the strict base model."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator

from signalchain.schema.editor import Case, Cases
from signalchain.schema.quantities import Note, ProvenancePath, Url


class Strict(BaseModel):
    """Base for every schema model: unknown keys are errors, NaN and infinities too."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, allow_inf_nan=False,
                              defer_build=True)


class SourceRef(Strict):
    """Where a value was published."""

    url: Url = Field(description="URL of the document the value comes from")
    note: Note = ""


def _source_tag(value: Any) -> str:
    return "ref" if isinstance(value, dict | SourceRef) else "url"


Source = Annotated[Annotated[SourceRef, Tag("ref")] | Annotated[Url, Tag("url")],
                   Discriminator(_source_tag),
                   Cases((Case("ref", {"type": "object"}),), otherwise="url")]


class Provenance(Strict):
    """Sources and assumptions for the values of a catalog entry.

    Keys are dotted paths into the entry (``ports.headphones.z_out_ohm``); a
    ``*`` matches one path segment (``ports.out*.gain_db``).
    """

    sources: dict[ProvenancePath, Source] = Field(default_factory=dict)
    assumed: dict[ProvenancePath, Note] = Field(default_factory=dict,
                                                description="path -> why this value is assumed")

    @field_validator("sources", mode="after")
    @classmethod
    def _wrap_urls(cls, v: dict[str, SourceRef | str]) -> dict[str, SourceRef | str]:
        return {k: (SourceRef(url=u) if isinstance(u, str) else u) for k, u in v.items()}

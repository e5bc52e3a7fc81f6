"""Shared building blocks: provenance (sources and assumptions) and the strict base model."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Strict(BaseModel):
    """Base for every schema model: unknown keys are errors."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class SourceRef(Strict):
    """Where a value was published."""

    url: str = Field(description="URL of the document the value comes from")
    note: str = ""


class Provenance(Strict):
    """Sources and assumptions for the values of a catalog entry.

    Keys are dotted paths into the entry (``ports.headphones.z_out_ohm``); a
    ``*`` matches one path segment (``ports.out*.gain_db``).
    """

    sources: dict[str, SourceRef | str] = Field(default_factory=dict)
    assumed: dict[str, str] = Field(default_factory=dict,
                                    description="path -> why this value is assumed")

    @field_validator("sources", mode="after")
    @classmethod
    def _wrap_urls(cls, v: dict[str, SourceRef | str]) -> dict[str, SourceRef | str]:
        return {k: (SourceRef(url=u) if isinstance(u, str) else u) for k, u in v.items()}

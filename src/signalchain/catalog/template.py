"""Commented templates of catalog files, for ``signalchain catalog new``."""

from __future__ import annotations

from importlib import resources

TEMPLATE_KINDS = ("headphones", "amp", "interface")
"""The device kinds with a template."""


def template(kind: str) -> str:
    """The commented YAML template of a catalog file with one entry of ``kind``.

    Each value to fill in is a ``<placeholder>`` explained by the comment after it; the
    file loads as a catalog file once they are replaced. Every value has a
    ``provenance`` line (``sources:`` URL or ``assumed:`` reason) to fill in too.

    Raises
    ------
    ValueError
        For a kind without a template (see :data:`TEMPLATE_KINDS`).
    """
    if kind not in TEMPLATE_KINDS:
        raise ValueError(f"no catalog template for {kind!r}; templates: "
                         f"{', '.join(TEMPLATE_KINDS)}")
    return (resources.files("signalchain.catalog") / "templates" / f"{kind}.yaml").read_text(
        encoding="utf-8")

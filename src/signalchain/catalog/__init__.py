"""The gear catalog: bundled and user devices, cables, adapters and splitters, with provenance."""

from signalchain.catalog.store import BUNDLED, Catalog, Override, default_catalog
from signalchain.catalog.template import TEMPLATE_KINDS, template
from signalchain.catalog.user import ENV_VAR, load_catalog

__all__ = ["BUNDLED", "ENV_VAR", "TEMPLATE_KINDS", "Catalog", "Override", "default_catalog",
           "load_catalog", "template"]

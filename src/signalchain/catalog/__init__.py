"""The bundled gear catalog: devices, cables, adapters and splitters, with provenance."""

from signalchain.catalog.store import Catalog, default_catalog

__all__ = ["Catalog", "default_catalog"]

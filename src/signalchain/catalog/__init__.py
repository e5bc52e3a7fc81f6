"""The bundled gear catalog: devices, cables, adapters and splitters, with provenance.

User folders add to it: :func:`load_catalog` (``--catalog DIR``, ``SIGNALCHAIN_CATALOG``).
"""

from signalchain.catalog.store import Catalog, default_catalog
from signalchain.catalog.user import Override, load_catalog, template

__all__ = ["Catalog", "Override", "default_catalog", "load_catalog", "template"]

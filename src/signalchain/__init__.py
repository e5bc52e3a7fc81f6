"""signalchain: simulate and plan audio monitoring rigs.

Describe a rig (computer, audio interface, cables, headphone amps and the
listeners' headphones) in a YAML file and signalchain tells you whether it
plugs together, what each listener hears in each ear, where to set the knobs
and which way of wiring your gear is best.

The one entry point is :class:`Rig`::

    import signalchain as sc
    rig = sc.Rig.from_path("rig.yaml")
    ev = rig.simulate()
    print(ev.listener("alice").ears["left"].program)

Results are immutable data (:class:`Evaluation`, :class:`Finding` ...); the words and
tables made from them live in :mod:`signalchain.report`.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

if TYPE_CHECKING:
    from signalchain.errors import RigError
    from signalchain.findings import Finding
    from signalchain.refs import KnobRef, PortRef
    from signalchain.results import Evaluation, ListenerFigures
    from signalchain.rig import Rig

# The names are imported on first use (PEP 562): ``python -m signalchain check`` should not
# pay for NumPy, the schema and the solver before it knows what it is asked to do.
_LAZY = {"Evaluation": "signalchain.results", "Finding": "signalchain.findings",
         "KnobRef": "signalchain.refs", "ListenerFigures": "signalchain.results",
         "PortRef": "signalchain.refs", "Rig": "signalchain.rig", "RigError": "signalchain.errors"}

__all__ = ["Evaluation", "Finding", "KnobRef", "ListenerFigures", "PortRef", "Rig", "RigError",
           "__version__"]


def __getattr__(name: str) -> Any:
    """Import one of :data:`__all__`'s names on first use, then keep it."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

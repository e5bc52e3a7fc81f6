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

__version__ = "0.1.0"

from signalchain.errors import RigError  # noqa: E402
from signalchain.findings import Finding  # noqa: E402
from signalchain.refs import KnobRef, PortRef  # noqa: E402
from signalchain.results import Evaluation, ListenerFigures  # noqa: E402
from signalchain.rig import Rig  # noqa: E402

__all__ = ["Evaluation", "Finding", "KnobRef", "ListenerFigures", "PortRef", "Rig", "RigError",
           "__version__"]

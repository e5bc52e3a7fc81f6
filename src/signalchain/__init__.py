"""signalchain: simulate and plan audio monitoring rigs.

Describe a rig (computer, audio interface, cables, headphone amps and the
listeners' headphones) in a YAML file and signalchain tells you whether it
plugs together, what each listener hears in each ear, where to set the knobs
and which way of wiring your gear is best.

The public entry points are re-exported here:

- :func:`load_rig` -- read and validate a rig file.
- :func:`check_rig` -- resolve gear, check mating and build the netlist.
- :func:`simulate` -- analytic figures for every listener and ear.
"""

__version__ = "0.1.0"

from signalchain.api import check_rig, load_rig, simulate  # noqa: E402

__all__ = ["__version__", "check_rig", "load_rig", "simulate"]

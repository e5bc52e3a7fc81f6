"""Pictures of a rig: the signal-flow diagram, level diagrams, plots, ears and knob dials.

Every function here returns SVG text (deterministic: the same rig gives the same bytes) drawn
from the library's results; nothing here computes physics. The diagram is laid out by
Graphviz (the ``report`` extra, imported only when a diagram is asked for, see
:func:`signalchain.extras.require`); the rest is SVG written here (:mod:`.chart` for plots).
"""

"""Pictures of a rig: the signal-flow diagram, level diagrams, plots and knob dials.

Every function here returns SVG text (deterministic: the same rig gives the same bytes) drawn
from the library's results; nothing here computes physics. The packages it draws with come
from the ``report`` extra and are imported only when a picture is asked for
(:func:`signalchain.extras.require`).
"""

"""The characters no text from a rig may carry, for the schema and for the terminal alike.

A module of its own, free of imports: :mod:`signalchain.textsafe` (loaded by every command)
needs it without the schema's models.
"""

FORMAT_CONTROLS = ("\\u007f-\\u009f\\u200e\\u200f\\u2028\\u2029\\u202a-\\u202e"
                   "\\u2066-\\u2069")
"""Regex class body of the characters besides C0 that never belong in text from a rig, nor on
a terminal (:mod:`signalchain.textsafe`): DEL, C1 controls (0x9b is a one-byte CSI), direction
marks, line and paragraph separators, bidi embeddings, overrides and isolates."""

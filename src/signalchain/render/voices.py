"""What the talkers say when a rig is rendered: one deterministic voice per talker, in pascals.

Each talker's ``voice`` (a built-in signal) is scaled so that its RMS over the loop is their
average speech pressure at the microphone (the same figure ``simulate`` uses), and each
talker gets their own take (another seed of the speech generator, another start in the
loop), so two talkers are never the same waveform.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

import numpy as np

from signalchain.arrays import Float32Array, FloatArray
from signalchain.graph.compile import SignalGraph
from signalchain.recording import talker_pressures_pa
from signalchain.render import synth

VOICE_SEED = 11
"""The speech generator's seed for the first talker (the next ones count up)."""
OFFSET_S = 2.7
"""Each further talker starts this much later in the other signals' loops."""


@lru_cache(maxsize=16)
def _mono(name: str, samplerate: int, talker_index: int) -> FloatArray:
    """A built-in signal as one channel, unit RMS (silence stays silent)."""
    if name == "speech":
        table = synth.speech(samplerate, seed=VOICE_SEED + talker_index)
    else:
        makers: dict[str, Callable[[int], FloatArray]] = {
            "music": lambda fs: synth.music(fs), "pink": lambda fs: synth.pink(fs),
            "sine1k": synth.sine, "silence": synth.silence}
        table = makers[name](samplerate)
        table = np.roll(table, int(talker_index * OFFSET_S * samplerate) % len(table), axis=0)
    mono: FloatArray = table.mean(axis=1) if table.ndim == 2 else table
    rms = float(np.sqrt(np.mean(mono**2)))
    out: FloatArray = mono / rms if rms > 0 else mono
    out.setflags(write=False)
    return out


class Voices:
    """Every talker's voice, pulled block by block (talkers × frames, pascals)."""

    def __init__(self, graph: SignalGraph, samplerate: int):
        talkers = graph.built.rig.spec.talkers
        pressures = talker_pressures_pa(graph)
        self.tables = [(_mono(talkers[who].voice.removeprefix("builtin:"), samplerate, t)
                        * pressures[who]).astype(np.float32)
                       for t, who in enumerate(graph.talkers)]
        self._pos = 0

    def block(self, frames: int) -> Float32Array:
        """The next ``frames`` samples of every voice (a talker per row)."""
        out = np.zeros((len(self.tables), frames), dtype=np.float32)
        for row, table in enumerate(self.tables):
            idx = (np.arange(frames) + self._pos) % len(table)
            out[row] = table[idx]
        self._pos += frames
        return out

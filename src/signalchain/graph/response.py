"""The rig's linear response at given knob positions.

With ``d`` the drive columns, ``s`` the input senses and ``h`` the ground
sources, the solved network gives ``s = T_in,d d + T_in,h h`` and every ear
``e = T_ear,d d + T_ear,h h``. Active stages close the loop:
``d = K (P p + M s) + n`` (knob gains K, program map P, input map M, stage
noise n). Solving ``(I - K M T_in,d) d = K P p + K M T_in,h h + n`` per
frequency gives every transfer at once, including any feedback through
shared grounds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from signalchain.arrays import ComplexArray, FloatArray, IntArray
from signalchain.graph.compile import SignalGraph


@dataclass
class Response:
    """Transfers at one set of knob positions (all arrays are over the frequency grid).

    Attributes
    ----------
    gains : ndarray (n_drive,)
        Knob-and-gain of each drive column.
    drive_from_noise : ndarray (F, n_drive, n_drive)
        Drive columns per unit of noise injected at each column: ``(I - K M T)^-1``.
    program : ndarray (F, n_sense, n_program)
        Every sense per unit (full-scale RMS) of each program channel.
    noise : ndarray (F, n_sense, n_drive)
        Every sense per volt of noise injected at each drive column.
    hum : ndarray (F, n_sense, n_ground)
        Every sense per ground source (at its fundamental amplitude).
    voice : ndarray (F, n_sense, n_talkers)
        Every sense per pascal of each talker's voice at their microphone.
    input_gains : ndarray (n_drive, n_input)
        What each drive column takes from each input sense: ``K M S`` (knobs, input map,
        the preamps' scale).
    """

    gains: FloatArray
    drive_from_noise: ComplexArray
    program: ComplexArray
    noise: ComplexArray
    hum: ComplexArray
    voice: ComplexArray
    input_gains: FloatArray


def knob_gains(graph: SignalGraph, positions: dict[str, float]) -> FloatArray:
    """Linear gain of every drive column at the given knob positions."""
    per_stage: dict[str, float] = {}
    for sid in graph.drive_stage:
        if sid not in per_stage:
            per_stage[sid] = graph.knob_gain(graph.stages[sid], positions)
    return np.array([per_stage[sid] for sid in graph.drive_stage])


def respond(graph: SignalGraph, positions: dict[str, float],
            freq_index: IntArray | slice | None = None) -> Response:
    """Solve the active loop at ``positions`` (optionally on a subset of the grid)."""
    sel = slice(None) if freq_index is None else freq_index
    t = graph.solution.transfer[sel]
    n_d = graph.n_drive
    t_d, t_h = t[:, :, :n_d], t[:, :, n_d:]
    t_in_d = t_d[:, graph.input_senses, :]
    t_in_h = t_h[:, graph.input_senses, :]
    k = knob_gains(graph, positions)
    km = k[:, None] * graph.input_map * graph.input_scale(positions)[None, :]
    loop = np.eye(n_d)[None] - km[None] @ t_in_d
    r = np.linalg.inv(loop)
    noise: ComplexArray = t_d @ r
    program = noise @ (k[:, None] * graph.program_map)[None]
    voice = noise @ (k[:, None] * graph.voice_map)[None]
    hum = noise @ (km[None] @ t_in_h) + t_h
    return Response(k, r, program, noise, hum, voice, km)

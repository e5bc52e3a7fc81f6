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

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from signalchain import units
from signalchain.arrays import ComplexArray, FloatArray, IntArray
from signalchain.graph.compile import SignalGraph


@dataclass
class Response:
    """Transfers at one set of knob positions (all arrays are over the frequency grid).

    A batch (:func:`respond_many`) has a leading point axis on every array but
    :attr:`ground` and :attr:`ground_in`, which do not depend on the knobs.

    Attributes
    ----------
    gains : ndarray (n_drive,)
        Knob-and-gain of each drive column.
    program : ndarray (F, n_sense, n_program)
        Every sense per unit (full-scale RMS) of each program channel.
    noise : ndarray (F, n_sense, n_drive)
        Every sense per volt of noise injected at each drive column.
    voice : ndarray (F, n_sense, n_talkers)
        Every sense per pascal of each talker's voice at their microphone.
    input_gains : ndarray (n_drive, n_input)
        What each drive column takes from each input sense: ``K M S`` (knobs, input map,
        the preamps' scale).
    loop : ndarray (F, n_input, n_drive)
        ``(I - T_in,d K M S)^-1 T_in,d``: what closing the loop adds (see
        :attr:`drive_from_noise`).
    ground : ndarray (F, n_sense, n_ground)
        Every sense per ground source with the stages open (the loop adds the rest).
    ground_in : ndarray (F, n_input, n_ground)
        Every input sense per ground source with the stages open.
    """

    gains: FloatArray
    program: ComplexArray
    noise: ComplexArray
    voice: ComplexArray
    input_gains: FloatArray
    loop: ComplexArray
    ground: ComplexArray
    ground_in: ComplexArray

    @property
    def hum(self) -> ComplexArray:
        """(F, n_sense, n_ground) every sense per ground source (at its fundamental)."""
        return self.hum_at(slice(None))

    def hum_at(self, freq_index: IntArray | list[int] | slice) -> ComplexArray:
        """:attr:`hum` at these frequencies only (hum lives at the mains harmonics)."""
        through = np.expand_dims(self.input_gains, -3) @ self.ground_in[freq_index]
        out: ComplexArray = (self.noise[..., freq_index, :, :] @ through
                             + self.ground[freq_index])
        return out

    @property
    def drive_from_noise(self) -> ComplexArray:
        """(F, n_drive, n_drive) drive columns per unit of noise injected at each column.

        ``(I - K M T)^-1 = I + (K M S) loop``, made when asked (the figures do not need it).
        """
        out: ComplexArray = (np.eye(self.gains.shape[-1])
                             + np.expand_dims(self.input_gains, -3) @ self.loop)
        return out

    def subset(self, freq_index: IntArray | slice = slice(None),
               senses: IntArray | list[int] | slice = slice(None)) -> Response:
        """These frequencies and senses only (a batch keeps its leading point axis)."""
        def cut(a: ComplexArray, by_sense: bool) -> ComplexArray:
            a = a[..., freq_index, :, :]
            out: ComplexArray = a[..., senses, :] if by_sense else a
            return out

        return Response(self.gains, cut(self.program, True), cut(self.noise, True),
                        cut(self.voice, True), self.input_gains, cut(self.loop, False),
                        cut(self.ground, True), cut(self.ground_in, False))

    def point(self, index: int) -> Response:
        """One point of a batch from :func:`respond_many` (views, no copies)."""
        return Response(self.gains[index], self.program[index], self.noise[index],
                        self.voice[index], self.input_gains[index], self.loop[index],
                        self.ground, self.ground_in)

    def batch(self) -> Response:
        """A batch of one point: this response (views, no copies)."""
        return Response(self.gains[None], self.program[None], self.noise[None],
                        self.voice[None], self.input_gains[None], self.loop[None],
                        self.ground, self.ground_in)


def knob_gains(graph: SignalGraph, positions: Mapping[str, float]) -> FloatArray:
    """Linear gain of every drive column at the given knob positions."""
    out: FloatArray = knob_gains_many(graph, [positions])[0]
    return out


def knob_gains_many(graph: SignalGraph, points: Sequence[Mapping[str, float]]) -> FloatArray:
    """Linear gain of every drive column at each of ``points`` knob settings: (P, n_drive).

    A stage's knob is read once for all points (one taper evaluation over a column).
    """
    out = np.empty((len(points), graph.n_drive))
    per_stage: dict[str, FloatArray] = {}
    for j, sid in enumerate(graph.drive_stage):
        if sid not in per_stage:
            stage = graph.stages[sid]
            if stage.knob is None:
                per_stage[sid] = np.full(len(points), stage.gain)
            else:
                ref = f"{stage.device}.{stage.knob}"
                where = np.array([p.get(ref, 1.0) for p in points], dtype=float)
                per_stage[sid] = stage.gain * units.taper_gain(where, stage.taper)
        out[:, j] = per_stage[sid]
    return out


def input_scale_many(graph: SignalGraph, points: Sequence[Mapping[str, float]]) -> FloatArray:
    """:meth:`SignalGraph.input_scale` at each of ``points`` knob settings: (P, n_input)."""
    return np.array([graph.input_scale(p) for p in points]).reshape(
        len(points), len(graph.input_senses))


def respond(graph: SignalGraph, positions: Mapping[str, float],
            freq_index: IntArray | slice | None = None) -> Response:
    """Solve the active loop at ``positions`` (optionally on a subset of the grid)."""
    return respond_many(graph, knob_gains_many(graph, [positions]),
                        input_scale_many(graph, [positions]), freq_index).point(0)


def respond_many(graph: SignalGraph, gains: FloatArray, input_scale: FloatArray,
                 freq_index: IntArray | slice | None = None,
                 senses: Sequence[int] | None = None) -> Response:
    """Solve the active loop at P knob settings at once; every array gains a leading P axis.

    ``gains`` (P, n_drive) are the columns' knob-and-gain (:func:`knob_gains_many`),
    ``input_scale`` (P, n_input) the inputs' scale (:func:`input_scale_many`); ``senses``
    keeps only those rows of the sense-indexed arrays (all by default).

    The loop ``I - K M T`` has the rank of the few inputs, so its inverse is found from an
    (n_input × n_input) one per frequency (Woodbury): ``(I - U V)^-1 = I + U (I - V U)^-1 V``
    with ``U = K M S`` and ``V = T_in,d``.
    """
    sel = slice(None) if freq_index is None else freq_index
    t = graph.solution.transfer[sel]
    n_d = graph.n_drive
    rows = slice(None) if senses is None else np.asarray(senses, dtype=int)
    t_d, t_h = t[:, :, :n_d], t[:, :, n_d:]
    t_out, t_h_out = t_d[:, rows, :], t_h[:, rows, :]
    n_p, n_f, n_in = len(gains), t.shape[0], len(graph.input_senses)
    km = gains[:, :, None] * graph.input_map[None] * input_scale[:, None, :]  # U: (P, n_d, n_in)
    t_in_d = t[:, graph.input_senses, :n_d]  # V: (F, n_in, n_d)
    if n_in:
        small = np.eye(n_in) - _per_point(t_in_d, km)  # I - V U: (P, F, n_in, n_in)
        loop = _small_matmul(_inverse(small), t_in_d)  # (I - V U)^-1 V: (P, F, n_in, n_d)
        noise = t_out + _per_point(t_out, km) @ loop
    else:
        loop = np.zeros((n_p, n_f, 0, n_d), dtype=complex)
        noise = np.broadcast_to(t_out, (n_p, *t_out.shape))
    program = noise @ (gains[:, :, None] * graph.program_map[None])[:, None]
    voice = noise @ (gains[:, :, None] * graph.voice_map[None])[:, None]
    return Response(gains, program, noise, voice, km, loop, t_h_out,
                    t_h[:, graph.input_senses, :])


def _small_matmul(a: ComplexArray, b: ComplexArray) -> ComplexArray:
    """``a @ b`` over a stack, for a small inner dimension: one multiply-add per term.

    NumPy's stacked matmul calls BLAS once per tiny matrix; this does whole-stack
    arithmetic instead.
    """
    out: ComplexArray = a[..., :, 0, None] * b[..., 0, None, :]
    for j in range(1, a.shape[-1]):
        out = out + a[..., :, j, None] * b[..., j, None, :]
    return out


def _per_point(t: ComplexArray, m: FloatArray) -> ComplexArray:
    """``t @ m[p]`` for every point p: (F, A, B) and (P, B, C) give (P, F, A, C).

    One matrix product over all points and frequencies: NumPy's stacked matmul would call
    BLAS once per tiny matrix.
    """
    n_f, n_a, n_b = t.shape
    n_p, _, n_c = m.shape
    flat = t.reshape(n_f * n_a, n_b) @ m.transpose(1, 0, 2).reshape(n_b, n_p * n_c)
    out: ComplexArray = flat.reshape(n_f, n_a, n_p, n_c).transpose(2, 0, 1, 3)
    return out


def _inverse(m: ComplexArray) -> ComplexArray:
    """Inverse of each of a stack of small square matrices.

    1×1 and 2×2 (the stereo input of most amps) in closed form: LAPACK costs ten times the
    arithmetic for each matrix this small.
    """
    n = m.shape[-1]
    if n == 1:
        out: ComplexArray = 1.0 / m
        return out
    if n == 2:
        a, b, c, d = m[..., 0, 0], m[..., 0, 1], m[..., 1, 0], m[..., 1, 1]
        det = a * d - b * c
        out = np.stack([np.stack([d, -b], -1), np.stack([-c, a], -1)], -2) / det[..., None, None]
        return out
    out = np.linalg.inv(m)
    return out

"""Modified nodal analysis (MNA), solved over a frequency grid.

Unknowns are the node voltages (earth is the reference) and the branch
currents of voltage sources and VCVSs. Every excitation -- each active
stage's drive column and each mains ground source -- is a right-hand side,
so one factorisation per frequency gives the transfer from every excitation
to every sensing point.

Two solvers give the same transfer:

- small circuits (up to :data:`DENSE_MAX_UNKNOWNS` unknowns): nodes touched only by
  resistors are eliminated exactly once (Kron reduction), then dense NumPy solves
  batched over every frequency;
- larger circuits: a sparse LU per frequency (SuperLU), solved for the excitation
  columns in blocks, reading only the senses, so memory stays linear in the number of
  nodes (plus the transfer itself).

Both refine the ground-source columns (:data:`REFINE_STEPS` steps of iterative
refinement) with residuals computed branch by branch, ``y·(V(a) − V(b))``, and read every
sense as a sum of node-voltage differences. This matters: a mains-floating device's
ground sits hundreds of volts from earth at the leakage current's frequency, and hum at
an ear is a microvolt difference of such potentials; a plain double-precision solve gets
those differences wrong by up to about 1 % (the condition number is ~1e14: 100 S
contacts against the 1e-12 S ``GMIN``), and two factorisations by different amounts.
Refined, they agree to rounding of the potentials themselves (~1e-16 of them). The drive
columns excite no such common mode: unrefined, the two solvers agree on them to ~5e-10
of each sense's largest drive transfer.

The netlist is refused (:class:`~signalchain.errors.RigTopologyError`) before anything
is allocated when it has more nodes than ``limits.current().circuit_nodes``, or a
transfer (senses × columns) bigger than :data:`PAIRS_PER_NODE` times that
(:func:`check_size`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np

from signalchain import limits
from signalchain.arrays import ComplexArray, FloatArray, RealArray
from signalchain.circuit.system import System, assemble
from signalchain.errors import RigTopologyError, error_at
from signalchain.schema.budget import over_limit
from signalchain.threads import also_newly_loaded
from signalchain.wiring.netlist import EARTH, Netlist

DENSE_MAX_UNKNOWNS = 180
"""Largest system (nodes + source currents) solved densely. ``benchmarks/rig_size.py
--solvers`` puts the crossover at 160-230 unknowns (the bundled examples have 70-150;
above, the sparse solver is faster and its memory stays linear)."""
PAIRS_PER_NODE = 12
"""Sense-column pairs of the transfer allowed per node of ``circuit_nodes`` (the transfer,
and evaluate's arrays like it, grow as the square of the active ports plugged in; a
64-listener amp tree has 31,600 pairs, an amp with 64 listeners plugged straight in 50,000,
the default limit allows 60,000)."""
REFINE_STEPS = 1
"""Steps of iterative refinement after the first solve (one reaches the accuracy the
node voltages can hold: more change nothing on the example rigs)."""
SPARSE_ORDERING: Final = "MMD_ATA"
"""SuperLU column ordering: on a device ground shared by many ports it fills a quarter of
what the default (COLAMD) does, and no more elsewhere."""
RHS_BLOCK_COLUMNS = 16
"""Most right-hand sides per sparse triangular solve: SuperLU hands wider blocks to BLAS
calls that go multi-threaded, which on a busy machine costs ten times the time."""
RHS_BLOCK_BYTES = 4 * 2**20
"""Memory for one block of right-hand sides (and as much again for its residual) in the
sparse solver."""


@dataclass
class Solution:
    """Transfer from every excitation column to every sense, at every frequency.

    Attributes
    ----------
    freqs_hz : ndarray, shape (F,)
    transfer : ndarray, complex, shape (F, n_senses, n_columns)
        Sense value per unit of each column (drive columns first, then ground sources).
    columns : list of str
        Column names: ``stage:role`` for drive columns, the source name for ground sources.
    senses : list of str
        Sense names, in the netlist's order.
    node_voltages : ndarray or None
        (F, n_nodes, n_columns) node voltages, kept only when asked for.
    nodes : list of str
    """

    freqs_hz: FloatArray
    transfer: ComplexArray
    columns: list[str]
    senses: list[str]
    nodes: list[str]
    node_voltages: ComplexArray | None = None

    def column(self, name: str) -> int:
        """Index of a column by name."""
        return self.columns.index(name)


def drive_columns(net: Netlist) -> list[str]:
    """Drive columns ``stage:role`` in netlist order (push-pull legs share one column)."""
    return list(dict.fromkeys(f"{d.stage}:{d.role}" for d in net.drives))


def check_size(net: Netlist, nodes: list[str] | None = None) -> None:
    """Refuse a netlist too big for ``limits.current().circuit_nodes``.

    Two things grow with a rig: the nodes (the solve's time and the factors' memory) and
    the transfer, senses × excitation columns per frequency, which grows as the square of
    the active ports plugged in. The limit bounds the first directly and the second at
    :data:`PAIRS_PER_NODE` sense-column pairs per allowed node.

    Parameters
    ----------
    net : Netlist
    nodes : list of str, optional
        ``net.nodes()``, if already computed.

    Raises
    ------
    RigTopologyError
        Naming the size, the limit and the ``--limit`` value that would admit the rig.
    """
    n = sum(1 for node in (net.nodes() if nodes is None else nodes) if node != EARTH)
    n_columns = len(drive_columns(net)) + len(net.ground_sources)
    pairs = len(net.senses) * n_columns
    needed = max(n, math.ceil(pairs / PAIRS_PER_NODE))
    if needed <= limits.current().circuit_nodes:
        return
    found = (f"{n} nodes" if n == needed else
             f"{len(net.senses)} senses × {n_columns} excitations, {pairs} transfers per "
             f"frequency (at {PAIRS_PER_NODE} per node, as many as {needed} nodes allow)")
    message, hint = over_limit("circuit-nodes", "the rig's circuit", found, suggest=needed)
    raise RigTopologyError([error_at(message, hint=hint, code="limit")])


def _real_matmul(a: RealArray, z: ComplexArray) -> ComplexArray:
    """``a @ z`` for real ``a`` and complex ``z``.

    As two real products, which BLAS (unlike for the mixed one) keeps on one thread at
    these sizes.
    """
    return (a @ z.real) + 1j * (a @ z.imag)


def _solve_dense(s: System, freqs: FloatArray, keep_nodes: bool
                 ) -> tuple[ComplexArray, ComplexArray | None]:
    """Kron-reduce the resistor-only nodes, then dense solves batched over frequency."""
    size, n_nodes, n_f = s.size, s.n_nodes, len(freqs)
    w = 2.0 * np.pi * freqs
    g_mat = s.g.dense((size, size))
    c_mat = s.c.dense((size, size))
    rhs = s.rhs.dense((size, s.n_columns))

    # Kron reduction: nodes touched only by resistors are eliminated exactly, once, before
    # the frequency sweep (capacitors, drivers, sources and senses stay on kept nodes).
    keep = np.zeros(size, dtype=bool)
    keep[n_nodes:] = True
    keep |= np.any(c_mat != 0, axis=1) | np.any(rhs != 0, axis=1)
    keep[s.senses.node] = True
    for ia, ib, _y in s.transducers:
        for i in (ia, ib):
            if i is not None:
                keep[i] = True
    keep[:n_nodes] |= np.any(g_mat[n_nodes:, :n_nodes] != 0, axis=0)
    kept, gone = np.flatnonzero(keep), np.flatnonzero(~keep)
    g_ee_inv = np.linalg.inv(g_mat[np.ix_(gone, gone)]) if len(gone) else np.zeros((0, 0))
    g_ke, g_ek = g_mat[np.ix_(kept, gone)], g_mat[np.ix_(gone, kept)]
    g_ee_inv_g_ek = g_ee_inv @ g_ek
    g_red = g_mat[np.ix_(kept, kept)] - g_ke @ g_ee_inv_g_ek
    pos = {int(k): i for i, k in enumerate(kept)}

    a_mat = np.empty((n_f, len(kept), len(kept)), dtype=complex)
    a_mat.real[...] = g_red
    a_mat.imag[...] = w[:, None, None] * c_mat[np.ix_(kept, kept)]
    for ia_full, ib_full, y in s.transducers:
        ia = None if ia_full is None else pos.get(ia_full)
        ib = None if ib_full is None else pos.get(ib_full)
        if ia is not None:
            a_mat[:, ia, ia] += y
        if ib is not None:
            a_mat[:, ib, ib] += y
        if ia is not None and ib is not None:
            a_mat[:, ia, ib] -= y
            a_mat[:, ib, ia] -= y
    n_k, n_e = len(kept), len(gone)

    def reduced_solve(b: ComplexArray) -> ComplexArray:
        """Solve the reduced system for b of shape (kept, F, m).

        NumPy's batched solve factorises again each time; SciPy's LAPACK wrappers would let
        the factors be reused but go multi-threaded on these small systems, which on a busy
        machine costs far more.
        """
        return np.linalg.solve(a_mat, b.transpose(1, 0, 2)).transpose(1, 0, 2)

    def full_step(r: ComplexArray) -> ComplexArray:
        """Solve ``A dx = r`` for r of shape (size, F, m) through the reduced system."""
        m = r.shape[2]
        ee_r = _real_matmul(g_ee_inv, r[gone].reshape(n_e, n_f * m))
        dx = np.empty(r.shape, dtype=complex)
        dx[kept] = reduced_solve((r[kept].reshape(n_k, n_f * m) - _real_matmul(g_ke, ee_r))
                                 .reshape(n_k, n_f, m))
        dx[gone] = (ee_r - _real_matmul(g_ee_inv_g_ek, dx[kept].reshape(n_k, n_f * m))
                    ).reshape(n_e, n_f, m)
        return dx

    # first solve: the right-hand sides are zero on the eliminated nodes, and the senses
    # read only kept ones, so the eliminated voltages are needed only to refine (the
    # ground-source columns) or when asked for
    m = s.n_columns
    x = np.zeros((size, n_f, m), dtype=complex)
    x[kept] = reduced_solve(np.broadcast_to(rhs[kept][:, None, :], (n_k, n_f, m)))
    ground = slice(s.n_drive_columns, None)
    fill = slice(None) if keep_nodes else ground
    x_k = x[kept][:, :, fill]
    m_fill = x_k.shape[2]
    x[gone, :, fill] = -_real_matmul(g_ee_inv_g_ek, x_k.reshape(n_k, n_f * m_fill)).reshape(
        n_e, n_f, m_fill)
    for _ in range(REFINE_STEPS):
        x[:, :, ground] += full_step(s.residual(x[:, :, ground], rhs[:, ground], slice(None)))
    transfer = s.senses.apply(x[:n_nodes].reshape(n_nodes, n_f * m)).reshape(s.n_senses, n_f, m)
    return (transfer.transpose(1, 0, 2),
            x[:n_nodes].transpose(1, 0, 2) if keep_nodes else None)


def _solve_sparse(s: System, freqs: FloatArray, keep_nodes: bool
                  ) -> tuple[ComplexArray, ComplexArray | None]:
    """A sparse LU per frequency, solved for the columns in blocks, reading only the senses.

    Memory is the factors (near linear in the nodes for these tree-like circuits), one
    block of right-hand sides and the result.
    """
    # imported here, not with the module: SciPy's sparse modules take longer to import than a
    # small rig's whole solve; the BLAS library SciPy brings joins a thread limit in force
    import scipy.sparse.linalg  # noqa: F401

    with also_newly_loaded():
        return _solve_sparse_loaded(s, freqs, keep_nodes)


def _solve_sparse_loaded(s: System, freqs: FloatArray, keep_nodes: bool
                         ) -> tuple[ComplexArray, ComplexArray | None]:
    """:func:`_solve_sparse`'s work, SciPy imported."""
    import scipy.sparse as sp
    from scipy.sparse.linalg import splu

    size, n_f = s.size, len(freqs)
    w = 2.0 * np.pi * freqs
    g_r, g_c, g_v = s.g.arrays()
    c_r, c_c, c_v = s.c.arrays()
    t_r: list[int] = []
    t_c: list[int] = []
    t_sign: list[float] = []
    t_which: list[int] = []
    for k, (ia, ib, _y) in enumerate(s.transducers):
        for r, c, sign in ((ia, ia, 1.0), (ib, ib, 1.0), (ia, ib, -1.0), (ib, ia, -1.0)):
            if r is not None and c is not None:
                t_r.append(r)
                t_c.append(c)
                t_sign.append(sign)
                t_which.append(k)
    y_t = (np.array([y for _a, _b, y in s.transducers]) if s.transducers
           else np.zeros((0, n_f)))
    # one CSC pattern for every frequency: entry slots sorted by (column, row)
    rows = np.concatenate([g_r, c_r, np.asarray(t_r, dtype=np.int64)])
    cols = np.concatenate([g_c, c_c, np.asarray(t_c, dtype=np.int64)])
    slots, where = np.unique(cols * size + rows, return_inverse=True)
    indices = (slots % size).astype(np.int32)
    indptr = np.concatenate([[0], np.cumsum(np.bincount(slots // size, minlength=size))])
    n_slots = len(slots)
    t_sign_a = np.asarray(t_sign)
    t_which_a = np.asarray(t_which, dtype=np.int64)

    b_mat = s.rhs.sparse((size, s.n_columns)).tocsc()
    block = max(1, min(RHS_BLOCK_COLUMNS, RHS_BLOCK_BYTES // (16 * max(size, 1))))
    # drive columns in blocks of their own: only the ground-source columns are refined
    blocks = [(a, min(a + block, end)) for begin, end in ((0, s.n_drive_columns),
                                                          (s.n_drive_columns, s.n_columns))
              for a in range(begin, end, block)]
    transfer = np.zeros((n_f, s.n_senses, s.n_columns), dtype=complex)
    node_voltages = (np.zeros((n_f, s.n_nodes, s.n_columns), dtype=complex) if keep_nodes
                     else None)
    for k in range(n_f):
        values = np.concatenate([g_v, 1j * w[k] * c_v, t_sign_a * y_t[t_which_a, k]])
        data = (np.bincount(where, weights=values.real, minlength=n_slots)
                + 1j * np.bincount(where, weights=values.imag, minlength=n_slots))
        try:
            lu = splu(sp.csc_matrix((data, indices, indptr), shape=(size, size)),
                      permc_spec=SPARSE_ORDERING)
        except RuntimeError as exc:  # as the dense solver reports it
            raise np.linalg.LinAlgError(f"Singular matrix ({exc})") from None
        here = np.array([k])
        for start, stop in blocks:
            b_blk = b_mat[:, start:stop].toarray().astype(complex)
            x = lu.solve(b_blk)
            for _ in range(REFINE_STEPS if start >= s.n_drive_columns else 0):
                x += lu.solve(s.residual(x[:, None, :], b_blk, here)[:, 0, :])
            transfer[k, :, start:stop] = s.senses.apply(x[:s.n_nodes])
            if node_voltages is not None:
                node_voltages[k, :, start:stop] = x[:s.n_nodes]
    return transfer, node_voltages


def solve(net: Netlist, freqs_hz: FloatArray, keep_nodes: bool = False,
          method: str = "auto") -> Solution:
    """Solve the netlist at every frequency for every excitation column.

    Parameters
    ----------
    net : Netlist
    freqs_hz : ndarray
        Frequencies to solve at.
    keep_nodes : bool
        Also return every node voltage (for SPICE cross-checks; its memory grows as nodes
        × columns × frequencies). The default is False.
    method : {'auto', 'dense', 'sparse'}
        ``auto`` (the default) solves densely up to :data:`DENSE_MAX_UNKNOWNS` unknowns and
        sparsely above; both give the same transfer.

    Raises
    ------
    RigTopologyError
        When the netlist is too big for ``limits.current().circuit_nodes``
        (:func:`check_size`), before anything is assembled.
    numpy.linalg.LinAlgError
        When the circuit is singular (ideal sources in parallel), from either solver.
    """
    if method not in ("auto", "dense", "sparse"):
        raise ValueError(f"unknown method {method!r}; valid: auto, dense, sparse")
    all_nodes = net.nodes()
    check_size(net, all_nodes)
    freqs = np.asarray(freqs_hz, dtype=float)
    nodes = [n for n in all_nodes if n != EARTH]
    index = {n: i for i, n in enumerate(nodes)}
    columns = drive_columns(net)
    system = assemble(net, index, freqs, columns)
    dense = method == "dense" or (method == "auto" and system.size <= DENSE_MAX_UNKNOWNS)
    transfer, node_voltages = (_solve_dense if dense else _solve_sparse)(system, freqs,
                                                                         keep_nodes)
    return Solution(freqs, transfer, columns + [g.name for g in net.ground_sources],
                    [s.name for s in net.senses], nodes, node_voltages)

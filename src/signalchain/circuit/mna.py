"""Modified nodal analysis (MNA), batched over frequency in one NumPy solve.

Unknowns are the node voltages (earth is the reference) and the branch
currents of voltage sources and VCVSs. Every excitation -- each active
stage's drive column and each mains ground source -- is a right-hand side,
so one factorisation per frequency gives the transfer from every excitation
to every sensing point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from signalchain.wiring.netlist import EARTH, Netlist, Transducer

GMIN_S = 1e-12
"""Conductance from every node to earth, as in SPICE, so floating islands stay solvable."""


def transducer_z(t: Transducer, freqs_hz: np.ndarray) -> np.ndarray:
    """Impedance of a headphone driver over frequency (log-frequency interpolation)."""
    if not t.z_curve:
        return np.full(freqs_hz.shape, t.z_ohm, dtype=float)
    f = np.array([p[0] for p in t.z_curve], dtype=float)
    z = np.array([p[1] for p in t.z_curve], dtype=float)
    return np.interp(np.log(freqs_hz), np.log(f), z)


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

    freqs_hz: np.ndarray
    transfer: np.ndarray
    columns: list[str]
    senses: list[str]
    nodes: list[str]
    node_voltages: np.ndarray | None = None

    def column(self, name: str) -> int:
        """Index of a column by name."""
        return self.columns.index(name)


def drive_columns(net: Netlist) -> list[str]:
    """Drive columns ``stage:role`` in netlist order (push-pull legs share one column)."""
    return list(dict.fromkeys(f"{d.stage}:{d.role}" for d in net.drives))


def solve(net: Netlist, freqs_hz: np.ndarray, keep_nodes: bool = False) -> Solution:
    """Solve the netlist at every frequency for every excitation column.

    Parameters
    ----------
    net : Netlist
    freqs_hz : ndarray
        Frequencies to solve at.
    keep_nodes : bool
        Also return every node voltage (for SPICE cross-checks). The default is False.
    """
    freqs = np.asarray(freqs_hz, dtype=float)
    nodes = [n for n in net.nodes() if n != EARTH]
    index = {n: i for i, n in enumerate(nodes)}
    n_nodes = len(nodes)
    vsources = [(d.pos, d.neg) for d in net.drives] + [
        (g.pos, g.neg) for g in net.ground_sources if g.kind == "voltage"]
    n_v = len(vsources) + len(net.vcvs)
    size = n_nodes + n_v
    w = 2.0 * np.pi * freqs

    g_mat = np.zeros((size, size))
    c_mat = np.zeros((size, size))
    g_mat[np.arange(n_nodes), np.arange(n_nodes)] += GMIN_S

    def stamp(mat: np.ndarray, a: str, b: str, y: float) -> None:
        ia, ib = index.get(a), index.get(b)
        if ia is not None:
            mat[ia, ia] += y
        if ib is not None:
            mat[ib, ib] += y
        if ia is not None and ib is not None:
            mat[ia, ib] -= y
            mat[ib, ia] -= y

    for r in net.resistors:
        stamp(g_mat, r.a, r.b, 1.0 / r.ohm)
    for c in net.capacitors:
        stamp(c_mat, c.a, c.b, c.farad)

    def incidence(row: int, pos: str, neg: str) -> None:
        if pos in index:
            g_mat[index[pos], row] += 1.0
            g_mat[row, index[pos]] += 1.0
        if neg in index:
            g_mat[index[neg], row] -= 1.0
            g_mat[row, index[neg]] -= 1.0

    row = n_nodes
    for pos, neg in vsources:
        incidence(row, pos, neg)
        row += 1
    for v in net.vcvs:
        if v.out_p in index:
            g_mat[index[v.out_p], row] += 1.0
            g_mat[row, index[v.out_p]] += 1.0
        if v.out_n in index:
            g_mat[index[v.out_n], row] -= 1.0
            g_mat[row, index[v.out_n]] -= 1.0
        if v.ctl_p in index:
            g_mat[row, index[v.ctl_p]] -= v.gain
        if v.ctl_n in index:
            g_mat[row, index[v.ctl_n]] += v.gain
        row += 1

    columns = drive_columns(net)
    col_index = {c: i for i, c in enumerate(columns)}
    ground_cols = [g.name for g in net.ground_sources]
    rhs = np.zeros((size, len(columns) + len(ground_cols)))
    for k, d in enumerate(net.drives):
        rhs[n_nodes + k, col_index[f"{d.stage}:{d.role}"]] += d.coeff
    vrow = n_nodes + len(net.drives)
    for j, g in enumerate(net.ground_sources):
        col = len(columns) + j
        if g.kind == "voltage":
            rhs[vrow, col] = g.amplitude
            vrow += 1
        else:
            if g.pos in index:
                rhs[index[g.pos], col] += g.amplitude
            if g.neg in index:
                rhs[index[g.neg], col] -= g.amplitude
    sense_mat = np.zeros((len(net.senses), size))
    for i, s in enumerate(net.senses):
        for node, coeff in s.terms:
            if node in index:
                sense_mat[i, index[node]] += coeff

    # Kron reduction: nodes touched only by resistors are eliminated exactly, once, before
    # the frequency sweep (capacitors, drivers, sources and senses stay on kept nodes).
    keep = np.zeros(size, dtype=bool)
    keep[n_nodes:] = True
    keep |= np.any(c_mat != 0, axis=1) | np.any(rhs != 0, axis=1) | np.any(sense_mat != 0, axis=0)
    for t in net.transducers:
        for node in (t.a, t.b):
            if node in index:
                keep[index[node]] = True
    keep[:n_nodes] |= np.any(g_mat[n_nodes:, :n_nodes] != 0, axis=0)
    kept, gone = np.flatnonzero(keep), np.flatnonzero(~keep)
    g_ee_inv_g_ek = np.linalg.solve(g_mat[np.ix_(gone, gone)], g_mat[np.ix_(gone, kept)])
    g_red = g_mat[np.ix_(kept, kept)] - g_mat[np.ix_(kept, gone)] @ g_ee_inv_g_ek
    pos = {int(k): i for i, k in enumerate(kept)}

    a_mat = g_red[None, :, :] + 1j * w[:, None, None] * c_mat[np.ix_(kept, kept)][None, :, :]
    for t in net.transducers:
        y = 1.0 / transducer_z(t, freqs)
        ia = pos.get(index[t.a]) if t.a in index else None
        ib = pos.get(index[t.b]) if t.b in index else None
        if ia is not None:
            a_mat[:, ia, ia] += y
        if ib is not None:
            a_mat[:, ib, ib] += y
        if ia is not None and ib is not None:
            a_mat[:, ia, ib] -= y
            a_mat[:, ib, ia] -= y

    x_kept = np.linalg.solve(a_mat, np.broadcast_to(rhs[kept], (len(freqs), len(kept),
                                                                  rhs.shape[1])))
    transfer = np.matmul(sense_mat[:, kept], x_kept)
    node_voltages = None
    if keep_nodes:
        x = np.zeros((len(freqs), size, rhs.shape[1]), dtype=complex)
        x[:, kept, :] = x_kept
        x[:, gone, :] = -np.matmul(g_ee_inv_g_ek, x_kept)
        node_voltages = x[:, :n_nodes, :]
    return Solution(freqs, transfer, columns + ground_cols, [s.name for s in net.senses],
                    nodes, node_voltages)

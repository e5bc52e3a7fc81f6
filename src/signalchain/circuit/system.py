"""The modified-nodal-analysis system of a netlist: ``(G + jωC + Y_t(f)) x = B``.

:func:`assemble` stamps a :class:`~signalchain.wiring.netlist.Netlist` into a
:class:`System`; :mod:`signalchain.circuit.mna` solves it over frequency.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from signalchain import units
from signalchain.arrays import ComplexArray, FloatArray, IntArray
from signalchain.wiring.netlist import Netlist, Transducer

if TYPE_CHECKING:
    import scipy.sparse as sp

GMIN_S = 1e-12
"""Conductance from every node to earth, as in SPICE, so floating islands stay solvable."""


def transducer_z(t: Transducer, freqs_hz: FloatArray) -> FloatArray:
    """Impedance of a headphone driver over frequency (:func:`units.impedance_at`)."""
    return units.impedance_at(t.z_curve, t.z_ohm, freqs_hz)


class _Triplets:
    """Entries of a matrix in the order they are added (duplicates are summed)."""

    def __init__(self) -> None:
        self.rows: list[int] = []
        self.cols: list[int] = []
        self.vals: list[float] = []

    def add(self, row: int, col: int, value: float) -> None:
        self.rows.append(row)
        self.cols.append(col)
        self.vals.append(value)

    def arrays(self) -> tuple[IntArray, IntArray, FloatArray]:
        return (np.asarray(self.rows, dtype=np.int64), np.asarray(self.cols, dtype=np.int64),
                np.asarray(self.vals, dtype=float))

    def dense(self, shape: tuple[int, int]) -> FloatArray:
        """As a dense array, summed in the order added (as ``+=`` one entry at a time)."""
        out = np.zeros(shape)
        r, c, v = self.arrays()
        np.add.at(out, (r, c), v)
        return out

    def sparse(self, shape: tuple[int, int]) -> sp.csr_matrix:
        import scipy.sparse as sp  # only the sparse solver needs SciPy (it is slow to import)

        r, c, v = self.arrays()
        return sp.csr_matrix((v, (r, c)), shape=shape)


class RowSums:
    """A sparse matrix ``M`` (given entry by entry) that only multiplies: ``M @ x``.

    Small matrices (a small rig's, solved densely: at most :data:`SMALL_ROWS` rows of at most
    :data:`SMALL_ROW_ENTRIES` entries) multiply in NumPy alone, summing each row's products
    in column order as SciPy's CSR matrices do, so to the same last bit: SciPy's sparse
    module takes longer to import than such a rig's whole solve. Larger ones are CSR
    matrices, faster there.

    Parameters
    ----------
    rows, cols : ndarray of int
        Each entry's row and column (entries at the same place are summed first).
    vals : ndarray of float
    shape : (int, int)
    """

    SMALL_ROWS = 256
    SMALL_ROW_ENTRIES = 16

    def __init__(self, rows: IntArray, cols: IntArray, vals: FloatArray,
                 shape: tuple[int, int]) -> None:
        self.shape = shape
        self._csr: sp.csr_matrix | None = None
        self._steps: list[tuple[IntArray, IntArray, ComplexArray]] = []
        width = max(shape[1], 1)
        key, where = np.unique(rows * width + cols, return_inverse=True)
        row = key // width
        rank = np.arange(len(key)) - np.searchsorted(row, row)  # place in its row
        if shape[0] > self.SMALL_ROWS or (len(key) and rank.max() >= self.SMALL_ROW_ENTRIES):
            import scipy.sparse as sp

            self._csr = sp.csr_matrix((vals, (rows, cols)), shape=shape)
            return
        # canonical order (by row, then column), duplicates summed: what CSR keeps; then
        # the k-th entries of all rows at once, for k = 0, 1 ...
        summed = np.zeros(len(key))
        np.add.at(summed, where.reshape(-1), vals)
        col = key % width
        self._steps = [(row[rank == k], col[rank == k], summed[rank == k].astype(complex))
                       for k in range(int(rank.max()) + 1 if len(key) else 0)]

    def __matmul__(self, x: ComplexArray) -> ComplexArray:
        """``M @ x`` for ``x`` of shape (columns, m): the (rows, m) products."""
        if self._csr is not None:
            product: ComplexArray = self._csr @ x
            return product
        out = np.zeros((self.shape[0], x.shape[1]), dtype=complex)
        for rows, cols, vals in self._steps:
            out[rows] += vals[:, None] * x[cols]
        return out


class Differences:
    """Rows ``Σ_k c_k·V(n_k)`` evaluated as ``Σ_k c_k·(V(n_k) − V(n_0)) + (Σ_k c_k)·V(n_0)``.

    Every sense and source constraint is a difference of node voltages (its coefficients
    sum to zero unless one node is earth); taking the differences first keeps them exact
    when the nodes sit at large, nearly equal potentials.
    """

    def __init__(self, rows: list[list[tuple[int, float]]]):
        node, ref, coeff, row_of = [], [], [], []
        self.ref_row = np.zeros(len(rows), dtype=np.int64)
        self.total = np.zeros(len(rows))
        for r, terms in enumerate(rows):
            if not terms:
                continue
            self.ref_row[r] = terms[0][0]
            for n, c in terms:
                node.append(n)
                ref.append(terms[0][0])
                coeff.append(c)
                row_of.append(r)
                self.total[r] += c
        self.node = np.asarray(node, dtype=np.int64)
        self.ref = np.asarray(ref, dtype=np.int64)
        self.gather = RowSums(np.asarray(row_of, dtype=np.int64), np.arange(len(node)),
                              np.asarray(coeff, dtype=float), (len(rows), len(node)))

    def apply(self, x_nodes: ComplexArray) -> ComplexArray:
        """The rows' values for node voltages ``x_nodes`` (n_nodes, m)."""
        diff = x_nodes[self.node] - x_nodes[self.ref]
        return self.gather @ diff + self.total[:, None] * x_nodes[self.ref_row]


@dataclass
class System:
    """The MNA system ``(G + jωC + Y_t(f)) x = B``, its branches and its senses ``S x``."""

    n_nodes: int
    size: int
    n_columns: int
    n_drive_columns: int
    """Drive columns come first; the ground-source columns after them are refined."""
    g: _Triplets
    c: _Triplets
    rhs: _Triplets
    transducers: list[tuple[int | None, int | None, FloatArray]]
    """(unknown of a, unknown of b, admittance over frequency) per transducer."""
    branch_a: IntArray
    """Node at each two-terminal branch's first end (``n_nodes`` for earth)."""
    branch_b: IntArray
    branch_y: ComplexArray
    """(n_branches, F) admittance of every resistor, capacitor, driver and GMIN."""
    incidence: RowSums
    """(n_nodes, n_branches): +1 where a branch leaves a node at its first end, -1 at its
    second."""
    source_incidence: RowSums
    """(n_nodes, n_sources): source currents in each node's current balance."""
    constraints: Differences
    """Each source's equation, over node voltages."""
    senses: Differences
    n_senses: int

    def residual(self, x: ComplexArray, b: FloatArray | ComplexArray,
                 freq_index: IntArray | slice) -> ComplexArray:
        """``b − A(f) x``, each node's current balance summed branch by branch.

        Parameters
        ----------
        x : ndarray, complex, shape (size, F', m)
            Solutions at the frequencies ``freq_index`` picks, for m columns.
        b : ndarray, shape (size, m) or (size, F', m)
            Right-hand sides.
        freq_index : ndarray or slice
            Which of the system's frequencies ``x`` is at.
        """
        n, (size, n_f, m) = self.n_nodes, x.shape
        x_ext = np.concatenate([x[:n], np.zeros((1, n_f, m), dtype=x.dtype)])
        currents = (self.branch_y[:, freq_index, None]
                    * (x_ext[self.branch_a] - x_ext[self.branch_b]))
        r = np.empty(x.shape, dtype=complex)  # C order, so ``flat`` is a view
        r[...] = b if b.ndim == 3 else b[:, None, :]
        flat = r.reshape(size, n_f * m)
        flat[:n] -= (self.incidence @ currents.reshape(len(self.branch_a), n_f * m)
                     + self.source_incidence @ x[n:].reshape(size - n, n_f * m))
        flat[n:] -= self.constraints.apply(x[:n].reshape(n, n_f * m))
        return r


class _Assembler:
    """Stamps a netlist into the triplets, branches and rows of an MNA :class:`System`."""

    def __init__(self, net: Netlist, index: dict[str, int], freqs: FloatArray):
        self.net, self.index, self.freqs = net, index, freqs
        self.n_nodes = len(index)
        self.g, self.c, self.rhs = _Triplets(), _Triplets(), _Triplets()
        for i in range(self.n_nodes):
            self.g.add(i, i, GMIN_S)
        self.branch_a: list[int] = []
        self.branch_b: list[int] = []
        self.branch_y: list[ComplexArray] = []
        self.transducers: list[tuple[int | None, int | None, FloatArray]] = []
        self.constraint_rows: list[list[tuple[int, float]]] = []
        self.src_rows: list[int] = []
        self.src_cols: list[int] = []
        self.src_vals: list[float] = []

    def _branch(self, a: str, b: str, y_f: ComplexArray) -> tuple[int | None, int | None]:
        ia, ib = self.index.get(a), self.index.get(b)
        self.branch_a.append(self.n_nodes if ia is None else ia)
        self.branch_b.append(self.n_nodes if ib is None else ib)
        self.branch_y.append(y_f)
        return ia, ib

    def _stamp(self, trip: _Triplets, a: str, b: str, y: float, y_f: ComplexArray) -> None:
        ia, ib = self._branch(a, b, y_f)
        if ia is not None:
            trip.add(ia, ia, y)
        if ib is not None:
            trip.add(ib, ib, y)
        if ia is not None and ib is not None:
            trip.add(ia, ib, -y)
            trip.add(ib, ia, -y)

    def branches(self) -> None:
        """Resistors, capacitors, drivers and every node's GMIN to earth."""
        freqs, n_nodes = self.freqs, self.n_nodes
        w = 2.0 * np.pi * freqs
        for r in self.net.resistors:
            self._stamp(self.g, r.a, r.b, 1.0 / r.ohm,
                        np.full(len(freqs), 1.0 / r.ohm, dtype=complex))
        for c in self.net.capacitors:
            self._stamp(self.c, c.a, c.b, c.farad, 1j * w * c.farad)
        for t in self.net.transducers:
            y_t = 1.0 / transducer_z(t, freqs)
            self.transducers.append((self.index.get(t.a), self.index.get(t.b), y_t))
            self._branch(t.a, t.b, y_t.astype(complex))
        gmin = np.full(len(freqs), GMIN_S, dtype=complex)
        self.branch_a += range(n_nodes)
        self.branch_b += [n_nodes] * n_nodes
        self.branch_y += [gmin] * n_nodes

    def _incidence(self, row: int, node: str, sign: float,
                   terms: list[tuple[int, float]]) -> None:
        if node in self.index:
            n = self.index[node]
            self.g.add(n, row, sign)
            self.g.add(row, n, sign)
            self.src_rows.append(n)
            self.src_cols.append(row - self.n_nodes)
            self.src_vals.append(sign)
            terms.append((n, sign))

    def sources(self, vsources: list[tuple[str, str]]) -> None:
        """The rows of voltage sources, then of voltage-controlled voltage sources."""
        row = self.n_nodes
        for pos, neg in vsources:
            terms: list[tuple[int, float]] = []
            self._incidence(row, pos, 1.0, terms)
            self._incidence(row, neg, -1.0, terms)
            self.constraint_rows.append(terms)
            row += 1
        for v in self.net.vcvs:
            terms = []
            self._incidence(row, v.out_p, 1.0, terms)
            self._incidence(row, v.out_n, -1.0, terms)
            for node, gain in ((v.ctl_p, -v.gain), (v.ctl_n, v.gain)):
                if node in self.index:
                    self.g.add(row, self.index[node], gain)
                    terms.append((self.index[node], gain))
            self.constraint_rows.append(terms)
            row += 1

    def excitations(self, columns: list[str]) -> None:
        """The right-hand sides: drive columns, then one per ground source."""
        index, n_nodes, net = self.index, self.n_nodes, self.net
        col_index = {c: i for i, c in enumerate(columns)}
        for k, d in enumerate(net.drives):
            self.rhs.add(n_nodes + k, col_index[f"{d.stage}:{d.role}"], d.coeff)
        vrow = n_nodes + len(net.drives)
        for j, g in enumerate(net.ground_sources):
            col = len(columns) + j
            if g.kind == "voltage":
                self.rhs.add(vrow, col, g.amplitude)
                vrow += 1
                continue
            if g.pos in index:
                self.rhs.add(index[g.pos], col, g.amplitude)
            if g.neg in index:
                self.rhs.add(index[g.neg], col, -g.amplitude)

    def incidence_matrix(self) -> RowSums:
        """(n_nodes, n_branches): +1 at each branch's first end, -1 at its second."""
        a_arr = np.asarray(self.branch_a, dtype=np.int64)
        b_arr = np.asarray(self.branch_b, dtype=np.int64)
        n_br = len(a_arr)
        rows = np.concatenate([a_arr, b_arr])
        cols = np.concatenate([np.arange(n_br), np.arange(n_br)])
        vals = np.concatenate([np.ones(n_br), -np.ones(n_br)])
        on_node = rows < self.n_nodes
        return RowSums(rows[on_node], cols[on_node], vals[on_node], (self.n_nodes, n_br))


def assemble(net: Netlist, index: dict[str, int], freqs: FloatArray,
             columns: list[str]) -> System:
    """The MNA system of a netlist over ``freqs``, for the drive ``columns``."""
    vsources = [(d.pos, d.neg) for d in net.drives] + [
        (g.pos, g.neg) for g in net.ground_sources if g.kind == "voltage"]
    asm = _Assembler(net, index, freqs)
    asm.branches()
    asm.sources(vsources)
    asm.excitations(columns)
    n_nodes = asm.n_nodes
    size = n_nodes + len(vsources) + len(net.vcvs)
    sense_rows = [[(index[node], coeff) for node, coeff in s.terms if node in index]
                  for s in net.senses]
    n_br = len(asm.branch_a)
    return System(
        n_nodes=n_nodes, size=size, n_columns=len(columns) + len(net.ground_sources),
        n_drive_columns=len(columns), g=asm.g, c=asm.c, rhs=asm.rhs,
        transducers=asm.transducers, branch_a=np.asarray(asm.branch_a, dtype=np.int64),
        branch_b=np.asarray(asm.branch_b, dtype=np.int64),
        branch_y=np.array(asm.branch_y).reshape(n_br, len(freqs)),
        incidence=asm.incidence_matrix(),
        source_incidence=RowSums(np.asarray(asm.src_rows, dtype=np.int64),
                                 np.asarray(asm.src_cols, dtype=np.int64),
                                 np.asarray(asm.src_vals, dtype=float), (n_nodes, size - n_nodes)),
        constraints=Differences(asm.constraint_rows),
        senses=Differences(sense_rows), n_senses=len(net.senses))

"""Cost and escaping of the circuit layer: the dense and sparse MNA solvers agree, memory
stays linear, unplugged ports cost nothing, oversized netlists are refused, and nothing
from a rig can turn a SPICE export into commands."""

from __future__ import annotations

import dataclasses
import json
import re
import shutil
import subprocess
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from signalchain import limits
from signalchain.api import check_rig
from signalchain.circuit import mna, spice, system
from signalchain.circuit.spice import (
    TEXT_MAX_CHARS,
    parse_ngspice_output,
    spice_node_names,
    spice_text,
    to_spice,
)
from signalchain.cli import app
from signalchain.errors import RigTopologyError
from signalchain.evaluate import evaluate
from signalchain.graph import compile_rig
from signalchain.graph.compile import frequency_grid
from signalchain.graph.response import respond
from signalchain.report.simulate import evaluation_json
from signalchain.wiring.netlist import EARTH, Drive, GroundSource, Netlist, Resistor, Sense
from tests.conftest import EXAMPLES

EXAMPLE_RIGS = sorted(EXAMPLES.glob("*.yaml"))
GRID = frequency_grid(50.0, {1: 0.0, 3: -6.0, 5: -12.0})
NGSPICE = shutil.which("ngspice")
NOISE = {"knob_min_dbu_a": -100, "knob_max_dbu_a": -89}


def tree_rig(listeners: int) -> str:
    """An interface into a tree of 4-output amps, two listeners per Y splitter (as JSON)."""
    devices: dict = {"laptop": "generic/laptop", "src": "focusrite/scarlett-2i2-3rd-gen",
                     "amp0": "mackie/hm-4"}
    conns: list = [{"cable": "usb", "ends": ["laptop.usb", "src.usb"]},
                   {"cable": "trs-cable", "ends": ["src.headphones", "amp0.input"]}]
    free = [f"amp0.out{k}" for k in range(1, 5)]
    while len(free) < (listeners + 1) // 2:
        amp = f"amp{len([d for d in devices if d.startswith('amp')])}"
        devices[amp] = "mackie/hm-4"
        conns.append({"cable": "trs-cable", "ends": [free.pop(0), f"{amp}.input"]})
        free += [f"{amp}.out{k}" for k in range(1, 5)]
    for i in range(listeners):
        if i % 2 == 0:
            devices[f"y{i // 2}"] = "splitter/y-6.35"
            conns.append({"plug": f"y{i // 2}", "into": free[i // 2]})
        devices[f"l{i}"] = "sennheiser/hd-600"
        conns.append({"plug": f"l{i}", "into": f"y{i // 2}.{'ab'[i % 2]}"})
    return json.dumps({"signalchain": 1, "name": "tree", "devices": devices,
                       "connections": conns})


def inline_amp_rig(outputs: int, used: int) -> str:
    """An inline amp with ``outputs`` outputs, ``used`` of them with a listener (JSON)."""
    out = {"connector": "trs-6.35", "direction": "out", "signal": "stereo",
           "feeds": {"left": "L", "right": "R"}, "gain_db": 12, "z_out_ohm": 10,
           "max_v_rms": 3.2, "noise": NOISE}
    ports = {"input": {"connector": "trs-6.35", "direction": "in", "signal": "stereo",
                       "senses": {"left": "L", "right": "R"}, "z_in_ohm": 10e3},
             **{f"o{k}": out for k in range(1, outputs + 1)}}
    devices = {"laptop": "generic/laptop", "src": "focusrite/scarlett-2i2-3rd-gen",
               "amp": {"kind": "amp", "power": "mains-floating", "ports": ports},
               **{f"l{i}": "sennheiser/hd-600" for i in range(used)}}
    conns = [{"cable": "usb", "ends": ["laptop.usb", "src.usb"]},
             {"cable": "trs-cable", "ends": ["src.headphones", "amp.input"]},
             *({"plug": f"l{i}", "into": f"amp.o{i + 1}"} for i in range(used))]
    return json.dumps({"signalchain": 1, "name": "inline", "devices": devices,
                       "connections": conns})


# ---------------------------------------------------------------- dense and sparse agree
def assert_solvers_agree(net: Netlist, freqs: np.ndarray) -> None:
    """Dense (with node voltages) against sparse: drive columns to 1e-8 of each sense's
    largest drive transfer, ground-source columns to 1e-12 of the potentials a sense takes
    the difference of."""
    dense = mna.solve(net, freqs, keep_nodes=True, method="dense")
    sparse = mna.solve(net, freqs, method="sparse")
    assert dense.columns == sparse.columns and dense.senses == sparse.senses
    n_d = len(mna.drive_columns(net))
    err = np.abs(dense.transfer - sparse.transfer)
    peak = np.abs(dense.transfer[:, :, :n_d]).max(axis=(0, 2), keepdims=True)
    assert np.all(err[:, :, :n_d] <= 1e-8 * peak)
    index = {n: i for i, n in enumerate(dense.nodes)}
    volts = np.abs(dense.node_voltages)
    scale = np.zeros(dense.transfer.shape)
    for i, sense in enumerate(net.senses):
        for node, coeff in sense.terms:
            if node in index:
                scale[:, i, :] += abs(coeff) * volts[:, index[node], :]
    assert np.all(err[:, :, n_d:] <= 1e-12 * scale[:, :, n_d:])


@pytest.mark.parametrize("path", EXAMPLE_RIGS, ids=lambda p: p.stem)
def test_dense_and_sparse_solvers_agree_on_every_example(path):
    assert_solvers_agree(check_rig(path).netlist, GRID)


def test_dense_and_sparse_solvers_agree_on_a_large_synthetic_rig():
    net = check_rig(tree_rig(24), text=True).netlist
    assert len(net.nodes()) > 2 * mna.DENSE_MAX_UNKNOWNS
    assert_solvers_agree(net, GRID[::8])


@pytest.mark.parametrize("path", EXAMPLE_RIGS, ids=lambda p: p.stem)
def test_figures_do_not_depend_on_the_solver(path, monkeypatch):
    figures = []
    for dense_max in (10**9, 0):
        monkeypatch.setattr(mna, "DENSE_MAX_UNKNOWNS", dense_max)
        ev = evaluate(compile_rig(check_rig(path)))
        figures.append((evaluation_json(ev), [(e.noise_spl_dba, e.hum_spl_dba, *(c.spl_db for c in
                                        e.program)) for lf in ev.listeners
                                       for e in lf.ears.values()]))
    (json_dense, dense), (json_sparse, sparse) = figures
    assert json_dense == json_sparse
    # 1e-5 dB: the microphones' floating sources of example 07 leave the two solvers
    # ~1e-6 dB apart on its hum figures (the other examples agree to ~1e-9)
    np.testing.assert_allclose(dense, sparse, rtol=0, atol=1e-5)


def test_hum_does_not_depend_on_the_factorisation(monkeypatch):
    """Unrefined, two orderings disagree on hum transfers by up to 1 %; refined, by what
    rounding the node potentials allows."""
    net = check_rig(EXAMPLES / "04-aux-cable-from-monitor-out.yaml").netlist
    n_d = len(mna.drive_columns(net))
    hum = []
    for ordering in ("MMD_ATA", "COLAMD"):
        monkeypatch.setattr(mna, "SPARSE_ORDERING", ordering)
        hum.append(mna.solve(net, GRID, method="sparse").transfer[:, :, n_d:])
    peak = np.abs(hum[0]).max(axis=(0, 2), keepdims=True)
    assert np.all(np.abs(hum[0] - hum[1]) <= 1e-4 * peak)


def test_auto_picks_dense_for_small_and_sparse_for_large(monkeypatch):
    calls = []
    for name in ("_solve_dense", "_solve_sparse"):
        real = getattr(mna, name)
        monkeypatch.setattr(mna, name, lambda *a, _r=real, _n=name, **k: (calls.append(_n),
                                                                          _r(*a, **k))[1])
    mna.solve(check_rig(EXAMPLES / "06-line-outs-to-atom-amp.yaml").netlist, GRID[:3])
    mna.solve(check_rig(tree_rig(16), text=True).netlist, GRID[:3])
    assert calls == ["_solve_dense", "_solve_sparse"]
    with pytest.raises(ValueError, match="unknown method"):
        mna.solve(Netlist(), GRID, method="lu")


EDGE_NETLISTS = {
    "empty": Netlist(),
    "no senses": Netlist(resistors=[Resistor("r", "a", EARTH, 1.0)]),
    "no columns": Netlist(resistors=[Resistor("r", "a", "b", 1.0)],
                          senses=[Sense("s", "leg", (("a", 1.0),), "d", "p", "r")]),
    "one source": Netlist(ground_sources=[GroundSource("g", "current", "a", EARTH, 1.0)],
                          senses=[Sense("s", "leg", (("a", 1.0),), "d", "p", "r")]),
}


@pytest.mark.parametrize("method", ["dense", "sparse"])
@pytest.mark.parametrize("name", sorted(EDGE_NETLISTS))
def test_degenerate_netlists_solve(name, method):
    net = EDGE_NETLISTS[name]
    sol = mna.solve(net, GRID[:2], keep_nodes=True, method=method)
    n_cols = len(mna.drive_columns(net)) + len(net.ground_sources)
    assert sol.transfer.shape == (2, len(net.senses), n_cols)
    if name == "one source":  # 1 A into GMIN alone
        np.testing.assert_allclose(sol.transfer[:, 0, 0], 1.0 / system.GMIN_S, rtol=1e-12)


@pytest.mark.parametrize("method", ["dense", "sparse"])
def test_a_singular_circuit_fails_the_same_way_in_both_solvers(method):
    net = Netlist(drives=[Drive("d1", "a", EARTH, "s1", "hot", 1.0),
                          Drive("d2", "a", EARTH, "s2", "hot", 1.0)])
    with pytest.raises(np.linalg.LinAlgError):
        mna.solve(net, GRID[:2], method=method)


def test_sparse_solver_memory_is_linear_in_nodes():
    """Beyond the transfer it returns, a few kB per node: no (F, n, n) matrix anywhere."""
    net = check_rig(tree_rig(64), text=True).netlist
    n = len(net.nodes())
    tracemalloc.start()
    try:
        sol = mna.solve(net, GRID)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak - sol.transfer.nbytes < 10_000 * n
    assert peak < len(GRID) * n * n * 16 / 20  # a dense solve would need 20x this


# ---------------------------------------------------------------- unplugged ports
def test_unplugged_ports_get_no_circuit():
    built = check_rig(inline_amp_rig(16, 2), text=True)
    net = built.netlist
    assert {d.stage for d in net.drives} == {"src.headphones", "amp.o1", "amp.o2"}
    assert {s.port for s in net.senses if s.device == "amp"} == {"input", "o1", "o2"}
    assert not any(port == "o3" for _dev, port, _role in net.contact_roles.values())
    assert not any(port == "line_out_1" for _d, port, _r in net.contact_roles.values())
    graph = compile_rig(built)
    assert "amp.o16" in graph.stages  # the stage exists, it just drives nothing
    assert set(graph.drive_stage) == {"src.headphones", "amp.o1", "amp.o2"}
    ev = evaluate(graph)
    assert {s.id for s in ev.stages} <= {"src.headphones", "amp.o1", "amp.o2", "amp.input",
                                            "l0.drivers", "l1.drivers"}


def test_unplugged_ports_do_not_change_the_circuit():
    """An amp with 62 unplugged outputs builds the same netlist as one without them."""
    small = check_rig(inline_amp_rig(2, 2), text=True)
    big = check_rig(inline_amp_rig(63, 2), text=True)
    assert big.netlist == small.netlist
    ev_small, ev_big = (evaluate(compile_rig(b)) for b in (small, big))
    assert evaluation_json(ev_small) == evaluation_json(ev_big)


def test_linked_ports_of_a_passive_device_keep_their_contacts():
    """A Y splitter with one jack used still wires the other: links are inside the device."""
    built = check_rig(tree_rig(1), text=True)
    roles = built.netlist.contact_roles
    assert ("y0", "b", "ground") in roles.values()
    assert "y0.b.tip" in built.netlist.conductive_group("y0.plug.tip")


# ---------------------------------------------------------------- size limit
def test_a_netlist_over_the_node_limit_is_refused_with_the_limit_to_raise():
    built = check_rig(EXAMPLES / "01-headphone-out-to-splitter.yaml")
    n = sum(1 for node in built.netlist.nodes() if node != EARTH)
    with limits.using(limits.DEFAULT.with_values({"circuit-nodes": str(n - 1)})):
        with pytest.raises(RigTopologyError) as info:
            compile_rig(built)
    (diag,) = info.value.diagnostics
    assert diag.code == "limit" and f"{n} nodes" in diag.message
    assert f"signalchain --limit circuit-nodes={n}'" in diag.hint
    with limits.using(limits.DEFAULT.with_values({"circuit-nodes": str(n)})):
        compile_rig(built)


def test_a_transfer_too_big_for_the_node_limit_is_refused():
    """Few nodes but many senses × columns: the limit bounds the transfer too."""
    net = Netlist()
    for k in range(100):
        net.drives.append(Drive(f"d{k}", f"n{k}", EARTH, f"s{k}", "hot", 1.0))
        net.resistors.append(Resistor(f"r{k}", f"n{k}", EARTH, 100.0))
        net.senses.append(Sense(f"v{k}", "leg", ((f"n{k}", 1.0),), "dev", f"p{k}", "hot"))
    needed = -(-100 * 100 // mna.PAIRS_PER_NODE)
    with limits.using(limits.DEFAULT.with_values({"circuit-nodes": "200"})):
        with pytest.raises(RigTopologyError, match="100 senses × 100 excitations") as info:
            mna.solve(net, GRID)
    assert f"circuit-nodes={needed}'" in info.value.diagnostics[0].hint
    with limits.using(limits.DEFAULT.with_values({"circuit-nodes": str(needed)})):
        assert mna.solve(net, GRID[:2]).transfer.shape == (2, 100, 100)


def test_the_size_check_comes_before_any_allocation(monkeypatch):
    """A 100,000-node chain is refused without assembling anything."""
    net = Netlist(resistors=[Resistor(f"r{k}", f"n{k}", f"n{k + 1}", 1.0)
                             for k in range(100_000)])
    monkeypatch.setattr(mna, "assemble", lambda *a: pytest.fail("assembled"))
    with pytest.raises(RigTopologyError, match="100001 nodes"):
        mna.solve(net, GRID)


def test_cli_names_the_limit(runner, tmp_path):
    result = runner.invoke(app, ["--limit", "circuit-nodes=20", "simulate",
                                 str(EXAMPLES / "06-line-outs-to-atom-amp.yaml")])
    assert result.exit_code == 1, result.output
    assert "circuit-nodes limit" in result.stderr
    assert "signalchain --limit circuit-nodes=" in result.stderr


# ---------------------------------------------------------------- SPICE escaping
SAFE_TEXT = re.compile(r"[A-Za-z0-9 _.,:/+-]*")
SAFE_LABEL = re.compile(r"[A-Za-z0-9_.:-]*")
HOSTILE = "x\n.control\nshell touch {marker}\n.endc\r\n* ; $HOME `echo` {{a}} é\x00\x1b[2J\u2028"


@given(st.text(max_size=400))
@settings(max_examples=300)
def test_spice_text_keeps_only_safe_characters(text):
    out = spice_text(text)
    assert SAFE_TEXT.fullmatch(out) and len(out) <= TEXT_MAX_CHARS
    label = spice_text(text, label=True)
    assert SAFE_LABEL.fullmatch(label) and len(label) <= TEXT_MAX_CHARS


def test_spice_text_examples():
    assert spice_text("Scarlett 2i2: program L at -18 dBFS, 1000 Hz") == \
        "Scarlett 2i2: program L at -18 dBFS, 1000 Hz"
    assert spice_text("x\n.control\nshell touch p\n.endc") == "x_.control_shell touch p_.endc"
    assert spice_text("Café ﬁ ①") == "Cafe fi 1"
    assert spice_text("a;b$c`d*e=f{g}\x00\x7f\u202e") == "a_b_c_d_e_f_g____"
    assert spice_text("alice:left; shell", label=True) == "alice:left__shell"
    assert len(spice_text("a" * 10_000)) == TEXT_MAX_CHARS


def test_spice_node_names_are_unique_ignoring_case_and_never_ground():
    net = Netlist(resistors=[Resistor("r1", "A", "a", 1.0), Resistor("r2", "gnd", "GND", 1.0),
                             Resistor("r3", "0", EARTH, 1.0), Resistor("r4", "a.b", "a_b", 1.0),
                             Resistor("r5", "\n", "é", 1.0)])
    names = spice_node_names(net)
    assert names[EARTH] == "0"
    lowered = [n.lower() for n in names.values()]
    assert len(set(lowered)) == len(lowered)
    assert all(re.fullmatch(r"[A-Za-z0-9_]+", n) for n in names.values())
    assert "gnd" not in [names[n].lower() for n in names if n != EARTH]


def hostile(text: str, marker: Path) -> str:
    """``text`` wrapped in newlines, ``.control``, a shell command, comment and expansion
    characters, unicode and control characters (still unique per ``text``)."""
    return text if text == EARTH else f"{text}{HOSTILE.format(marker=marker)}{text}"


def hostile_netlist(net: Netlist, marker: Path) -> Netlist:
    """The same circuit with every node, element and stage name made hostile."""

    def rename(element):  # noqa: ANN001, ANN202
        fields = {f.name for f in dataclasses.fields(element)}
        return dataclasses.replace(element, **{
            k: hostile(getattr(element, k), marker) for k in
            ("name", "a", "b", "pos", "neg", "out_p", "out_n", "ctl_p", "ctl_n", "stage")
            if k in fields})

    return Netlist(*[[rename(e) for e in getattr(net, f)] for f in
                     ("resistors", "capacitors", "transducers", "vcvs", "drives",
                      "ground_sources")])


def run_ngspice(text: str, cwd: Path) -> str:
    path = cwd / "rig.cir"
    path.write_text(text)
    proc = subprocess.run([NGSPICE, "-b", str(path)], capture_output=True, text=True,
                          timeout=60, check=False, cwd=cwd)
    return proc.stdout + proc.stderr


@pytest.mark.skipif(NGSPICE is None, reason="ngspice not installed")
def test_hostile_names_export_a_netlist_that_runs_nothing(tmp_path, monkeypatch):
    graph = compile_rig(check_rig(EXAMPLES / "01-headphone-out-to-splitter.yaml"))
    resp = respond(graph, graph.knob_positions)
    net, fi = graph.built.netlist, graph.i_ref
    drives = resp.drive_from_noise[fi] @ (resp.gains[:, None] * graph.program_map)[:, 0]
    values = dict(zip(graph.solution.columns[:graph.n_drive], drives, strict=True))
    probes = [(f"{w}:{s}", f"{w}.{s}", f"{w}.common") for w, s in graph.ears]
    freq = float(graph.freqs_hz[fi])
    plain = parse_ngspice_output(run_ngspice(to_spice(net, freq, values, probes=probes),
                                             tmp_path))

    marker = tmp_path / "pwned"
    bad_net = hostile_netlist(net, marker)
    bad_values = {f"{hostile(k.split(':')[0], marker)}:{k.split(':')[1]}": v
                  for k, v in values.items()}
    bad_probes = [(f"{hostile(label, marker)}; shell touch {marker}", hostile(p, marker),
                   hostile(m, marker)) for label, p, m in probes]
    title = hostile("rig", marker)
    text = to_spice(bad_net, freq, bad_values, probes=bad_probes, title=title)
    for line in text.splitlines():
        assert re.match(r"(\* |R|C|E|V|I|\.control$|\.endc$|\.end$|ac lin |echo probe |print )",
                        line), line
        assert not re.search(r"[^\x20-\x7e]|`|\$|\{|\}", line), line
    output = run_ngspice(text, tmp_path)
    assert not marker.exists(), output
    assert "error" not in output.lower(), output
    got = parse_ngspice_output(output)
    assert len(got) == len(plain) == len(probes)
    np.testing.assert_allclose(got, plain, rtol=1e-9)

    # without the escaping, the rig name alone runs the command: the test means something
    monkeypatch.setattr(spice, "spice_text", lambda text, **_: text)
    run_ngspice(spice.to_spice(net, freq, values, probes=probes,
                               title=f"x\n.control\nshell touch {marker}\n.endc"), tmp_path)
    assert marker.exists()

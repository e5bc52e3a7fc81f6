"""The MNA solver against ngspice on exported netlists (same node voltages within 0.01 dB)."""

from __future__ import annotations

import os
import shutil
import subprocess

import numpy as np
import pytest

from signalchain.api import check_rig
from signalchain.circuit.spice import parse_ngspice_output, to_spice
from signalchain.graph import compile_rig
from signalchain.graph.response import respond
from tests.conftest import EXAMPLES

NGSPICE = shutil.which("ngspice")
if NGSPICE is None and os.environ.get("CI"):
    pytest.fail("ngspice is required in CI (.ci/run installs it)", pytrace=False)
pytestmark = pytest.mark.skipif(NGSPICE is None, reason="ngspice not installed")


def run_ngspice(text: str, tmp_path, name: str) -> list[complex]:
    path = tmp_path / f"{name}.cir"
    path.write_text(text)
    proc = subprocess.run([NGSPICE, "-b", str(path)], capture_output=True, text=True,
                          timeout=60, check=False)
    # the analysis runs in the .control block, so ngspice's batch pass reports "no simulations
    # run" and exits 1; what matters is that it printed every probe without errors
    assert "error" not in proc.stdout.lower() + proc.stderr.lower(), proc.stdout + proc.stderr
    return parse_ngspice_output(proc.stdout)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_solver_matches_ngspice(path, tmp_path):
    graph = compile_rig(check_rig(path))
    resp = respond(graph, graph.knob_positions)
    net = graph.built.netlist
    probes = [(f"{who}:{side}", f"{who}.{side}", f"{who}.common") for who, side in graph.ears]
    for fi in (graph.i_ref, graph.i_10k):
        freq = float(graph.freqs_hz[fi])
        for ch in (0, 1):
            drives = resp.drive_from_noise[fi] @ (resp.gains[:, None] * graph.program_map)[:, ch]
            values = dict(zip(graph.solution.columns[:graph.n_drive], drives, strict=True))
            got = run_ngspice(to_spice(net, freq, values, probes=probes), tmp_path,
                              f"{path.stem}-{fi}-{ch}")
            mine = resp.program[fi, graph.ear_senses, ch]
            assert len(got) == len(mine)
            loudest = np.abs(mine).max()
            for g, m in zip(got, mine, strict=True):
                if abs(m) > 1e-6 * loudest:  # compare everything above -120 dB re the loudest
                    assert 20 * np.log10(abs(g) / abs(m)) == pytest.approx(0.0, abs=0.01)
                    assert np.angle(g / m) == pytest.approx(0.0, abs=1e-3)


def test_hum_sources_match_ngspice(tmp_path):
    """Ground-source excitation (outlet offsets, leakage currents) exported and re-solved."""
    graph = compile_rig(check_rig(EXAMPLES / "01-headphone-out-to-splitter.yaml"))
    net = graph.built.netlist
    fi = graph.hum_points[0][0]
    freq = float(graph.freqs_hz[fi])
    resp = respond(graph, graph.knob_positions)
    # drives as the active stages produce them from the ground sources' signal at the inputs
    n_d = graph.n_drive
    t_in_h = graph.solution.transfer[fi][graph.input_senses, n_d:]
    km = resp.gains[:, None] * graph.input_map
    drives = resp.drive_from_noise[fi] @ (km @ t_in_h).sum(axis=1)
    values = dict(zip(graph.solution.columns[:n_d], drives, strict=True))
    grounds = {g.name: g.amplitude for g in net.ground_sources}
    probes = [(f"{w}:{s}", f"{w}.{s}", f"{w}.common") for w, s in graph.ears]
    got = run_ngspice(to_spice(net, freq, values, ground_values=grounds, probes=probes),
                      tmp_path, "hum")
    mine = resp.hum[fi, graph.ear_senses, :].sum(axis=1)
    for g, m in zip(got, mine, strict=True):
        assert 20 * np.log10(abs(g) / abs(m)) == pytest.approx(0.0, abs=0.01)

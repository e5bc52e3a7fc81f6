"""The public Rig API: construction, caching and reuse, derived rigs, topology, render stream."""

import math
import subprocess
import sys

import numpy as np
import pytest

import signalchain as sc
from signalchain import units
from signalchain.errors import RigError, UsageError
from tests.conftest import EXAMPLES, ROOT

EX1 = EXAMPLES / "01-headphone-out-to-splitter.yaml"


@pytest.fixture(scope="module")
def rig():
    return sc.Rig.from_path(EX1)


def test_the_issues_one_liner_works():
    code = ("import signalchain as sc; r = sc.Rig.from_path('examples/01-headphone-out-to-"
            "splitter.yaml'); print(r.simulate().listeners[0].ears['left'].program)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    assert out.startswith("(ChannelAtEar(channel='L'")


def test_with_knobs_shares_the_solve_and_moves_the_level_by_the_taper(rig):
    moved = rig.with_knobs({"hm4.out1": 0.9})
    assert moved.graph.solution is rig.graph.solution
    assert moved.built is rig.built
    before = rig.simulate().listener("alice").program_spl_db
    after = moved.simulate().listener("alice").program_spl_db
    taper = rig.graph.stages["hm4.out1"].taper
    hand = 20 * math.log10(units.taper_gain(0.9, taper) / units.taper_gain(0.5, taper))
    assert after - before == pytest.approx(hand, abs=0.05)
    assert rig.knobs["hm4.out1"] == 0.5 and moved.knobs["hm4.out1"] == 0.9
    assert moved.to_dict()["devices"]["hm4"]["knobs"]["out1"] == 0.9
    with pytest.raises(UsageError, match="no knob 'hm4.out9'"):
        rig.with_knobs({"hm4.out9": 0.5})
    with pytest.raises(UsageError, match="outside 0..1"):
        rig.with_knobs({"hm4.out1": 1.5})


def test_with_connections_reuses_devices_and_with_devices_resolves_again(rig):
    fewer = rig.with_connections(rig.spec.connections[:3],
                                 devices=["laptop", "scarlett", "hm4", "alice"])
    assert fewer.resolved.devices["hm4"] is rig.resolved.devices["hm4"]
    assert fewer.listeners == ("alice",)
    other = rig.with_devices({"hm4": "behringer/ha400"})
    assert other.resolved.devices["hm4"].model == "behringer/ha400"
    assert other.resolved.devices["alice"] is not rig.resolved.devices["alice"]
    assert other.simulate().listener("alice").program_spl_db != pytest.approx(
        rig.simulate().listener("alice").program_spl_db, abs=0.01)


def test_from_dict_round_trips_and_errors_carry_locations(rig):
    again = sc.Rig.from_dict(rig.to_dict())
    assert again.simulate().listener("bob").program_spl_db == pytest.approx(
        rig.simulate().listener("bob").program_spl_db, abs=1e-9)
    with pytest.raises(RigError) as err:
        sc.Rig.from_text("signalchain: 1\ndevices:\n  a: nope/nope\n", "x.yaml").check()
    loc = err.value.diagnostics[0].location
    assert loc is not None and (loc.file, loc.line) == ("x.yaml", 3)


def test_topology_lists_every_connection_and_the_flow(rig):
    topo = rig.topology()
    assert len(topo.cables) == len(rig.spec.connections)
    assert topo.cables[1].item == "trs-cable" and topo.cables[1].length_m == 3.0
    assert [str(p) for p in topo.cables[1].ports] == ["scarlett.headphones", "hm4.input"]
    assert topo.cables[1].ports[0].device == "scarlett"
    assert "hm4.out1" in topo.signal_flow["scarlett.headphones"]
    hm4 = next(d for d in topo.devices if d.id == "hm4")
    assert {p.ref.port for p in hm4.ports if p.plugged} >= {"input", "out1", "out4"}


def test_render_stream_reset_gives_identical_audio(rig):
    with rig.render("builtin:pink", seconds=0.3, seed=7) as stream:
        first = np.concatenate([b["carol"] for b in stream.blocks(3000)])
        stream.reset()
        again = np.concatenate([b["carol"] for b in stream.blocks(3000)])
    assert first.shape == (int(0.3 * 48000), 2)
    assert np.array_equal(first, again)
    assert np.sqrt(np.mean(first ** 2)) > 0


def test_netlist_and_unknown_listener(rig):
    assert rig.netlist("alice").startswith("* ")
    with pytest.raises(UsageError, match="no listener 'zed'"):
        rig.netlist("zed")


def test_findings_lists_a_shorted_output_once_per_listener_it_feeds(tmp_path):
    text = EX1.read_text().replace("cable: trs-cable ", "cable: ts-cable  ")
    ev = sc.Rig.from_text(text, "ts.yaml").simulate()
    shorted = [f for f in ev.findings if f.code == "shorted-output"]
    assert len(ev.warnings) >= 1
    assert sorted(f.subject for f in shorted) == ["scarlett.headphones"] * 4

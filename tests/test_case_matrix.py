"""electrical.md §1.3: every row of the balanced/unbalanced case matrix falls out of the circuit.

Each expected value is derived by hand in this file from the circuit of the
row (source legs, output impedance RO, input impedance ZIN) — not from the
code under test. Levels are relative to the source's level V (1 V); 0.1 dB
tolerance covers cable and contact resistances, which the hand formulas
leave out.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from signalchain.evaluate import headroom as stage_headroom
from signalchain.evaluate import shorted_outputs
from signalchain.graph import compile_rig
from signalchain.graph.response import respond
from tests.rigkit import RO, TEST_CABLES, ZIN, built, in_port, out_port, rig

R_LEG = ZIN  # balanced input: 4-resistor difference amp with 10k legs (20k differential)
ZCM = 10_000.0  # servo common-mode resistors
K = ZIN / (ZIN + RO)  # loading of a single-ended leg


def par(*zs: float) -> float:
    return 1.0 / sum(1.0 / z for z in zs)


def db(x: float) -> float:
    return 20 * math.log10(abs(x))


def senses_at_1k(doc: dict, catalog=TEST_CABLES) -> tuple[dict[str, complex], object]:
    b = built(doc, catalog)
    graph = compile_rig(b)
    resp = respond(graph, graph.knob_positions)
    names = [s.name for s in b.netlist.senses]
    out = {}
    for k in graph.input_senses:
        out[names[k]] = resp.program[graph.i_ref, k, :]
    return out, graph


def servo_hot_grounded_cold() -> float:
    """Row 8: cold leg grounded at the jack; hot loaded by RO + ZIN (hand-solved divider)."""
    zc = par(RO, ZCM)
    zh = par(ZCM, RO + ZIN)
    return zh / (zh + zc) * ZIN / (ZIN + RO)


def servo_cold_open() -> float:
    """Row 15 (servo): cold leg open, only ZCM holds it."""
    zh = par(ZCM, RO + ZIN)
    return zh / (zh + ZCM) * ZIN / (ZIN + RO)


# (row, output, cable, input, ends, {sense: (level re V, polarity) per channel index})
CASES = [
    ("1", "impedance", "trs-cable", "balanced", None,
     {"dst.in:hot": (2 * ZIN / (2 * ZIN + RO) * (1 - 0.5 * RO / (R_LEG + RO)), +1)}),
    ("2", "ts", "ts-cable", "balanced", None,
     {"dst.in:hot": (2 * ZIN / (2 * ZIN + RO), +1)}),
    ("3", "ts", "trs-cable", "balanced", None,
     {"dst.in:hot": (0.5 * 2 * ZIN / (2 * ZIN + RO), +1)}),
    ("4", "ts", "pseudo-balanced", "balanced", None,
     {"dst.in:hot": (2 * ZIN / (2 * ZIN + RO), +1)}),
    ("5", "impedance", "trs-cable", "balanced", None,
     {"dst.in:hot": (2 * ZIN / (2 * ZIN + RO) * (1 - 0.5 * RO / (R_LEG + RO)), +1)}),
    ("6", "impedance", "ts-cable", "ts", None, {"dst.in:hot": (K, +1)}),
    ("7", "push-pull", "ts-cable", "ts", None, {"dst.in:hot": (0.5 * K, +1)}),
    ("7b", "push-pull", "trs-cable", "ts", None, {"dst.in:hot": (0.5 * K, +1)}),
    ("8", "servo", "ts-cable", "ts", None, {"dst.in:hot": (servo_hot_grounded_cold(), +1)}),
    ("9", "transformer", "ts-cable", "ts", None, {"dst.in:hot": (ZIN / (ZIN + 2 * RO), +1)}),
    ("10 push-pull", "push-pull", "trs-cable", "stereo", None,
     {"dst.in:left": (0.5 * K, +1), "dst.in:right": (0.5 * K, -1)}),
    ("10 servo", "servo", "trs-cable", "stereo", None,
     {"dst.in:left": (0.5 * K, +1), "dst.in:right": (0.5 * K, -1)}),
    ("11", "impedance", "trs-cable", "stereo", None,
     {"dst.in:left": (K, +1), "dst.in:right": (0.0, 0)}),
    ("12", "transformer", "trs-cable", "stereo", None,
     {"dst.in:left": (ZIN / (2 * ZIN + 2 * RO), +1),
      "dst.in:right": (ZIN / (2 * ZIN + 2 * RO), -1)}),
    ("15 push-pull", "push-pull", "trs-to-rca-ring-open", "rca", None,
     {"dst.in:hot": (0.5 * K, +1)}),
    ("15 servo", "servo", "trs-to-rca-ring-open", "rca", None,
     {"dst.in:hot": (servo_cold_open(), +1)}),
    ("16", "ts", "ts-cable", "stereo", None,
     {"dst.in:left": (K, +1), "dst.in:right": (0.0, 0)}),
    ("18", "stereo", "ts-cable", "ts", None, {"dst.in:hot": (K, +1)}),
]


def check_level(value: complex, expected: float, polarity: int) -> None:
    if expected == 0.0:
        assert abs(value) < 1e-3, f"expected silence (< -60 dB), got {db(value):.1f} dB"
        return
    assert db(value) == pytest.approx(db(expected), abs=0.1)
    assert (1 if value.real >= 0 else -1) == polarity


@pytest.mark.parametrize("row, out_kind, cable, in_kind, ends, expected", CASES,
                         ids=[c[0] for c in CASES])
def test_case_matrix_row(row, out_kind, cable, in_kind, ends, expected):
    doc = rig({"out": out_port(out_kind)}, {"in": in_port(in_kind)},
              [{"cable": cable, "length": "1 m", "ends": ["src.out", "dst.in"]}])
    levels, _ = senses_at_1k(doc)
    for sense, (level, polarity) in expected.items():
        check_level(levels[sense][0], level, polarity)


@pytest.mark.parametrize("kind, level", [
    ("push-pull", 0.5 * K), ("impedance", K), ("servo", servo_hot_grounded_cold()),
    ("transformer", ZIN / (ZIN + 2 * RO))])
def test_row13_dual_ts_breakout(kind, level):
    doc = rig({"out_l": out_port(kind, "L"), "out_r": out_port(kind, "R")},
              {"in": in_port("stereo")},
              [{"cable": "dual-ts-to-trs", "length": "1 m",
                "ends": {"left": "src.out_l", "right": "src.out_r", "stereo": "dst.in"}}])
    levels, _ = senses_at_1k(doc)
    check_level(levels["dst.in:left"][0], level, +1)  # L program -> left
    check_level(levels["dst.in:right"][1], level, +1)  # R program -> right, in phase
    assert abs(levels["dst.in:left"][1]) < 1e-3 and abs(levels["dst.in:right"][0]) < 1e-3


@pytest.mark.parametrize("kind, left, right", [
    ("push-pull", (0.5 * K, +1), (0.5 * K, -1)), ("impedance", (K, +1), (0.0, 0))])
def test_row14_insert_y_to_two_rca(kind, left, right):
    doc = rig({"out": out_port(kind)}, {"rca_l": in_port("rca", "L"),
                                        "rca_r": in_port("rca", "R")},
              [{"cable": "trs-to-dual-rca", "length": "1 m",
                "ends": {"trs": "src.out", "left": "dst.rca_l", "right": "dst.rca_r"}}])
    levels, _ = senses_at_1k(doc)
    check_level(levels["dst.rca_l:hot"][0], *left)
    check_level(levels["dst.rca_r:hot"][0], *right)


def test_row17_stereo_into_balanced_mono_input_is_side_signal():
    doc = rig({"hp": out_port("stereo")}, {"in": in_port("balanced")},
              [{"cable": "trs-cable", "length": "1 m", "ends": ["src.hp", "dst.in"]}])
    levels, _ = senses_at_1k(doc)
    v = levels["dst.in:hot"]
    # L only: hot driven, cold sits at the source's 0 V -> as row 1
    check_level(v[0], 2 * ZIN / (2 * ZIN + RO) * (1 - 0.5 * RO / (R_LEG + RO)), +1)
    # R only: hot at 0 V, cold driven into R_LEG against the virtual node at 0 V -> -R/(R+RO)
    check_level(v[1], R_LEG / (R_LEG + RO), -1)
    # centre-panned content (L = R) cancels: L - R ("OOPS")
    assert db(v[0] + v[1]) < -40


def test_row7_cold_driver_into_short_is_reported():
    doc = rig({"out": out_port("push-pull")}, {"in": in_port("ts")},
              [{"cable": "ts-cable", "length": "1 m", "ends": ["src.out", "dst.in"]}])
    _, graph = senses_at_1k(doc)
    findings = shorted_outputs(graph)
    assert any("src.out's cold leg drives a short" in f.message for f in findings)
    doc_ok = rig({"out": out_port("push-pull")}, {"in": in_port("ts")},
                 [{"cable": "trs-cable", "length": "1 m", "ends": ["src.out", "dst.in"]}])
    _, graph_ok = senses_at_1k(doc_ok)
    assert not shorted_outputs(graph_ok)  # row 7b: cold left open is the recommended wiring


def test_row18_stereo_output_right_shorted_is_reported():
    doc = rig({"hp": out_port("stereo")}, {"in": in_port("ts")},
              [{"cable": "ts-cable", "length": "1 m", "ends": ["src.hp", "dst.in"]}])
    _, graph = senses_at_1k(doc)
    assert any("right channel drives a short" in f.message for f in shorted_outputs(graph))


def test_row8_servo_into_ts_loses_6_db_of_headroom():
    """Grounding the cold leg doubles the hot leg's swing: max output drops ~6 dB (§1.1)."""
    def headroom(cable, in_kind):
        doc = rig({"out": out_port("servo", vmax=2.0)}, {"in": in_port(in_kind)},
                  [{"cable": cable, "length": "1 m", "ends": ["src.out", "dst.in"]}])
        _, graph = senses_at_1k(doc)
        return stage_headroom(graph, respond(graph, graph.knob_positions))["src.out"][0]

    balanced = headroom("trs-cable", "stereo")  # symmetric legs: ±V/2
    unbalanced = headroom("ts-cable", "ts")
    # hand: legs at ±V/2 vs hot leg at ~V (servo_hot_grounded_cold before the input divider)
    expected = db(0.5 / (servo_hot_grounded_cold() * (ZIN + RO) / ZIN))
    assert unbalanced - balanced == pytest.approx(expected, abs=0.1)
    assert expected == pytest.approx(-6.0, abs=0.2)


def test_transformer_split_follows_input_impedances():
    """Row 12 (derived): the floating winding splits in proportion to the two loads."""
    z1, z2 = 10_000.0, 47_000.0
    ins = {"l": in_port("rca", "L", zin=z1), "r": in_port("rca", "R", zin=z2)}
    doc = rig({"out": out_port("transformer")}, ins,
              [{"cable": "trs-to-dual-rca", "length": "1 m",
                "ends": {"trs": "src.out", "left": "dst.l", "right": "dst.r"}}])
    levels, _ = senses_at_1k(doc)
    total = z1 + z2 + 2 * RO
    check_level(levels["dst.l:hot"][0], z1 / total, +1)
    check_level(levels["dst.r:hot"][0], z2 / total, -1)
    assert np.isfinite(db(levels["dst.l:hot"][0]))

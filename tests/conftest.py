"""Shared helpers: build rigs from text, read input senses, run the CLI."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from signalchain.api import load_rig_text
from signalchain.catalog import Catalog, default_catalog
from signalchain.graph import compile_rig
from signalchain.graph.response import respond
from signalchain.wiring.build import BuiltRig, build
from signalchain.wiring.resolve import resolve

ROOT = Path(__file__).resolve().parents[1]
UR22C_HD650 = """\
signalchain: 1
devices:
  laptop: generic/laptop
  ur: {model: steinberg/ur22c, knobs: {phones: 0.8}}
  alice: sennheiser/hd-650
connections:
  - {cable: usb, ends: [laptop.usb, ur.usb]}
  - {plug: alice, into: ur.phones}
"""
"""A 90 Ω headphone output driving HD 650s, whose impedance varies 305–480 Ω."""
EXAMPLES = ROOT / "examples"


def built_from_text(text: str, catalog: Catalog | None = None) -> BuiltRig:
    spec, doc = load_rig_text(textwrap.dedent(text), "test-rig.yaml")
    return build(resolve(spec, doc, catalog or default_catalog()))


def input_levels(built: BuiltRig, freq_index: str = "ref") -> dict[str, np.ndarray]:
    """Each input sense's value per program channel (complex, per unit full scale) at 1 kHz."""
    graph = compile_rig(built)
    resp = respond(graph, graph.knob_positions)
    i = graph.i_ref
    senses = built.netlist.senses
    return {senses[k].name: resp.program[i, k, :] for k in graph.input_senses}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return default_catalog()

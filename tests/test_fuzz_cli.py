"""Fuzzing the CLI with mutated rigs: every outcome is a result or a clear error, never a bug.

Valid example rigs are mutated (numbers, ids, ports, connections, models, inline
devices) and fed to every command. The CLI must exit 0, 1 or 2 — never 3 (internal
error), never a traceback — and each run must stay within a few seconds; the test
process must stay within a few hundred MB.
"""

from __future__ import annotations

import io
import math
import resource
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from signalchain.catalog import default_catalog
from signalchain.cli import app
from tests.conftest import EXAMPLES

SECONDS_PER_RUN = 20.0
"""Generous for a loaded 2-core machine: a normal run takes well under a second."""
PEAK_RSS_MB = 900

EXAMPLE_DOCS = {p.name: YAML(typ="safe").load(p.read_text()) for p in
                sorted(EXAMPLES.glob("*.yaml"))}

WEIRD_NUMBERS = [0, -1, 1e-300, 1e308, -1e308, math.nan, math.inf, -math.inf, 1e6, 0.5,
                 3, 100000, -0.0]
WEIRD_TEXT = ["", " ", "/x", "../../x", "x\n.control\nshell touch pwned\n.endc",
              "\x1b[31mred", "a.b", "alice", "out1", "hm4.out1", "adapter/3.5f-6.35m",
              "[bold]x[/bold]", "ü" * 300, "60%", "3 m", "nan", "-1 dB", "1e999", "\u202e",
              "C:\\x", "*", "&a", "builtin:nope", "/dev/zero"]


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a node of a plain YAML document."""
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, (*prefix, i))
    return out


def _get(doc: Any, path: tuple) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def _set(doc: Any, path: tuple, value: Any) -> None:
    _get(doc, path[:-1])[path[-1]] = value


def _port_refs(doc: dict) -> list[str]:
    """'device.port' strings that exist in the catalog for the rig's catalog devices."""
    cat = default_catalog()
    refs = []
    for name, entry in (doc.get("devices") or {}).items():
        model = entry if isinstance(entry, str) else (entry or {}).get("model")
        spec = cat.device(model) if isinstance(model, str) else None
        if spec is not None:
            refs += [f"{name}.{p}" for p in spec.ports]
    return refs or ["x.y"]


def _devices(doc: dict) -> dict:
    devices = doc.get("devices")
    return devices if isinstance(devices, dict) else {}


def _model(entry: Any) -> str | None:
    return entry if isinstance(entry, str) else (
        entry.get("model") if isinstance(entry, dict) else None)


def _inline(draw: st.DrawFn, model: str) -> dict | None:
    """A catalog device written inline, with one numeric value scaled by up to 1000x."""
    spec = default_catalog().device(model)
    if spec is None:
        return None
    entry = spec.model_dump(mode="json", exclude_none=True, exclude={"id", "provenance"})
    numeric = [p for p in _paths(entry) if p and isinstance(_get(entry, p), int | float)
               and not isinstance(_get(entry, p), bool)]
    if numeric:
        path = draw(st.sampled_from(numeric))
        factor = draw(st.sampled_from([1e-3, 0.1, 0.5, 2.0, 10.0, 1e3, -1.0]))
        _set(entry, path, _get(entry, path) * factor)
    return entry


def _mutate_valid(draw: st.DrawFn, doc: dict) -> None:
    """A change that usually keeps the rig valid: the physics has to cope with it."""
    devices = _devices(doc)
    connections = doc.get("connections") if isinstance(doc.get("connections"), list) else []
    action = draw(st.sampled_from(["knob", "length", "swap-model", "inline", "rewire",
                                   "feedback", "environment"]))
    names = sorted(devices)
    if action == "knob" and names:
        name = draw(st.sampled_from(names))
        entry = devices[name]
        model = _model(entry)
        spec = default_catalog().device(model) if model else None
        if spec is not None and spec.knobs:
            knob = draw(st.sampled_from(sorted(spec.knobs)))
            value = draw(st.floats(0, 1) | st.sampled_from([0, 1, "0%", "100%", 1.5, -0.1]))
            devices[name] = {"model": model, "knobs": {knob: value}}
    elif action == "length" and connections:
        conn = draw(st.sampled_from(connections))
        if isinstance(conn, dict) and "cable" in conn:
            conn["length"] = draw(st.floats(0.01, 1000) | st.sampled_from(
                ["10 ft", "0 m", "1e6 m", 0, -1]))
    elif action == "swap-model" and names:
        name = draw(st.sampled_from(names))
        model = _model(devices[name])
        spec = default_catalog().device(model) if model else None
        if spec is not None:
            devices[name] = draw(st.sampled_from(default_catalog().ids(spec.kind)))
    elif action == "inline" and names:
        name = draw(st.sampled_from(names))
        model = _model(devices[name])
        entry = _inline(draw, model) if model else None
        if entry is not None:
            devices[name] = entry
    elif action == "rewire" and connections:
        conn = draw(st.sampled_from(connections))
        ref = draw(st.sampled_from(_port_refs(doc)))
        if isinstance(conn, dict) and isinstance(conn.get("ends"), list) and conn["ends"]:
            conn["ends"][draw(st.integers(0, len(conn["ends"]) - 1))] = ref
        elif isinstance(conn, dict) and "into" in conn:
            conn["into"] = ref
    elif action == "feedback":
        refs = _port_refs(doc)
        a, b = draw(st.sampled_from(refs)), draw(st.sampled_from(refs))
        doc.setdefault("connections", []).append(
            {"cable": draw(st.sampled_from(["trs-cable", "ts-cable"])), "ends": [a, b]})
    elif action == "environment":
        doc["environment"] = {"mains_hz": draw(st.sampled_from([50, 60])),
                              "ground_offset_v": draw(st.sampled_from(
                                  [0, 0.001, 0.01, 1, 100, "2 V"]))}


def _mutate_any(draw: st.DrawFn, doc: dict) -> None:
    """A blunt change anywhere in the document: most make the rig invalid."""
    import copy

    paths = [p for p in _paths(doc) if p]
    if not paths:
        return
    path = draw(st.sampled_from(paths))
    target = _get(doc, path)
    action = draw(st.sampled_from(["number", "text", "delete", "port", "model",
                                   "duplicate", "swap", "inline", "list"]))
    if action == "number" or (isinstance(target, int | float) and action == "text"):
        _set(doc, path, draw(st.sampled_from(WEIRD_NUMBERS) | st.floats()))
    elif action == "text":
        _set(doc, path, draw(st.sampled_from(WEIRD_TEXT) | st.text(max_size=12)))
    elif action == "delete":
        del _get(doc, path[:-1])[path[-1]]
    elif action == "port":
        _set(doc, path, draw(st.sampled_from(_port_refs(doc))))
    elif action == "model":
        _set(doc, path, draw(st.sampled_from(default_catalog().ids())))
    elif action == "duplicate" and isinstance(doc.get("connections"), list) \
            and doc["connections"]:
        doc["connections"].append(copy.deepcopy(draw(st.sampled_from(doc["connections"]))))
    elif action == "swap" and isinstance(target, list) and len(target) >= 2:
        target.reverse()
    elif action == "inline" and isinstance(doc.get("devices"), dict):
        doc["devices"][draw(st.sampled_from(["zz", "alice", "amp2"]))] = {
            "kind": draw(st.sampled_from(["amp", "headphones", "interface", "splitter"])),
            "ports": {draw(st.sampled_from(["in", "out1", "plug"])): {
                "connector": draw(st.sampled_from(["trs-6.35", "ts-6.35", "trs-3.5"])),
                "gender": draw(st.sampled_from(["jack", "plug"])),
                "direction": draw(st.sampled_from(["in", "out"])),
                "signal": draw(st.sampled_from(["stereo", "unbalanced", "balanced"])),
                "captive": draw(st.booleans())}},
            "headphones": {"z_ohm": draw(st.sampled_from(WEIRD_NUMBERS)),
                           "sensitivity_db_per_mw": draw(st.sampled_from(WEIRD_NUMBERS))}}
    elif action == "list":
        _set(doc, path, draw(st.sampled_from([[], {}, None, [[]], {"a": None}])))


@st.composite
def mutated_rig(draw: st.DrawFn) -> str:
    """An example rig with one to four mutations (mostly rig-preserving ones), as YAML text."""
    import copy

    name = draw(st.sampled_from(sorted(EXAMPLE_DOCS)))
    doc = copy.deepcopy(EXAMPLE_DOCS[name])
    for _ in range(draw(st.integers(1, 4))):
        if draw(st.integers(0, 3)):
            _mutate_valid(draw, doc)
        else:
            _mutate_any(draw, doc)
    buf = io.StringIO()
    yaml = YAML(typ="safe")
    yaml.default_flow_style = False
    try:
        yaml.dump(doc, buf)
    except Exception:  # a document the dumper cannot write (a non-string key ...): skip it
        return "signalchain: 1\ndevices: {}\n"
    return buf.getvalue()


def _run(runner: Any, args: list[str]) -> None:
    start = time.monotonic()
    result = runner.invoke(app, args)
    elapsed = time.monotonic() - start
    assert "Traceback" not in result.output, result.output
    assert "internal error" not in result.output, (args, result.output)
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.output)
    assert elapsed < SECONDS_PER_RUN, (args, elapsed)


FUZZ = settings(max_examples=60, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])


@FUZZ
@given(text=mutated_rig())
def test_check_simulate_tune_never_fail_internally(runner, tmp_path_factory, text):
    rig = tmp_path_factory.mktemp("fuzz") / "rig.yaml"
    rig.write_text(text, encoding="utf-8")
    for args in (["check", str(rig)], ["simulate", str(rig), "--json"], ["simulate", str(rig)],
                 ["tune", str(rig), "--json"],
                 ["netlist", str(rig), "--listener", "alice"]):
        _run(runner, args)


@settings(FUZZ, max_examples=12)
@given(text=mutated_rig())
def test_advise_never_fails_internally(runner, tmp_path_factory, text):
    rig = tmp_path_factory.mktemp("fuzz") / "rig.yaml"
    rig.write_text(text, encoding="utf-8")
    _run(runner, ["advise", str(rig), "--json"])


@settings(FUZZ, max_examples=15)
@given(text=mutated_rig(), seconds=st.sampled_from(["0.2", "0.05", "1"]))
def test_render_never_fails_internally(runner, tmp_path_factory, text, seconds):
    base = tmp_path_factory.mktemp("fuzz")
    rig = base / "rig.yaml"
    rig.write_text(text, encoding="utf-8")
    _run(runner, ["render", str(rig), "--out", str(base / "out"), "--seconds", seconds])
    # nothing is written outside --out
    assert sorted(p.name for p in base.iterdir()) in (["rig.yaml"], ["out", "rig.yaml"])


def test_memory_stayed_bounded():
    """Runs after the fuzz tests above (file order): the process never grew past the bound."""
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert peak_mb < PEAK_RSS_MB, peak_mb


@pytest.mark.parametrize("name", sorted(EXAMPLE_DOCS))
def test_unmutated_examples_pass_through_the_fuzzer_unchanged(runner, tmp_path, name):
    """The fuzzer's YAML writer keeps a valid rig valid (so mutations are the only change)."""
    buf = io.StringIO()
    YAML(typ="safe").dump(EXAMPLE_DOCS[name], buf)
    rig = Path(tmp_path / name)
    rig.write_text(buf.getvalue())
    result = runner.invoke(app, ["check", str(rig)])
    assert result.exit_code == 0, result.output

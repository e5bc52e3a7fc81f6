"""Hostile input cannot hurt the loader: files, YAML cost, counts, ranges, ids and text."""

from __future__ import annotations

import io
import json
import math
import os
import re
import shutil
import socket
import tempfile
import time
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from signalchain import limits, units
from signalchain.api import load_rig, load_rig_text
from signalchain.catalog import Catalog
from signalchain.errors import RigError, RigValidationError
from signalchain.schema.loader import parse_yaml, read_yaml
from signalchain.schema.rig import RigSpec
from tests.conftest import EXAMPLES, built_from_text
from tests.test_loader import GOOD

INLINE = """\
signalchain: 1
name: NAME
devices:
  laptop: generic/laptop
  box:
    kind: interface
    power: usb-bus
    knobs: {vol: {default: 0.5, taper: TAPER}}
    set: {vol: 0.8}
    ports:
      usb: {connector: usb-c, direction: host, signal: host}
      out:
        connector: trs-6.35
        direction: out
        signal: stereo
        feeds: FEEDS
        knob: vol
        v_rms_at_0dbfs: 1 V
        z_out_ohm: ZOUT
        max_v_rms: 1 V
        noise: {knob_min_dbu_a: -100, knob_max_dbu_a: -95}
  bob:
    kind: headphones
    ports:
      plug: {connector: trs-3.5, gender: plug, direction: in, signal: stereo, CAPTIVE}
    headphones: {z_ohm: 32, sensitivity_db_per_v: SENS, cord_r_ohm: CORD, z_curve: CURVE}
connections:
  - {cable: usb, ends: [laptop.usb, box.usb]}
  - {plug: bob, into: box.out, via: adapter/3.5f-6.35m}
"""
SLOTS = {"NAME": "ok", "TAPER": "audio", "FEEDS": "{left: L, right: R}", "ZOUT": "1",
         "CAPTIVE": "captive: true", "SENS": "110", "CORD": "0.1", "CURVE": "null"}


def inline(**slots: str) -> str:
    text = INLINE
    for key, value in {**SLOTS, **slots}.items():
        text = text.replace(key, value)
    return text


def messages(text: str, *, build: bool = True) -> list[str]:
    """Formatted diagnostics of a rig that must be refused with a RigValidationError."""
    with pytest.raises(RigValidationError) as info:
        if build:
            built_from_text(text)
        else:
            load_rig_text(text, "test-rig.yaml")
    assert info.value.diagnostics
    return [d.format() for d in info.value.diagnostics]


def one_message(text: str, **kw: Any) -> str:
    found = messages(text, **kw)
    assert len(found) == 1, found
    return found[0]


@pytest.fixture
def short_tmp() -> Any:
    """A temporary directory with a short path (AF_UNIX socket paths are limited to ~100)."""
    path = Path(tempfile.mkdtemp(prefix="sc"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


def test_the_inline_template_is_valid():
    built = built_from_text(inline())
    assert "bob" in built.devices


# ------------------------------------------------------------ reading files
@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_dev_zero_is_refused_without_reading_it():
    start = time.process_time()
    with pytest.raises(RigValidationError) as info:
        read_yaml("/dev/zero")
    assert time.process_time() - start < 1.0
    assert "/dev/zero is a device, not a rig file" in str(info.value)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "rig.yaml"
    os.mkfifo(fifo)
    with pytest.raises(RigValidationError) as info:
        load_rig(fifo)
    assert "is a FIFO (named pipe), not a rig file" in str(info.value)


def test_directory_is_refused(tmp_path):
    with pytest.raises(RigValidationError) as info:
        read_yaml(tmp_path)
    assert "is a directory, not a rig file" in str(info.value)


@pytest.mark.skipif(not hasattr(socket, "AF_UNIX"), reason="no unix sockets here")
def test_socket_is_refused(short_tmp):
    path = short_tmp / "s.yaml"
    with socket.socket(socket.AF_UNIX) as sock:
        sock.bind(str(path))
        with pytest.raises(RigValidationError) as info:
            read_yaml(path)
    assert "is a socket, not a rig file" in str(info.value)


def test_file_over_rig_bytes_is_refused_naming_the_limit(tmp_path):
    path = tmp_path / "big.yaml"
    size = limits.current().rig_bytes + 1
    path.write_text("#" * (size - 1) + "\n")
    (msg,) = [d.format() for d in pytest.raises(RigValidationError, read_yaml, path)
              .value.diagnostics]
    assert "rig-bytes limit" in msg and f"the limit is {size - 1}" in msg
    assert f"--limit rig-bytes={size}" in msg


def test_rig_bytes_can_be_raised(tmp_path):
    path = tmp_path / "big.yaml"
    path.write_text(GOOD + "#" * (limits.current().rig_bytes + 10) + "\n")
    with pytest.raises(RigValidationError):
        load_rig(path)
    with limits.using(limits.Limits(rig_bytes=limits.current().rig_bytes * 2)):
        spec, _ = load_rig(path)
    assert spec.name == "ok"


def test_text_over_rig_bytes_is_refused():
    text = GOOD + "# é\n" * (limits.current().rig_bytes // 5)
    assert "rig-bytes limit" in one_message(text, build=False)


def test_file_that_is_not_utf8_is_a_clear_error(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(GOOD.replace("name: ok", "name: caf\xe9").encode("latin-1"))
    with pytest.raises(RigValidationError) as info:
        read_yaml(path)
    assert "not UTF-8 text" in str(info.value)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_catalog_files_are_read_the_same_way(tmp_path):
    os.mkfifo(tmp_path / "devices.yaml")
    with pytest.raises(RigValidationError) as info:
        Catalog.from_directory(tmp_path)
    assert "is a FIFO (named pipe), not a catalog file" in str(info.value)
    os.unlink(tmp_path / "devices.yaml")
    (tmp_path / "big.yaml").write_text("#" * (limits.current().rig_bytes + 1))
    with pytest.raises(RigValidationError) as info:
        Catalog.from_directory(tmp_path)
    assert "rig-bytes limit" in str(info.value)


# ------------------------------------------------------------------ YAML cost
ALIAS_BOMB = """\
a: &a ["x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g]
i: &i [*h,*h,*h,*h,*h,*h,*h,*h,*h]
"""


def test_alias_bomb_is_refused_quickly():
    start = time.process_time()
    msg = one_message("signalchain: 1\n" + ALIAS_BOMB + "devices: {x: *i}\n", build=False)
    assert time.process_time() - start < 2.0
    assert "yaml-nodes limit" in msg and "with aliases expanded" in msg
    assert "--limit yaml-nodes=" in msg
    assert msg.startswith("test-rig.yaml:")


def test_aliases_within_the_limit_still_work():
    text = GOOD.replace("  alice: audio-technica/ath-m50x",
                        "  alice: &hp audio-technica/ath-m50x\n  bob: *hp")
    spec, _ = load_rig_text(text)
    assert spec.devices["bob"] == "audio-technica/ath-m50x"


@pytest.mark.parametrize("text", [
    "a: &a [*a]\n",
    "a: &a {b: *a}\n",
    "a: &a {b: [1, {c: *a}]}\n",
    "devices: &d {x: {<<: *d}}\n",
])
def test_self_referential_alias_is_refused(text):
    msg = one_message("signalchain: 1\n" + text, build=False)
    assert "self-referential alias" in msg and "test-rig.yaml:2:" in msg


def test_redefined_anchor_is_not_mistaken_for_a_cycle():
    doc = parse_yaml("a: &a [&a x, *a]\n", "x")
    assert list(doc.data["a"]) == ["x", "x"]


@pytest.mark.parametrize("text", [
    "[" * 10_000 + "]" * 10_000,
    "{a: " * 10_000 + "}" * 10_000,
    "[a, " * 5_000,
    "".join("  " * i + "- \n" for i in range(200)),
    "".join(" " * i + "a:\n" for i in range(200)),
])
def test_deep_nesting_is_a_clear_error(text):
    start = time.process_time()
    msg = one_message(text, build=False)
    assert time.process_time() - start < 2.0
    assert "yaml-depth limit" in msg and "--limit yaml-depth=" in msg


def test_nesting_through_aliases_is_bounded():
    text = "a: &a0 " + "[" * 20 + "1" + "]" * 20 + "\n"
    for i in range(1, 40):
        text += f"a{i}: &a{i} " + "[" * 20 + f"*a{i - 1}" + "]" * 20 + "\n"
    msg = one_message(text, build=False)
    assert "yaml-depth limit" in msg and "with aliases expanded" in msg


def test_depth_limit_names_the_line():
    text = GOOD + "environment: {hum_harmonics_db: " + "[" * 40 + "]" * 40 + "}\n"
    msg = one_message(text, build=False)
    assert msg.startswith("test-rig.yaml:17:") and "yaml-depth limit" in msg


def test_too_many_nodes_are_refused_before_parsing_them_all():
    text = "signalchain: 1\ndevices: {a: generic/laptop}\nname: [" + "1," * 30_000 + "]\n"
    start = time.process_time()
    msg = one_message(text, build=False)
    assert time.process_time() - start < 3.0
    assert "yaml-nodes limit" in msg and "more than 5000" in msg


def test_comment_heavy_file_at_the_size_limit_parses_fast():
    # ruamel's round-trip scanner is slow on comments (a 4 MB file of them took 14 s);
    # the largest file allowed parses in well under a second (a loaded CI box gets 3x).
    budget = limits.current().rig_bytes - len(GOOD) - 1
    for filler in ("#\n", "# c\n", "    #\n", "\n"):
        text = GOOD + filler * (budget // len(filler))
        start = time.process_time()
        load_rig_text(text)
        assert time.process_time() - start < 3.0, filler


def test_a_yaml_integer_of_5000_digits_is_an_error_not_a_crash():
    msg = one_message(GOOD + "x: " + "1" * 5000 + "\n", build=False)
    assert "YAML error" in msg


def test_node_limit_can_be_raised():
    text = GOOD.replace("name: ok", "name: ok\nx: [" + "1," * 6000 + "]")
    assert "yaml-nodes limit" in one_message(text, build=False)
    with limits.using(limits.Limits(yaml_nodes=7000)):
        assert "unknown field 'x'" in one_message(text, build=False)


# ---------------------------------------------------------------------- counts
def _rig_with_devices(n: int) -> str:
    devices = "".join(f"  l{i}: sennheiser/hd-600\n" for i in range(n))
    return f"signalchain: 1\ndevices:\n{devices}"


def test_device_count_limit():
    with limits.using(limits.Limits(devices=3)):
        msg = one_message(_rig_with_devices(4), build=False)
    assert "test-rig.yaml:2:1: error: devices: the rig's number of devices is over the " \
        "devices limit: 4 (the limit is 3)" in msg
    assert "'signalchain --limit devices=4'" in msg


def test_connection_count_limit():
    text = GOOD + "".join("  - {plug: alice, into: amp.out2}\n" for _ in range(3))
    with limits.using(limits.Limits(connections=5)):
        msg = one_message(text, build=False)
    assert "connections limit: 6 (the limit is 5)" in msg and "--limit connections=6" in msg


def test_ports_per_device_limit():
    with limits.using(limits.Limits(ports_per_device=1)):
        msg = one_message(inline())
    assert "test-rig.yaml:10:5: error: devices.box.ports: the device's number of ports is " \
        "over the ports-per-device limit: 2 (the limit is 1)" in msg
    assert "--limit ports-per-device=2" in msg


def test_listener_count_limit_counts_catalog_headphones():
    text = GOOD.replace("  alice: audio-technica/ath-m50x",
                        "  alice: audio-technica/ath-m50x\n  bob: sennheiser/hd-600")
    text += "  - {plug: bob, into: amp.out2}\n"
    with limits.using(limits.Limits(listeners=1)):
        msg = one_message(text)
    assert msg.startswith("test-rig.yaml:3:1: error: devices: the rig's number of headphones "
                          "is over the listeners limit: 2 (the limit is 1)")
    assert "--limit listeners=2" in msg
    built_from_text(text)  # the default limit admits it


# ---------------------------------------------------------------------- ranges
@pytest.mark.parametrize("slot, value, where, expected", [
    ("ZOUT", "0", "19:9", "z_out_ohm: 0 is out of range: must be between 0.001 and 1e+06 ohm"),
    ("ZOUT", "'2 Mohm'", "19:9", "'2 Mohm' (2e+06 ohm) is out of range"),
    ("CORD", "0", "26:56", "cord_r_ohm: 0 is out of range: must be between 0.001 and 100 ohm"),
    ("SENS", "1e308", "26:29", "sensitivity_db_per_v: 1e+308 is out of range: must be "
     "between 40 and 160 dB SPL"),
    ("TAPER", "[]", "8:33", "taper: needs at least 2 entries, not 0"),
    ("TAPER", "[[0, -80]]", "8:33", "taper: needs at least 2 entries, not 1"),
    ("TAPER", "[[0, -80], [0, -20], [1, 0]]", "8:33", "taper point 2 is at position 0, "
     "not after point 1's 0"),
    ("TAPER", "[[0, -80], [0.5, -90], [1, 0]]", "8:33", "gain cannot fall"),
    ("TAPER", "[[0, -80], [1.5, 0]]", "8:52", "taper.1.0: 1.5 is out of range: must be "
     "between 0 and 1"),
    ("TAPER", "[[0, -1e6], [1, 0]]", "8:45", "-1000000.0 is out of range: must be between "
     "-200 and 40 dB"),
    ("CURVE", "[[1000, 32]]", "26:73", "z_curve: needs at least 2 entries, not 1"),
    ("CURVE", "[[1000, 32], [100, 40]]", "26:73", "z_curve point 2 is at 100 Hz, not above "
     "point 1's 1000 Hz"),
    ("CURVE", "[[20, 0], [1000, 40]]", "26:88", "z_curve.0.1: 0 is out of range"),
    ("CURVE", "[[0.001, 30], [1000, 40]]", "26:84", "z_curve.0.0: 0.001 is out of range"),
])
def test_out_of_range_values_name_field_value_range_and_line(slot, value, where, expected):
    msg = one_message(inline(**{slot: value}))
    assert msg.startswith(f"test-rig.yaml:{where}: error: devices."), msg
    assert expected in msg


def test_out_of_range_error_has_a_hint():
    (diag,) = pytest.raises(RigValidationError, built_from_text,
                            inline(ZOUT="0")).value.diagnostics
    assert diag.path == "devices.box.ports.out.z_out_ohm"
    assert "milliohms" in diag.hint


NON_FINITE = [".nan", ".NaN", ".inf", "-.inf", "1e999", "-1e999", "'1e999'", "'nan'",
              "'inf'", str(10**400)]


@pytest.mark.parametrize("value", NON_FINITE)
@pytest.mark.parametrize("slot", ["ZOUT", "SENS", "CORD"])
def test_nan_and_infinity_are_refused_in_device_fields(slot, value):
    msg = one_message(inline(**{slot: value}))
    assert "finite" in msg or "out of range" in msg or "cannot read" in msg, msg
    assert "valid:" in msg or "must be between" in msg


@pytest.mark.parametrize("value", NON_FINITE)
@pytest.mark.parametrize("path, template", [
    ("connections.1.length", "    length: {}"),
    ("devices.s.knobs.headphones", "  s: {{model: focusrite/scarlett-2i2-3rd-gen, knobs: "
     "{{headphones: {}}}}}"),
    ("environment.ground_offset_v", "environment: {{ground_offset_v: {}}}"),
    ("environment.hum_harmonics_db.3", "environment: {{hum_harmonics_db: {{3: {}}}}}"),
])
def test_nan_and_infinity_are_refused_in_rig_fields(path, template, value):
    text = GOOD.replace("    length: 10 ft", template.format(value)) if "length" in path \
        else GOOD.replace("  s: {model: focusrite/scarlett-2i2-3rd-gen, knobs: "
                          "{headphones: 60%}}", template.format(value)) if "knobs" in path \
        else GOOD + template.format(value) + "\n"
    msg = one_message(text)
    assert f"{path}: " in msg


@pytest.mark.parametrize("field, value, expected", [
    ("r_ohm_per_m", "-1", "between 0 and 100 ohm/m"),
    ("c_pf_per_m", ".inf", "finite"),
    ("default_length_m", "0", "between 0.001 and 1000 m"),
])
def test_catalog_cable_values_have_ranges(tmp_path, field, value, expected):
    text = (EXAMPLES.parent / "src/signalchain/catalog/data/cables/cables.yaml").read_text()
    text = re.sub(rf"(?m)^  {field}: .*$", f"  {field}: {value}", text, count=1)
    (tmp_path / "cables.yaml").write_text(text)
    with pytest.raises(RigValidationError) as info:
        Catalog.from_directory(tmp_path)
    assert expected in str(info.value) and f"{field}" in str(info.value)


def test_json_schema_states_every_numeric_range_with_standard_keywords():
    schema = RigSpec.model_json_schema()
    numbers: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            assert not {"gt", "ge", "lt", "le"} & set(node), node
            if node.get("type") in ("number", "integer") and not {"enum", "const"} & set(node):
                numbers.append(node)
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(schema)
    assert len(numbers) > 20
    for node in numbers:
        assert {"minimum", "exclusiveMinimum"} & set(node), node
        assert {"maximum", "exclusiveMaximum"} & set(node), node
        assert all(math.isfinite(v) for k, v in node.items() if "imum" in k)
    cord = schema["$defs"]["HeadphoneSpec"]["properties"]["cord_r_ohm"]
    assert cord["anyOf"][0] == {"type": "number", "minimum": 0.001, "maximum": 100.0}
    assert "between 0.001 and 100 ohm" in cord["description"]
    json.dumps(schema)


def test_examples_still_load():
    for path in sorted(EXAMPLES.glob("*.yaml")):
        load_rig(path)


# --------------------------------------------------------- shapes and ids
def test_stereo_port_needs_both_sides():
    msg = one_message(inline(FEEDS="{left: L}"))
    assert msg.startswith("test-rig.yaml:16:")
    assert "feeds needs both sides, {left: L, right: R}; right is missing" in msg


@pytest.mark.parametrize("captive, expected, hint", [
    ("captive: false", "(found none)", "add 'captive: true' to its plug port"),
    ("captive: true}\n      jack: {connector: trs-3.5, direction: in, signal: stereo, "
     "captive: true", "(found plug, jack)", "one plug"),
])
def test_headphones_need_exactly_one_captive_plug(captive, expected, hint):
    msg = one_message(inline(CAPTIVE=captive))
    assert "a headphones device needs exactly one captive plug port " + expected in msg
    assert hint in msg


@pytest.mark.parametrize("old, new, expected", [
    ("  bob:", "  /x:", "devices./x: device id '/x' may only contain letters, digits, '_' and "
     "'-'"),
    ("      out:", "      o/ut:", "port name 'o/ut' may only contain"),
    ("{vol: {default", "{'v ol': {default", "knob name 'v ol' may only contain"),
    ("set: {vol: 0.8}", "set: {'../vol': 0.8}", "knob name '../vol' may only contain"),
    ("knob: vol", "knob: 'vol;rm'", "knob name 'vol;rm' may only contain"),
    ("feeds: {left: L,", 'feeds: {left: "L\\n",', "channel name 'L\\n' may only contain"),
    ("into: box.out", "into: 'box.out/x'", "'box.out/x' is not 'device.port'"),
    ("plug: bob", "plug: 'bob.plug.x'", "is not a device id or 'device.port'"),
    ("ends: [laptop.usb, box.usb]", "ends: [laptop.usb, 'box..usb']", "is not 'device.port'"),
    ("via: adapter/3.5f-6.35m", "via: /etc/passwd", "catalog id '/etc/passwd' may only"),
    ("via: adapter/3.5f-6.35m", "via: adapter/../x", "catalog id 'adapter/../x' may only"),
    ("cable: usb", "cable: USB", "catalog id 'USB' may only contain lowercase"),
    ("laptop: generic/laptop", "laptop: {model: 'generic/laptop\\e'}", "catalog id"),
])
def test_ids_are_restricted_to_safe_characters(old, new, expected):
    text = inline().replace(old, new)
    assert text != inline()
    found = messages(text)
    assert any(expected in m for m in found), found


def test_outlet_and_device_use_names_are_checked():
    text = GOOD.replace("  amp: mackie/hm-4", "  amp: {model: mackie/hm-4, outlet: 'a b'}")
    assert "outlet name 'a b' may only contain" in one_message(text)


@pytest.mark.parametrize("bad", ["x\n.control\nshell touch pwned\n.endc", "\x1b[31mred",
                                 "a\x7fb", "a\x85b", "a\u202eb", "a\u2066b", "a\u2028b",
                                 "tab\there"])
def test_free_text_refuses_control_characters(bad):
    quoted = json.dumps(bad)
    msg = one_message(GOOD.replace("name: ok", f"name: {quoted}"), build=False)
    assert msg.startswith("test-rig.yaml:2:1: error: name: the name ")
    assert "contains the control character U+" in msg
    assert "\x1b" not in msg and "\n." not in msg.split("\n  hint")[0]


def test_free_text_length_is_bounded():
    assert "at most 200 are allowed" in one_message(
        GOOD.replace("name: ok", "name: " + "x" * 201), build=False)
    load_rig_text(GOOD.replace("name: ok", "name: " + "é" * 200))


@pytest.mark.parametrize("old, new", [
    ("    kind: headphones\n", "    kind: headphones\n    notes: [\"a\\e[2Jb\"]\n"),
    ("    kind: headphones\n", "    kind: headphones\n    name: \"\\u202Eevil\"\n"),
    ("plug: {connector", "plug: {label: \"a\\nb\", connector"),
])
def test_inline_device_text_is_checked(old, new):
    text = inline().replace(old, new)
    assert text != inline()
    assert "control character" in one_message(text)


def test_program_text_is_bounded_and_plain():
    assert "control character U+001B" in one_message(
        GOOD.replace("name: ok", 'name: ok\nprogram: "x\\e[2J"'), build=False)
    assert "at most 1024" in one_message(
        GOOD.replace("name: ok", "name: ok\nprogram: " + "x" * 1025), build=False)


# ----------------------------------------------------------------------- units
def test_quantity_parsing_is_linear_on_long_strings():
    start = time.process_time()
    for text in ("1" + " " * 5000 + "!", "1 " + "m " * 3000 + "!", "1" + " " * 70 + "m"):
        with pytest.raises(ValueError):
            units.parse_length_m(text)
    assert time.process_time() - start < 0.5
    assert units.parse_level_v("1 v rms") == 1.0


@pytest.mark.parametrize("parse, text", [
    (units.parse_level_v, "1e300 dBu"), (units.parse_level_v, "-1e300 dBV"),
    (units.parse_ohm, 10**400), (units.parse_ohm, "1e308 Mohm"),
    (units.parse_length_m, float("nan")), (units.parse_length_m, "1e400 ft"),
    (units.parse_hz, float("inf")), (units.parse_fraction, float("nan")),
    (units.parse_number, "12 dB"), (units.parse_number, True),
])
def test_parsers_raise_value_error_for_absurd_numbers(parse, text):
    with pytest.raises(ValueError):
        parse(text)


# ------------------------------------------------------------------ properties
HOSTILE = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True), st.integers(-10**30, 10**30),
    st.sampled_from([0, -1, 1e308, -1e308, 10**400, "", " ", "nan", "inf", "1e999 ohm",
                     "-0 dBu", "1e300 dBu", "60%", "150%", "3 m", "10k", "/x", "../x", "a.b",
                     "a..b", "x\n.endc", "\x1b[2J", "\u202e", "é" * 300, [], {}, [[0, 1]],
                     [[0, 0], [1, 0]], {"left": "L"}, None, True]),
    st.text(max_size=12),
    st.lists(st.floats(allow_nan=True), max_size=3),
)


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            found += _paths(v, (*prefix, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            found += _paths(v, (*prefix, i))
    return found


def _example_data() -> list[Any]:
    yaml = YAML(typ="safe", pure=True)
    rigs = [yaml.load(p.read_text()) for p in sorted(EXAMPLES.glob("*.yaml"))]
    rigs.append(yaml.load(inline()))
    return rigs


EXAMPLE_DATA = _example_data()


def _mutate(doc: Any, path: tuple, value: Any) -> Any:
    if not path:
        return value
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return doc


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mutated_rigs_fail_only_with_rig_errors_and_stay_fast(data):
    import copy

    doc = copy.deepcopy(data.draw(st.sampled_from(EXAMPLE_DATA)))
    for _ in range(data.draw(st.integers(1, 3))):
        path = data.draw(st.sampled_from(_paths(doc)))
        doc = _mutate(doc, path, copy.deepcopy(data.draw(HOSTILE)))
    buf = io.StringIO()
    YAML().dump(doc, buf)
    start = time.process_time()
    try:
        load_rig_text(buf.getvalue())
    except RigValidationError as exc:
        assert exc.diagnostics and all(d.format() for d in exc.diagnostics)
    else:
        try:
            built_from_text(buf.getvalue())
        except RigError as exc:
            assert exc.diagnostics
    assert time.process_time() - start < 5.0


TEXT_NOISE = st.sampled_from(["&a ", "*a ", "[", "]", "{", "}", ": ", "- ", "\n", "\t", "#",
                              "'", '"', "!!", "<<: *a\n", "? ", "|\n", "%YAML 1.1\n", "---\n",
                              "\x00", "\x1b", "\u202e", ".nan", "1e999", "\\", "&a [*a]"])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mangled_rig_text_fails_only_with_validation_errors(data):
    text = (EXAMPLES / "01-headphone-out-to-splitter.yaml").read_text()
    for _ in range(data.draw(st.integers(1, 6))):
        at = data.draw(st.integers(0, len(text)))
        cut = data.draw(st.integers(0, 5))
        noise = data.draw(st.lists(TEXT_NOISE, min_size=1, max_size=4))
        text = text[:at] + "".join(noise) + text[at + cut:]
    start = time.process_time()
    try:
        load_rig_text(text)
    except RigValidationError as exc:
        assert exc.diagnostics and all(d.format() for d in exc.diagnostics)
    assert time.process_time() - start < 5.0

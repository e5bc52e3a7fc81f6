"""Rig-file loading: locations in messages, units, and no tracebacks on random input."""

import re
import textwrap

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from signalchain.api import load_rig_text
from signalchain.errors import RigError, RigValidationError
from tests.conftest import built_from_text

GOOD = """\
signalchain: 1
name: ok
devices:
  laptop: generic/laptop
  s: {model: focusrite/scarlett-2i2-3rd-gen, knobs: {headphones: 60%}}
  amp: mackie/hm-4
  alice: audio-technica/ath-m50x
connections:
  - cable: usb
    ends: [laptop.usb, s.usb]
  - cable: trs-cable
    length: 10 ft
    ends: [s.headphones, amp.input]
  - plug: alice
    into: amp.out1
    via: adapter/3.5f-6.35m
"""


def errors_of(text: str) -> list[str]:
    with pytest.raises(RigError) as info:
        built_from_text(text)
    return [d.format() for d in info.value.diagnostics]


def test_good_rig_loads_with_units():
    spec, _ = load_rig_text(GOOD)
    assert spec.connections[1].length == pytest.approx(3.048)
    assert spec.devices["s"].knobs["headphones"] == pytest.approx(0.6)


def test_yaml_syntax_error_has_location():
    msgs = errors_of("signalchain: 1\ndevices:\n  a: [unclosed\n")
    assert msgs[0].startswith("test-rig.yaml:")
    assert "YAML syntax error" in msgs[0]


def test_unknown_field_names_line_and_suggests():
    text = GOOD.replace("    length: 10 ft", "    lenght: 10 ft")
    (msg,) = errors_of(text)
    assert msg.startswith("test-rig.yaml:12:5: error: connections.1.lenght: unknown field")
    assert "did you mean 'length'?" in msg


def test_bad_knob_value_names_value_and_range():
    text = GOOD.replace("headphones: 60%", "headphones: 150%")
    (msg,) = errors_of(text)
    assert "test-rig.yaml:5:" in msg
    assert "devices.s.knobs.headphones" in msg
    assert "between 0 and 1" in msg and "150%" in msg


def test_bad_length_unit():
    (msg,) = errors_of(GOOD.replace("10 ft", "10 parsecs"))
    assert "unknown unit 'parsecs'" in msg and ":12:" in msg


def test_wrong_format_version():
    msgs = errors_of(GOOD.replace("signalchain: 1", "signalchain: 2"))
    assert "expected 1" in msgs[0]


def test_connection_kind_error():
    text = GOOD + "  - into: amp.out2\n"
    msgs = errors_of(text)
    assert any("either 'cable:'" in m for m in msgs)


def test_inline_device_same_schema_as_catalog():
    text = textwrap.dedent("""\
        signalchain: 1
        devices:
          laptop: generic/laptop
          box:
            kind: interface
            power: usb-bus
            knobs: {vol: {default: 0.5}}
            set: {vol: 0.8}
            ports:
              usb: {connector: usb-c, direction: host, signal: host}
              out:
                connector: trs-6.35
                direction: out
                signal: stereo
                feeds: {left: L, right: R}
                knob: vol
                v_rms_at_0dbfs: 1 V
                z_out_ohm: 1
                max_v_rms: 1 V
                noise: {knob_min_dbu_a: -100, knob_max_dbu_a: -95}
          bob: audio-technica/ath-m50x
        connections:
          - {cable: usb, ends: [laptop.usb, box.usb]}
          - {plug: bob, into: box.out, via: adapter/3.5f-6.35m}
        """)
    built = built_from_text(text)
    assert built.devices["box"].knobs["vol"] == pytest.approx(0.8)
    bad = re.sub(r"\n\s*z_out_ohm: 1", "", text)
    msgs = errors_of(bad)
    assert any("an output port needs z_out_ohm" in m for m in msgs)


keys = st.sampled_from(["signalchain", "name", "devices", "connections", "program",
                        "environment", "cable", "ends", "plug", "into", "via", "model", "knobs",
                        "length", "kind", "ports", "alice", "laptop", "scarlett", "x"])
scalars = st.one_of(st.integers(-3, 3), st.floats(allow_nan=True), st.text(max_size=8),
                    st.booleans(), st.none(),
                    st.sampled_from(["60%", "3 m", "generic/laptop", "trs-cable", "a.b",
                                     "mackie/hm-4", "usb", "x.y"]))
documents = st.recursive(scalars, lambda children: st.one_of(
    st.lists(children, max_size=4), st.dictionaries(keys, children, max_size=5)), max_leaves=25)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(doc=st.dictionaries(keys, documents, max_size=6))
def test_random_documents_never_crash_the_loader(doc):
    import io

    from ruamel.yaml import YAML

    buf = io.StringIO()
    YAML().dump(doc, buf)
    try:
        built_from_text(buf.getvalue())
    except RigError as exc:
        assert exc.diagnostics and all(d.format() for d in exc.diagnostics)


@settings(max_examples=100, deadline=None)
@given(text=st.text(max_size=200))
def test_random_text_never_crashes(text):
    try:
        load_rig_text(text)
    except RigValidationError as exc:
        assert exc.diagnostics


def test_a_device_that_is_neither_id_nor_mapping_names_the_forms():
    (msg,) = errors_of(GOOD.replace("amp: mackie/hm-4", "amp: [mackie/hm-4]"))
    assert msg.startswith("test-rig.yaml:6:")
    assert "devices.amp: a device is a catalog id, a mapping with 'model:'" in msg
    assert "one of computer, interface, amp, headphones, splitter" in msg


def test_an_error_in_a_merged_key_points_at_the_anchor_instead_of_crashing():
    text = textwrap.dedent("""\
        signalchain: 1
        devices:
          laptop: generic/laptop
          box:
            kind: amp
            knobs: {a: {}, b: {}}
            ports:
              in: {connector: trs-6.35, direction: in, signal: stereo,
                   senses: {left: L, right: R}, z_in_ohm: 10k}
              a: &out
                connector: trs-6.35
                direction: out
                signal: stereo
                feeds: {left: L, right: R}
                knob: a
                gain_db: 99
                z_out_ohm: 1
                max_v_rms: 1 V
                noise: {knob_min_dbu_a: -100, knob_max_dbu_a: -95}
              b: {<<: *out, knob: b}
        """)
    msgs = errors_of(text)
    assert len(msgs) == 2
    assert msgs[0].startswith("test-rig.yaml:16:") and "devices.box.ports.a.gain_db" in msgs[0]
    assert msgs[1].startswith("test-rig.yaml:16:") and "devices.box.ports.b.gain_db" in msgs[1]

"""Knob dials: percentage, clock position, the pointer's angle, escaping."""

import math
import re
import xml.etree.ElementTree as ET

import pytest

from signalchain.draw.dials import SWEEP_DEG, dial_svg
from signalchain.units import clock_position


@pytest.mark.parametrize("position, clock", [
    (0.0, "about 7 o'clock"), (0.1, "about 8 o'clock"), (0.25, "about 9 and a half o'clock"),
    (0.5, "about 12 o'clock"), (0.6, "about 1 o'clock"), (0.9, "about 4 o'clock"),
    (1.0, "about 5 o'clock")])
def test_clock_positions_of_a_300_degree_pot(position, clock):
    assert clock_position(position) == clock


@pytest.mark.parametrize("position", [0.0, 0.3, 0.5, 0.77, 1.0])
def test_the_pointer_points_where_the_knob_is(position):
    svg = dial_svg(position, "hm4.out1")
    root = ET.fromstring(svg)
    (line,) = [e for e in root.iter("{http://www.w3.org/2000/svg}line")
               if e.get("stroke") == "#ffffff"]
    dx = float(line.get("x2")) - float(line.get("x1"))
    dy = float(line.get("y2")) - float(line.get("y1"))
    angle = math.degrees(math.atan2(dx, -dy))  # clockwise from straight up
    assert angle == pytest.approx((position - 0.5) * SWEEP_DEG, abs=0.5)
    assert f">{position:.0%}<" in svg and clock_position(position) in svg.replace("&#x27;", "'")


def test_out_of_range_positions_are_drawn_at_the_end_stops():
    assert ">100%<" in dial_svg(1.7, "k") and ">0%<" in dial_svg(-1, "k")


def test_labels_are_escaped_and_output_is_stable():
    svg = dial_svg(0.5, '<script>alert("x")</script>&')
    ET.fromstring(svg)
    assert "<script>" not in svg
    assert dial_svg(0.42, "a") == dial_svg(0.42, "a")
    assert not re.search(r'\bid="', svg)

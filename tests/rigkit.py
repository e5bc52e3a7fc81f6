"""Build small rigs as Python dicts (JSON is valid YAML) for physics tests."""

from __future__ import annotations

import json

from signalchain.api import load_rig_text
from signalchain.catalog import Catalog, default_catalog
from signalchain.schema.cable import CableSpec
from signalchain.wiring.build import BuiltRig, build
from signalchain.wiring.resolve import resolve

NOISE = {"knob_min_dbu_a": -110, "knob_max_dbu_a": -100}
RO = 100.0
ZIN = 10_000.0


def out_port(kind: str, channel: str = "L", *, v: float = 1.0, ro: float = RO,
             vmax: float = 20.0, **extra) -> dict:
    """An output port: 'impedance', 'push-pull', 'servo', 'transformer', 'ts' or 'stereo'."""
    port = {"direction": "out", "v_rms_at_0dbfs": v, "z_out_ohm": ro, "max_v_rms": vmax,
            "noise": NOISE, **extra}
    if kind == "ts":
        port.update(connector="ts-6.35", signal="unbalanced", feeds=channel)
    elif kind == "stereo":
        port.update(connector="trs-6.35", signal="stereo", feeds={"left": "L", "right": "R"})
    else:
        port.update(connector="trs-6.35", signal="balanced", topology=kind, feeds=channel)
        if kind == "servo":
            port.setdefault("z_common_mode_ohm", 10_000)
    return port


def in_port(kind: str, channel: str = "L", *, zin: float = ZIN, cmrr_db: float = 80.0) -> dict:
    """An input port: 'stereo' (TRS, tip=L ring=R), 'balanced', 'ts', 'rca'."""
    if kind == "stereo":
        return {"connector": "trs-6.35", "direction": "in", "signal": "stereo",
                "senses": {"left": "L", "right": "R"}, "z_in_ohm": zin}
    if kind == "balanced":
        return {"connector": "trs-6.35", "direction": "in", "signal": "balanced",
                "topology": "differential", "senses": channel, "z_in_ohm": 2 * zin,
                "cmrr_db": cmrr_db}
    connector = "ts-6.35" if kind == "ts" else "rca"
    return {"connector": connector, "direction": "in", "signal": "unbalanced",
            "senses": channel, "z_in_ohm": zin}


def rig(outs: dict[str, dict], ins: dict[str, dict], connections: list[dict], *,
        src_power: str = "usb-bus", dst_power: str = "none", computer: str = "generic/laptop",
        environment: dict | None = None, listeners: dict | None = None,
        amp_outs: dict | None = None) -> dict:
    ports = {"usb": {"connector": "usb-c", "direction": "host", "signal": "host"}, **outs}
    amp = {"kind": "amp", "power": dst_power, "ports": {**ins, **(amp_outs or {})}}
    devices = {"pc": computer, "src": {"kind": "interface", "power": src_power,
                                       "ports": ports}, "dst": amp, **(listeners or {})}
    doc = {"signalchain": 1, "name": "matrix", "devices": devices,
           "connections": [{"cable": "usb", "ends": ["pc.usb", "src.usb"]}, *connections]}
    if environment:
        doc["environment"] = environment
    return doc


def with_cables(*extra: dict) -> Catalog:
    """The bundled catalog plus test-only cables."""
    base = default_catalog()
    entries = dict(base.entries)
    origins = dict(base.origins)
    for raw in extra:
        spec = CableSpec.model_validate(raw)
        entries[spec.id] = spec
        origins[spec.id] = "<test>"
    return Catalog(entries, origins)


def built(doc: dict, catalog: Catalog | None = None) -> BuiltRig:
    spec, ydoc = load_rig_text(json.dumps(doc), "matrix.yaml")
    return build(resolve(spec, ydoc, catalog or default_catalog()))


TEST_CABLES = with_cables(
    {"id": "pseudo-balanced", "name": "TS source to TRS, ring tied to sleeve at the source end",
     "ends": {"a": {"connector": "ts-6.35"}, "b": {"connector": "trs-6.35"}},
     "conductors": [{"joins": ["a.tip", "b.tip"]}, {"joins": ["a.sleeve", "b.ring"]},
                    {"joins": ["a.sleeve", "b.sleeve"], "role": "shield"}],
     "r_ohm_per_m": 0.084, "shield_r_ohm_per_m": 0.03, "c_pf_per_m": 100},
    {"id": "trs-to-rca-ring-open", "name": "TRS plug to one RCA plug, ring not connected",
     "ends": {"trs": {"connector": "trs-6.35"}, "rca": {"connector": "rca"}},
     "conductors": [{"joins": ["trs.tip", "rca.pin"]},
                    {"joins": ["trs.sleeve", "rca.shell"], "role": "shield"}],
     "r_ohm_per_m": 0.084, "shield_r_ohm_per_m": 0.03, "c_pf_per_m": 100},
)

"""Pydantic models of rig files and catalog entries, and the YAML loader."""

from signalchain.schema.cable import CableEnd, CableSpec, Conductor
from signalchain.schema.device import DeviceSpec, HeadphoneSpec, Knob, NoiseSpec, PortSpec
from signalchain.schema.rig import (
    CableConnection,
    DeviceUse,
    EndRef,
    Environment,
    PlugConnection,
    RigSpec,
)

__all__ = [
    "CableConnection", "CableEnd", "CableSpec", "Conductor", "DeviceSpec", "DeviceUse", "EndRef",
    "Environment", "HeadphoneSpec", "Knob", "NoiseSpec", "PlugConnection", "PortSpec", "RigSpec",
]

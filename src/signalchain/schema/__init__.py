"""Pydantic models of rig files and catalog entries, and the YAML loader.

The models named here are imported on first use (PEP 562): importing a submodule such as
:mod:`signalchain.schema.controls` does not build them all.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
_HOME = {"CableEnd": "cable", "CableSpec": "cable", "Conductor": "cable", "DeviceSpec": "device",
         "HeadphoneSpec": "device", "Knob": "device", "NoiseSpec": "device", "PortSpec": "device",
         "CableConnection": "rig", "DeviceUse": "rig", "EndRef": "rig", "Environment": "rig",
         "PlugConnection": "rig", "RigSpec": "rig"}


def __getattr__(name: str) -> Any:
    """Import one of :data:`__all__`'s models on first use, then keep it."""
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})

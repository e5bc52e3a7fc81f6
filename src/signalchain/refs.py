"""Typed references to a device's port or knob (``hm4.out1``, ``scarlett.headphones``).

Both are strings -- they are dictionary keys and appear as-is in JSON -- whose two parts are
read through properties, so no caller splits ``"device.port"`` text itself. Device ids never
contain a dot (:data:`signalchain.schema.quantities` allows ``[A-Za-z0-9_-]``), so the first
dot separates the parts unambiguously.
"""

from __future__ import annotations

from typing import Literal, Self

SOFTWARE_KNOB = "software"
"""The knob name of a computer's software volume (``laptop.software``)."""


class _Ref(str):
    """``device.name``: a device id and one of its ports or knobs."""

    __slots__ = ()

    def __new__(cls, text: str) -> Self:
        device, dot, name = text.partition(".")
        if not dot or not device or not name:
            raise ValueError(f"{text!r} is not DEVICE.NAME")
        return super().__new__(cls, text)

    @classmethod
    def of(cls, device: str, name: str) -> Self:
        """The reference to ``name`` on ``device``."""
        return cls(f"{device}.{name}")

    @property
    def device(self) -> str:
        """The device id."""
        return self.partition(".")[0]


class PortRef(_Ref):
    """A device's port: ``PortRef.of('hm4', 'out1') == 'hm4.out1'``."""

    __slots__ = ()

    @property
    def port(self) -> str:
        """The port name."""
        return self.partition(".")[2]


class KnobRef(_Ref):
    """A device's knob: ``KnobRef.of('scarlett', 'headphones') == 'scarlett.headphones'``."""

    __slots__ = ()

    @property
    def knob(self) -> str:
        """The knob name."""
        return self.partition(".")[2]

    @property
    def is_software(self) -> bool:
        """A computer's software volume, not a knob on a device."""
        return self.knob == SOFTWARE_KNOB


Side = Literal["left", "right"]
"""An ear."""
SIDES: tuple[Side, Side] = ("left", "right")

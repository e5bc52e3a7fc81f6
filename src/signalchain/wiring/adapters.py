"""The one adapter search: what (if anything) lets one connector end go into another.

``check`` uses it to suggest ``via:`` for a plug that does not fit, ``advise`` to plug
cables, Y splitters and headphones into the ports it chooses.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from signalchain.schema.cable import CableSpec
from signalchain.wiring.connectors import fits


class End(Protocol):
    """Anything with a connector and a gender: a port, a cable end, a plug on its way."""

    @property
    def connector(self) -> str: ...  # noqa: D102

    @property
    def gender(self) -> str: ...  # noqa: D102


def adapter_path(adapters: Iterable[CableSpec], end: End, socket: End
                 ) -> tuple[str, ...] | None:
    """The adapters that let ``end`` go into ``socket``: none, one, or None if it cannot.

    Parameters
    ----------
    adapters : iterable of CableSpec
        The catalog's adapters (``Catalog.adapters()``), searched in order; only
        two-ended adapters with an id are used.
    end, socket : End
        The end being plugged in (a cable end, a headphone plug) and where it goes.

    Returns
    -------
    tuple of str or None
        ``()`` if ``end`` fits ``socket`` directly, ``(adapter_id,)`` for the first adapter
        that bridges them (either way round), ``None`` if no single adapter does.
    """
    if fits(end.connector, end.gender, socket.connector, socket.gender):
        return ()
    for adapter in adapters:
        if len(adapter.ends) != 2 or adapter.id is None:
            continue
        first, second = adapter.ends.values()
        for near, far in ((first, second), (second, first)):
            if fits(end.connector, end.gender, near.connector, near.gender) and \
                    fits(far.connector, far.gender, socket.connector, socket.gender):
                return (adapter.id,)
    return None

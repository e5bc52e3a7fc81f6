"""Wording of "over a cost limit" errors, shared by the loader and the schema.

Every such error names the limit (by its CLI name), the size found and the limit in
force, and says how to raise it: ``signalchain --limit NAME=VALUE``.
"""

from __future__ import annotations

from signalchain import limits


def limit_value(name: str) -> int | float:
    """The limit in force called ``name`` (CLI spelling, ``rig-bytes``)."""
    return limits.current().describe()[name]


def over_limit(name: str, what: str, found: int | float | str, *,
               suggest: int | float | None = None) -> tuple[str, str]:
    """Message and hint for input over the limit ``name``.

    Parameters
    ----------
    name : str
        The limit's CLI name (``yaml-nodes``).
    what : str
        What was too big, as a noun phrase (``'the rig file'``).
    found : int, float or str
        How big it is (a number, or a phrase like ``'more than 40000'``).
    suggest : int or float, optional
        A value that would admit this input; twice the limit by default.
    """
    limit = limit_value(name)
    value = suggest if suggest is not None else limit * 2
    message = f"{what} is over the {name} limit: {found} (the limit is {_number(limit)})"
    hint = (f"if this input is trusted, raise the limit with "
            f"'signalchain --limit {name}={_number(value)}'")
    return message, hint


def _number(value: int | float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"

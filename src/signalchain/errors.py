"""Exception hierarchy and diagnostics with source locations.

Every error a user can cause is a :class:`RigError` carrying one or more
:class:`Diagnostic` objects; the CLI prints them as ``FILE:LINE:COL: error: ...``
and exits non-zero. Simulation code raises nothing else for bad input.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Location:
    """A place in a source file (1-based line and column)."""

    file: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts = [self.file]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


@dataclass(frozen=True)
class Diagnostic:
    """One message about the user's input.

    Parameters
    ----------
    severity : {'error', 'warning'}
        Errors make the rig invalid; warnings are printed but do not.
    message : str
        What is wrong, naming the bad value and what would be valid.
    location : Location or None
        Where in which file, when known.
    path : str
        Dotted path into the document (``devices.hm4.knobs.out1``), if any.
    hint : str
        The likely fix, if one can be suggested.
    code : str
        A short stable identifier (``unknown-id``, ``plug-does-not-fit`` ...).
    """

    severity: str
    message: str
    location: Location | None = None
    path: str = ""
    hint: str = ""
    code: str = ""

    def format(self) -> str:
        """Render as ``FILE:LINE:COL: severity: message (hint)``."""
        where = f"{self.location}: " if self.location else ""
        text = f"{where}{self.severity}: {self.message}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text


@dataclass
class RigError(Exception):
    """Base class of every error caused by the user's input."""

    diagnostics: list[Diagnostic] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(d.format() for d in self.diagnostics)


class RigValidationError(RigError, ValueError):
    """The rig or catalog document does not follow the schema."""


class RigTopologyError(RigError, ValueError):
    """The rig's gear does not plug together."""


class ProgramError(RigError, ValueError):
    """The program (audio input) cannot be used."""


class OutputExistsError(RigError, FileExistsError):
    """An output would overwrite something the user owns."""


class UsageError(RigError, ValueError):
    """The command line asks for something that does not exist."""


def error_at(message: str, location: Location | None = None, *, path: str = "",
             hint: str = "", code: str = "") -> Diagnostic:
    """Build an error diagnostic."""
    return Diagnostic("error", message, location, path, hint, code)


def warning_at(message: str, location: Location | None = None, *, path: str = "",
               hint: str = "", code: str = "") -> Diagnostic:
    """Build a warning diagnostic."""
    return Diagnostic("warning", message, location, path, hint, code)

"""One-call functions over the object API: load, check, simulate."""

from __future__ import annotations

from pathlib import Path

from signalchain.catalog import Catalog, default_catalog
from signalchain.evaluate import Evaluation, evaluate
from signalchain.graph import compile_rig
from signalchain.schema.loader import YamlDocument, parse_yaml, read_yaml, validate
from signalchain.schema.rig import RigSpec
from signalchain.wiring.build import BuiltRig, build
from signalchain.wiring.resolve import resolve


def load_rig(path: str | Path) -> tuple[RigSpec, YamlDocument]:
    """Read and validate a rig file.

    Returns
    -------
    spec : RigSpec
        The validated rig.
    doc : YamlDocument
        The parsed document, for locations in later messages.

    Raises
    ------
    RigValidationError
        With file:line:col diagnostics if the file is unreadable or invalid.
    """
    doc = read_yaml(path)
    return validate(RigSpec, doc), doc


def load_rig_text(text: str, filename: str = "<rig>") -> tuple[RigSpec, YamlDocument]:
    """Validate a rig given as YAML text (``filename`` is used in messages)."""
    doc = parse_yaml(text, filename)
    return validate(RigSpec, doc), doc


def check_rig(path_or_text: str | Path, catalog: Catalog | None = None, *,
              text: bool = False) -> BuiltRig:
    """Load a rig, resolve its gear and wire it into a netlist.

    Raises
    ------
    RigValidationError, RigTopologyError
        When the rig is invalid or does not plug together.
    """
    spec, doc = load_rig_text(str(path_or_text)) if text else load_rig(path_or_text)
    return build(resolve(spec, doc, catalog or default_catalog()))


def parse_knob_settings(settings: list[str], built: BuiltRig) -> dict[str, float]:
    """Parse ``device.knob=value`` strings (value 0..1 or a percentage) against a rig.

    Raises
    ------
    UsageError
        Naming the bad setting and the knobs that exist.
    """
    from signalchain.errors import Diagnostic, UsageError
    from signalchain.units import parse_fraction

    out: dict[str, float] = {}
    known = {f"{d.name}.{k}" for d in built.devices.values() for k in d.knobs}
    for item in settings:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or key not in known:
            raise UsageError([Diagnostic(
                "error", f"--set {item!r}: expected device.knob=value with one of the rig's "
                f"knobs ({', '.join(sorted(known)) or 'none'})", code="bad-set")])
        try:
            out[key] = parse_fraction(value.strip())
        except ValueError as exc:
            raise UsageError([Diagnostic("error", f"--set {item!r}: {exc}",
                                         code="bad-set")]) from None
    return out


def simulate(path: str | Path, settings: dict[str, float] | None = None,
             catalog: Catalog | None = None) -> Evaluation:
    """Check, compile and evaluate a rig file.

    Parameters
    ----------
    path : str or Path
        The rig file.
    settings : dict, optional
        Knob positions overriding the rig's (``{'scarlett.headphones': 0.7}``).
    catalog : Catalog, optional
        The bundled catalog by default.
    """
    built = check_rig(path, catalog)
    return evaluate(compile_rig(built), settings)

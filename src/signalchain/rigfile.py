"""Edit a rig file in place, keeping its comments and layout (ruamel round-trip)."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ruamel.yaml.comments import CommentedMap

from signalchain.errors import RigValidationError, error_at
from signalchain.io import check_output_file, write_bytes_atomic
from signalchain.schema.loader import YamlDocument, parse_yaml, read_yaml, round_trip_yaml

if TYPE_CHECKING:
    from signalchain.rig import Rig

BOM = b"\xef\xbb\xbf"
"""The UTF-8 byte order mark some editors put at the start of a file."""


def _sequence_offset(text: str) -> int:
    """How far block-sequence dashes are indented under their key in this file (0 or 2...)."""
    lines = text.splitlines()
    for i, line in enumerate(lines[:-1]):
        stripped = line.rstrip()
        if stripped.endswith(":") and not stripped.lstrip().startswith("#"):
            key_indent = len(line) - len(line.lstrip())
            nxt = lines[i + 1]
            if nxt.lstrip().startswith("- "):
                return max(0, (len(nxt) - len(nxt.lstrip())) - key_indent)
    return 0


def _file_style(path: str | Path) -> tuple[bool, str]:
    """Whether the file starts with a UTF-8 BOM, and its line ending (that of its first line)."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(1 << 16)
    except OSError:
        return False, "\n"
    for i, byte in enumerate(head):
        if byte == 0x0A:
            return head.startswith(BOM), "\n"
        if byte == 0x0D:
            crlf = head[i + 1:i + 2] == b"\n"
            return head.startswith(BOM), "\r\n" if crlf else "\r"
    return head.startswith(BOM), "\n"


def _shares_knobs(entry: CommentedMap, devices: CommentedMap) -> bool:
    """True if this device's ``knobs:``/``set:`` mapping is also another device's (an alias)."""
    mine = [entry.get(f) for f in ("knobs", "set") if isinstance(entry.get(f), CommentedMap)]
    return any(other is not entry and isinstance(other, CommentedMap)
               and any(other.get(f) is m for f in ("knobs", "set") for m in mine)
               for other in devices.values())


def write_knob_positions(path: str | Path, positions: dict[str, float]) -> str:
    """Store ``{'device.knob': position}`` in the rig file; return the new text.

    Catalog devices written as a bare id become ``{model: ID, knobs: {...}}``;
    inline devices get their positions under ``set:``. The file is replaced
    atomically (see :func:`signalchain.io.write_bytes_atomic`: a symbolic link is
    followed, the file's mode, owner and hard links are kept), and keeps its
    UTF-8 byte order mark and line endings (CRLF stays CRLF).

    Raises
    ------
    RigValidationError
        If the file cannot be read or parsed, or has no such device.
    OutputWriteError
        If the file cannot be written (read-only, not a regular file, disk full ...).
    """
    check_output_file(path, force=True)
    doc = read_yaml(path)
    bom, newline = _file_style(path)
    text = _with_knob_positions(doc, positions)
    data = text.replace("\n", newline).encode("utf-8")
    write_bytes_atomic(Path(path), BOM + data if bom else data, force=True)
    return text


def knob_positions_text(text: str, positions: dict[str, float],
                        filename: str = "<rig>") -> str:
    """The rig file ``text`` with ``{'device.knob': position}`` stored, comments kept.

    As :func:`write_knob_positions`, for a rig held as text (the web page's).

    Raises
    ------
    RigValidationError
        If the text cannot be parsed, or has no such device.
    """
    return _with_knob_positions(parse_yaml(text, filename), positions)


def _with_knob_positions(doc: YamlDocument, positions: dict[str, float]) -> str:
    devices = doc.data.get("devices") if isinstance(doc.data, CommentedMap) else None
    if not isinstance(devices, CommentedMap):
        raise RigValidationError([error_at("the rig has no 'devices:' mapping to write to",
                                           doc.location(())[0])])
    for key, value in sorted(positions.items()):
        device, _, knob = key.partition(".")
        entry = devices.get(device)
        value = round(float(value), 3)
        if isinstance(entry, str):
            entry = CommentedMap([("model", entry), ("knobs", CommentedMap())])
            entry.fa.set_flow_style()
            devices[device] = entry
        if not isinstance(entry, CommentedMap):
            raise RigValidationError([error_at(f"cannot write knob {key}: device {device!r} "
                                               "is not in the rig", doc.location(())[0])])
        sharing = [name for name, other in devices.items() if other is entry and name != device]
        if sharing or _shares_knobs(entry, devices):
            # one YAML node behind several devices (an alias): writing one device's knobs
            # would set the others' too
            raise RigValidationError([error_at(
                f"cannot write knob {key}: device {device!r} shares its entry (or its knobs) "
                f"with {', '.join(sharing) or 'another device'} through a YAML alias, so "
                "they would all get this setting", doc.value_location(("devices", device)),
                hint=f"write {device!r} out in full (no '*' alias), or set the knobs by hand",
                code="aliased-device")])
        field = "knobs" if "model" in entry else "set"
        knobs = entry.get(field)
        if knobs is None:
            knobs = CommentedMap()
            knobs.fa.set_flow_style()
            entry[field] = knobs
        knobs[knob] = value
    buf = io.StringIO()
    yaml = round_trip_yaml()
    offset = _sequence_offset(doc.text)
    yaml.indent(mapping=2, sequence=offset + 2, offset=offset)
    yaml.dump(doc.data, buf)
    # comments may carry the file's own line ends (\r\n): one style (the caller's after)
    return buf.getvalue().replace("\r\n", "\n").replace("\r", "\n")


def _short_end(end: Any) -> Any:
    """A cable end as the rig file writes it shortest: ``device.port`` when no adapter."""
    if isinstance(end, Mapping) and set(end) == {"port"}:
        return end["port"]
    return end


def _short_connection(entry: Mapping[str, Any]) -> dict[str, Any]:
    """A connection in the rig file's short spellings (``'3 m'``, one ``via`` as a string)."""
    out = dict(entry)
    if isinstance(out.get("length"), int | float):
        out["length"] = f"{out['length']:g} m"
    if "ends" in out:
        ends = out["ends"]
        out["ends"] = ({k: _short_end(v) for k, v in ends.items()} if isinstance(ends, Mapping)
                       else [_short_end(v) for v in ends])
    via = out.get("via")
    if isinstance(via, list) and len(via) == 1:
        out["via"] = via[0]
    return out


def rig_text(rig: Rig, header: str = "") -> str:
    """A complete rig file (YAML text) for ``rig``, under ``header`` as comment lines.

    The rig's :meth:`~signalchain.rig.Rig.to_dict` (its knob positions written in), in the
    rig file's short spellings: a catalog device without knobs as its id, a cable end
    without adapters as ``device.port``, lengths in metres as ``'3 m'``.
    """
    data = rig.to_dict()
    devices = {name: entry["model"] if isinstance(entry, Mapping) and set(entry) == {"model"}
               else entry for name, entry in data.pop("devices").items()}
    block = CommentedMap(devices)
    block.fa.set_block_style()  # one device a line, even when every entry is a bare id
    devices = block
    connections = [_short_connection(c) for c in data.pop("connections")]
    doc = {"signalchain": data.pop("signalchain", 1),
           **({"name": data.pop("name")} if "name" in data else {}),
           **data, "devices": devices, "connections": connections}
    yaml = round_trip_yaml()
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.default_flow_style = None
    yaml.width = 100
    buf = io.StringIO()
    yaml.dump(doc, buf)
    lines = "".join(f"# {line}\n" for line in header.splitlines())
    return lines + buf.getvalue()

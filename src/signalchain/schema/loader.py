"""Read YAML with line numbers and validate it into schema models.

Errors name the file, line and column, the YAML path, the bad value and what
would be valid; pydantic's raw messages never reach the user.

Untrusted input cannot make reading expensive: only regular files are read, and
at most the ``rig-bytes`` limit of them; while the document is composed, its
nodes are counted (``yaml-nodes``, counting every alias as the whole node it
stands for, memoised so the count is linear in the text) and its nesting is
bounded (``yaml-depth``, also through aliases); self-referential aliases are
refused. See :mod:`signalchain.limits`.
"""

from __future__ import annotations

import errno
import os
import stat
import warnings
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq, merge_attrib
from ruamel.yaml.composer import Composer
from ruamel.yaml.error import MarkedYAMLError, YAMLError
from ruamel.yaml.events import AliasEvent, MappingStartEvent, SequenceStartEvent
from ruamel.yaml.nodes import MappingNode, SequenceNode

from signalchain import limits
from signalchain.errors import Diagnostic, Location, RigValidationError, error_at
from signalchain.schema.budget import over_limit
from signalchain.schema.messages import MAX_DIAGNOSTICS, all_field_names, error_message, error_path

M = TypeVar("M", bound=BaseModel)


class YamlDocument:
    """A parsed YAML document that remembers where every key and item came from."""

    def __init__(self, data: Any, filename: str, text: str):
        self.data = data
        self.filename = filename
        self.text = text

    def location(self, path: Iterable[str | int]) -> tuple[Location, str]:
        """Return the location of the deepest node along ``path`` and the dotted path found.

        Path elements that are not keys or indices of the document (pydantic's
        union tags) are skipped.
        """
        node = self.data
        line, col = 0, 0
        found: list[str] = []
        for key in path:
            if isinstance(node, CommentedMap) and key in node:
                line, col = _position(node, key, value=False) or (line, col)
                node = node[key]
                found.append(str(key))
            elif isinstance(node, CommentedSeq) and isinstance(key, int) and key < len(node):
                line, col = node.lc.item(key)
                node = node[key]
                found.append(str(key))
        return Location(self.filename, line + 1, col + 1), ".".join(found)

    def value_location(self, path: Iterable[str | int]) -> Location:
        """Return the location of the value (not the key) at an exact path."""
        node = self.data
        loc = Location(self.filename, 1, 1)
        for key in path:
            if isinstance(node, CommentedMap) and key in node:
                at = _position(node, key, value=True)
                if at is not None:
                    loc = Location(self.filename, at[0] + 1, at[1] + 1)
                node = node[key]
            elif isinstance(node, CommentedSeq) and isinstance(key, int) and key < len(node):
                line, col = node.lc.item(key)
                loc = Location(self.filename, line + 1, col + 1)
                node = node[key]
            else:
                break
        return loc


def _position(node: CommentedMap, key: Any, *, value: bool) -> tuple[int, int] | None:
    """0-based (line, column) of a key (or its value), also of one merged in by ``<<:``."""
    if key in node.lc.data:
        return node.lc.value(key) if value else node.lc.key(key)  # type: ignore[no-any-return]
    for source in getattr(node, merge_attrib, ()):
        merged = source[1] if isinstance(source, tuple) else source  # older ruamel: (i, map)
        if isinstance(merged, CommentedMap) and key in merged:
            return _position(merged, key, value=value)
    return None


def plain_data(node: Any) -> Any:
    """Convert ruamel's round-trip containers and scalars to plain Python objects."""
    if isinstance(node, dict):
        return {plain_data(k): plain_data(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain_data(v) for v in node]
    if isinstance(node, bool):
        return bool(node)
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node


def round_trip_yaml() -> YAML:
    """Return a ruamel YAML instance that keeps comments and positions."""
    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    return yaml


class _CostError(Exception):
    """The document is over a cost limit (raised while composing, turned into a diagnostic)."""

    def __init__(self, message: str, hint: str, mark: Any, code: str = "limit"):
        super().__init__(message)
        self.message, self.hint, self.mark, self.code = message, hint, mark, code


class _LimitedComposer(Composer):
    """A composer that bounds the document's cost before anything is built from it.

    For every node it records the size (nodes, counting an alias as the whole node
    it stands for) and the depth (nested collections, also through aliases) of the
    document it roots, from its children's records: one pass, linear in the text,
    however the aliases multiply. An alias to a node still being composed is a cycle.
    """

    def __init__(self, loader: Any = None) -> None:
        super().__init__(loader)
        self.warn_double_anchors = False
        now = limits.current()
        self._max_nodes = now.yaml_nodes
        self._max_depth = now.yaml_depth
        self._composed = 0
        self._level = 0
        self._size: dict[int, int] = {}
        self._depth: dict[int, int] = {}

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.parser.peek_event()
        if isinstance(event, AliasEvent):
            target = self.anchors.get(event.anchor)
            if target is not None and id(target) not in self._size:
                raise _CostError(
                    f"alias *{event.anchor} refers to a node that contains it (a "
                    "self-referential alias)", "copy the values instead of aliasing the "
                    "enclosing node", event.start_mark, code="yaml-cycle")
            return super().compose_node(parent, index)
        self._composed += 1
        if self._composed > self._max_nodes:
            message, hint = over_limit("yaml-nodes", "the YAML document's number of nodes",
                                       f"more than {self._max_nodes}")
            raise _CostError(message, hint, event.start_mark)
        collection = isinstance(event, MappingStartEvent | SequenceStartEvent)
        self._level += collection
        if self._level > self._max_depth:
            message, hint = over_limit("yaml-depth", "the YAML document's nesting",
                                       f"more than {self._max_depth} levels")
            raise _CostError(message, hint, event.start_mark)
        node = super().compose_node(parent, index)
        self._level -= collection
        self._measure(node)
        return node

    def _measure(self, node: Any) -> None:
        if isinstance(node, MappingNode):
            children = [n for pair in node.value for n in pair]
        elif isinstance(node, SequenceNode):
            children = node.value
        else:
            children = []
        size = 1 + sum(self._size[id(c)] for c in children)
        depth = int(isinstance(node, MappingNode | SequenceNode)) + max(
            (self._depth[id(c)] for c in children), default=0)
        self._size[id(node)] = size
        self._depth[id(node)] = depth
        if size > self._max_nodes:
            message, hint = over_limit(
                "yaml-nodes", "the YAML document's number of nodes (with aliases expanded)",
                f"{size} or more" if size < 10**12 else "more than 10**12")
            raise _CostError(message, hint, node.start_mark)
        if depth > self._max_depth:
            message, hint = over_limit("yaml-depth", "the YAML document's nesting (with "
                                       "aliases expanded)", f"{depth} levels or more")
            raise _CostError(message, hint, node.start_mark)


def _loader() -> YAML:
    yaml = round_trip_yaml()
    yaml.Composer = _LimitedComposer
    return yaml


def _utf8_size_over(text: str, limit: int) -> int | None:
    """The UTF-8 size of ``text`` if it is over ``limit`` bytes, else None."""
    if len(text) * 4 <= limit:
        return None
    size = len(text.encode("utf-8", errors="surrogatepass"))
    return size if size > limit else None


def _flow_nesting_over(text: str, limit: int) -> tuple[int, int] | None:
    """Where a line opens more than ``limit`` flow collections (``[``/``{``), if one does.

    ruamel's scanner keeps a possible simple key per open flow level and rescans all of
    them for every token of a line (up to 1024 characters ahead), so a line of a
    thousand ``[`` costs a second before the composer can refuse its depth. Counting
    brackets per line is a cheap, conservative pre-check: brackets inside quoted text
    count too, which only matters for a line with more than ``limit`` unclosed ones.
    Returns 1-based (line, column) or None.
    """
    for number, line in enumerate(text.splitlines(), start=1):
        if line.count("[") + line.count("{") <= limit:
            continue
        depth = 0
        for column, char in enumerate(line, start=1):
            if char in "[{":
                depth += 1
                if depth > limit:
                    return number, column
            elif char in "]}":
                depth = max(depth - 1, 0)
    return None


def _mark_location(filename: str, mark: Any) -> Location:
    if mark is None:
        return Location(filename)
    return Location(filename, mark.line + 1, mark.column + 1)


def parse_yaml(text: str, filename: str) -> YamlDocument:
    """Parse YAML text; syntax errors become a :class:`RigValidationError` with a location.

    Raises
    ------
    RigValidationError
        For invalid YAML, and for documents over the ``rig-bytes``, ``yaml-nodes`` or
        ``yaml-depth`` limits or with a self-referential alias.
    """
    size = _utf8_size_over(text, limits.current().rig_bytes)
    if size is not None:
        message, hint = over_limit("rig-bytes", "the document's size", f"{size} bytes",
                                   suggest=size)
        raise RigValidationError([error_at(message, Location(filename), hint=hint,
                                           code="limit")])
    deep = _flow_nesting_over(text, limits.current().yaml_depth)
    if deep is not None:
        message, hint = over_limit("yaml-depth", "the YAML document's nesting",
                                   f"more than {limits.current().yaml_depth} levels")
        raise RigValidationError([error_at(message, Location(filename, *deep), hint=hint,
                                           code="limit")])
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            data = _loader().load(text)
    except _CostError as exc:
        raise RigValidationError([error_at(exc.message, _mark_location(filename, exc.mark),
                                           hint=exc.hint, code=exc.code)]) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise RigValidationError([error_at(f"YAML syntax error: {problem}",
                                           _mark_location(filename, mark),
                                           hint="check indentation, colons and quotes near "
                                           "this line", code="yaml-syntax")]) from None
    except YAMLError as exc:
        raise RigValidationError([error_at(f"YAML error: {_short(exc)}", Location(filename),
                                           code="yaml-syntax")]) from None
    except RecursionError:
        message, hint = over_limit("yaml-depth", "the YAML document's nesting",
                                   "too deep for this Python")
        raise RigValidationError([error_at(message, Location(filename), hint="lower the "
                                           "nesting; " + hint, code="limit")]) from None
    except Exception as exc:  # noqa: BLE001 - ruamel raises plain errors for odd scalars
        # e.g. an integer of more than 4300 digits (ValueError from int())
        raise RigValidationError([error_at(f"YAML error: cannot read a value: {_short(exc)}",
                                           Location(filename), code="yaml-syntax")]) from None
    return YamlDocument(data, filename, text)


def _short(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return repr(text[:200])[1:-1]


def _refuse(path: Path, message: str, code: str = "no-file", hint: str = "") -> RigValidationError:
    return RigValidationError([error_at(message, Location(str(path)), hint=hint, code=code)])


def _open(p: Path, what: str) -> int:
    """Open ``p`` for reading without blocking; missing files and sockets are refused."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) \
        | getattr(os, "O_BINARY", 0)
    try:
        return os.open(p, flags)
    except FileNotFoundError:
        raise _refuse(p, f"no such file: {p}") from None
    except IsADirectoryError:
        raise _refuse(p, f"{p} is a directory, not a {what}") from None
    except OSError as exc:
        if exc.errno == errno.ENXIO:  # a socket
            raise _refuse(p, f"{p} is a socket, not a {what}") from None
        raise _refuse(p, f"cannot read {p}: {exc.strerror or exc}") from None


def _special_kind(mode: int) -> str:
    """What a file that is not a regular file is (``'a FIFO (named pipe)'`` ...)."""
    if stat.S_ISDIR(mode):
        return "a directory"
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "a socket" if stat.S_ISSOCK(mode) else "not a regular file"


def _read_at_most(fd: int, limit: int) -> bytes:
    """Up to ``limit + 1`` bytes from ``fd`` (one more than allowed tells it is too big)."""
    chunks: list[bytes] = []
    total = 0
    while total <= limit:
        chunk = os.read(fd, min(limit + 1 - total, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    return b"".join(chunks)


def read_limited(path: str | Path, what: str = "rig file") -> str:
    """Read a regular file of at most ``rig-bytes`` bytes as UTF-8 text.

    The file is opened without blocking (a FIFO cannot hang the reader) and refused
    unless it is a regular file (not a FIFO, device, directory or socket); no more
    than one byte past the limit is ever read (``/dev/zero`` cannot exhaust memory).

    Raises
    ------
    RigValidationError
        For missing, unreadable, special, oversized or non-UTF-8 files.
    """
    p = Path(path)
    limit = limits.current().rig_bytes
    fd = _open(p, what)
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise _refuse(p, f"{p} is {_special_kind(mode)}, not a {what}",
                          hint=f"give the path of a {what} (a regular file)")
        data = _read_at_most(fd, limit)
    except BlockingIOError:
        raise _refuse(p, f"cannot read {p}: it would block (not a regular file)") from None
    except OSError as exc:
        raise _refuse(p, f"cannot read {p}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    if len(data) > limit:
        message, hint = over_limit("rig-bytes", f"{p}'s size", f"more than {limit} bytes",
                                   suggest=_at_least(p, limit))
        raise _refuse(p, message, code="limit", hint=hint)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _refuse(p, f"cannot read {p}: not UTF-8 text (byte {exc.start + 1})",
                      hint="save the file as UTF-8") from None


def _at_least(path: Path, limit: int) -> int:
    """A limit that would admit the (regular) file at ``path``."""
    try:
        return max(path.stat().st_size, limit + 1)
    except OSError:
        return limit * 2


def read_yaml(path: str | Path) -> YamlDocument:
    """Read and parse a YAML file; unreadable files become clear errors."""
    return parse_yaml(read_limited(path), str(path))


def validate(model: type[M], doc: YamlDocument, data: Any | None = None,
             path_prefix: tuple[str | int, ...] = ()) -> M:
    """Validate ``doc`` (or part of it) into ``model``, mapping errors to file locations."""
    raw = doc.data if data is None else data
    try:
        return model.model_validate(plain_data(raw))
    except RecursionError:
        message, hint = over_limit("yaml-depth", "the YAML document's nesting",
                                   "too deep for this Python")
        raise RigValidationError([error_at(message, Location(doc.filename), hint=hint,
                                           code="limit")]) from None
    except ValidationError as exc:
        known = all_field_names(model)
        diags: list[Diagnostic] = []
        seen: set[tuple[str, str]] = set()
        errors = exc.errors(include_url=False)
        for err in errors:
            if len(diags) == MAX_DIAGNOSTICS:
                diags.append(error_at(f"... and more errors ({len(errors)} in all); fix "
                                      "these first", Location(doc.filename), code="schema"))
                break
            location, dotted = doc.location(path_prefix + error_path(err))
            message, hint = error_message(err, known)
            key = (dotted, message)
            if key in seen:
                continue
            seen.add(key)
            where = f"{dotted}: " if dotted else ""
            diags.append(error_at(f"{where}{message}", location, path=dotted, hint=hint,
                                  code="schema"))
        raise RigValidationError(diags) from None

"""Text from rig files on its way to a terminal or a JSON stream: no control codes get through.

The schema already refuses control characters in names and labels; this is the
second line of defence for everything printed, whatever its origin (an error
message quoting a bad value, a file name, a catalog entry).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from rich.console import Console, RenderableType
from rich.segment import Segment

from signalchain.schema.controls import FORMAT_CONTROLS

UNSAFE = re.compile(f"[\\u0000-\\u0008\\u000b-\\u001f{FORMAT_CONTROLS}]")
"""C0 controls but tab and newline, and the schema's :data:`FORMAT_CONTROLS` (DEL, C1, bidi
overrides ...): what a terminal would act on or show in another order."""
REPLACEMENT = "\ufffd"


def term_safe(text: str) -> str:
    """Replace every control character (but tab and newline) with U+FFFD."""
    return UNSAFE.sub(REPLACEMENT, text)


def json_dumps(data: Any) -> str:
    r"""``json.dumps`` (indented, UTF-8 kept) with DEL, C1 and bidi controls escaped as ``\\uXXXX``.

    ``json`` already escapes C0 controls; the others are legal in JSON strings but a
    terminal showing the output would act on them.
    """
    text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False)
    return UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


class SafeConsole(Console):
    """A rich console whose rendered text has no control characters of its own.

    Styling still works: rich adds its escape codes after rendering, from the
    segments' styles, which this leaves alone.
    """

    def render(self, renderable: RenderableType, options: Any = None) -> Iterable[Segment]:
        """Render as usual, then make each text segment :func:`term_safe`."""
        for segment in super().render(renderable, options):
            if segment.control or not UNSAFE.search(segment.text):
                yield segment
            else:
                yield Segment(term_safe(segment.text), segment.style, segment.control)

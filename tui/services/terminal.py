"""Text on its way to a terminal: every control character but the newline is shown escaped.

Player names, languages, opening messages, model output and saves made elsewhere are data,
and data may hold escape sequences that retitle, recolour or reprogram the user's terminal.
A terminal runs whatever it is sent, so what dictgame prints there is made printable first:
ESC becomes the four characters `\\x1b`, a carriage return `\\r`, and so on, so the text stays
readable and nothing is lost from view. Files and pipes get the data unchanged (an export is
a record, not a display).

The CLI wraps stdout and stderr once (`guard_standard_streams`). The terminal UI cannot be
wrapped that way (Textual writes its own escape sequences), and neither Rich's `Text` nor
Textual's `Content` removes ESC (they drop only BEL, BS, VT, FF and CR); its app drops every
control character from each line it draws instead (`tui/widgets/control_filter.py`).
"""

from __future__ import annotations

import re
import sys
from typing import TextIO, cast

# C0 controls but the newline, DEL, C1 controls (0x9b is a one-byte CSI to some terminals),
# and lone surrogates (which cannot be encoded, so would stop the program instead).
_UNPRINTABLE = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match[0])
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str) -> str:
    """`text` with every control character but the newline written as an escape."""
    return _UNPRINTABLE.sub(_escaped, text)


def has_control_characters(text: str) -> bool:
    """Whether `printable` would change `text`."""
    return _UNPRINTABLE.search(text) is not None


def without_control_characters(text: str) -> str:
    """`text` with every control character but the newline removed."""
    return _UNPRINTABLE.sub("", text)


class PrintableWriter:
    """Stands in for stdout or stderr on a terminal; whatever is written is made printable."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(printable(text))
        return len(text)

    def writelines(self, lines: list[str]) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> object:
        # flush, fileno, isatty, encoding...: the terminal's own.
        return getattr(self._stream, name)


def unguarded(stream: TextIO) -> TextIO:
    """The terminal behind a PrintableWriter, for dictgame's own control codes (a progress
    line's carriage return and erase); whoever writes there makes the data printable first."""
    return stream._stream if isinstance(stream, PrintableWriter) else stream


def guard_standard_streams() -> None:
    """Wrap stdout and stderr in a PrintableWriter where they are terminals (once)."""
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if stream is None or isinstance(stream, PrintableWriter):
            continue
        try:
            is_terminal = stream.isatty()
        except (AttributeError, ValueError):  # replaced by a test harness, or closed
            continue
        if is_terminal:
            setattr(sys, name, cast(TextIO, PrintableWriter(stream)))

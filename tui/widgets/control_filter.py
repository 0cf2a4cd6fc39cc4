"""The terminal UI's guard against escape sequences in the text it shows (see `services/terminal.py`).

Every line a widget draws passes through the app's line filters just before it is written to
the terminal, so one filter covers all of them: chat panes, the dictionary, the saved-games
list, notifications, titles and inputs. Control characters take no cell on screen (Rich
measures them as zero wide), so dropping them here leaves every layout exactly as it was.
"""

from __future__ import annotations

from rich.segment import Segment
from textual.color import Color
from textual.filter import LineFilter

from ..services.terminal import has_control_characters, without_control_characters


class DropControlCharacters(LineFilter):
    """Removes control characters from the text of a line; Textual's own codes are untouched."""

    def apply(self, segments: list[Segment], background: Color) -> list[Segment]:
        if not any(has_control_characters(s.text) for s in segments if not s.control):
            return segments
        return [
            s if s.control else Segment(without_control_characters(s.text), s.style)
            for s in segments
        ]

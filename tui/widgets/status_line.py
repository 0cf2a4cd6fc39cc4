"""The status line: where the game stands, in parts that are dropped from the end when the
terminal is too narrow for all of them, so it never wraps. F1 explains every figure."""

from __future__ import annotations

from collections.abc import Sequence

from rich.text import Text
from textual.events import Resize
from textual.widgets import Static

TOOLTIP = (
    "Round: the round being played (one message from each player). tok/s: speed of the "
    "model writing now. Then the game's figures: for Dictionary Discovery, each player's "
    "entries, the common pairs (and agreement: common over all pairs), and the requests to "
    "the models, parsed (kept the move rules) and violated (broke one). F1 explains more."
)


class StatusLine(Static):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", markup=False, id=id)
        self.tooltip = TOOLTIP
        self._parts: tuple[str, ...] = ()

    def show(self, parts: Sequence[str]) -> None:
        """The first part bold; later parts only while they fit on one line."""
        self._parts = tuple(parts)
        self._paint()

    @property
    def text(self) -> str:
        return " · ".join(self._parts)

    def _paint(self) -> None:
        room = (self.size.width or self.app.size.width) - 2  # the padding
        line = Text()
        for number, part in enumerate(self._parts):
            joined = f" · {part}" if number else part
            if number and line.cell_len + len(joined) > room:
                break
            line.append(joined, style="bold" if number == 0 else "")
        self.update(line)

    def on_resize(self, event: Resize) -> None:
        self._paint()

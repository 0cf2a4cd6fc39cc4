"""The line under a seat's model list in the new-game form that says what the chosen model
was fine-tuned from; hidden for every model dictgame did not fine-tune."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from ...models import FoundModel
from ..services.lineage import lineage_lines


class ModelLineage(Static):
    def __init__(self, id: str) -> None:
        super().__init__("", id=id, classes="form-note")
        self.display = False
        self._lines: dict[str, str] = {}

    def know(self, found: list[FoundModel], chosen: object) -> None:
        """The models the list offers, and the one chosen now."""
        self._lines = lineage_lines(found)
        self.show(chosen)

    def show(self, chosen: object) -> None:
        """`chosen`: the list's value (a model's path, or the embedded model's or a
        person's value, which have no lineage)."""
        line = self._lines.get(chosen, "") if isinstance(chosen, str) else ""
        self.update(Text(line))
        self.display = bool(line)

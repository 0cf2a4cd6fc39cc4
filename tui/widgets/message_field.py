"""Where a person types their message on their turn: the answer of any step a game gives no
form of its own (a game may extend it, as Deal or No Deal's reply does with its tag and its
propose key)."""

from __future__ import annotations

from textual import on
from textual.widgets import Input

from .game_front import Answered


class MessageField(Input):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(placeholder="your message; enter sends it", compact=True, id=id)

    def start(self, seat: int) -> None:
        self.value = ""
        self.focus()

    def clear(self) -> None:
        """Nothing is put together here but the typed text, which the next turn clears."""

    def question(self, asked: str) -> str:
        return asked

    def answer(self, text: str) -> str:
        """The typed message as the game master receives it."""
        return text

    @on(Input.Submitted)
    def _send(self, event: Input.Submitted) -> None:
        event.stop()
        text = event.value.strip()
        if not text:
            self.notify("Type your message first.")
            return
        self.post_message(Answered(self.answer(text)))

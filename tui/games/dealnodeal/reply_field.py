"""Deal or No Deal's reply, for a person: a message, tagged as the game master expects it (one
typed with a tag is kept as is), or, with the propose key, a proposal instead; and the line
above the answer with the person's own values."""

from __future__ import annotations

from typing import Any

from rich.text import Text

from ....engine.games.dealnodeal.items import ITEM, items_text
from ....engine.games.dealnodeal.rules import MESSAGE, PROPOSE
from ...widgets.bindings import bindings
from ...widgets.game_front import Answered
from ...widgets.message_field import MessageField
from .keys import KEYS


class ReplyField(MessageField):
    BINDINGS = bindings("person", KEYS)

    def answer(self, text: str) -> str:
        return text if text.startswith("[") else f"{MESSAGE} {text}"

    def action_propose(self) -> None:
        self.post_message(Answered(PROPOSE))


def values_line(state: Any, seat: int, step: str) -> Text:
    """What each item is worth to the person, and what is on the table."""
    settings = state.settings
    worth = ", ".join(
        f"a {item} {value}" for item, value in zip(ITEM, settings.values[seat], strict=True)
    )
    values = Text("Your values: ", style="dim")
    values.append(worth, style="bold")
    values.append(f"  ·  on the table: {items_text(settings.counts)}", style="dim")
    if step == "reply":
        values.append("  ·  ctrl+t proposes instead of a message", style="dim")
    return values

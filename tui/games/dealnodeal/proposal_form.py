"""Deal or No Deal's proposal, for a person: how many of each item type they take, sent as
the JSON a model writes.

The counts are checked against the items before anything is sent (0 to what there is, one
clear line when not), with the game's own move rule (`parse_take`), so what the game master
receives is what it would accept from a model.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Label, Static

from ....engine.games.dealnodeal.items import ITEMS, Counts
from ....engine.games.dealnodeal.rules import parse_take, take_json
from ....engine.words import sentence
from ...widgets.game_front import Answered


class ProposalForm(Vertical):
    """A count per item type, and the button that proposes them."""

    def __init__(self, counts: Counts, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.counts = counts

    def compose(self) -> ComposeResult:
        with Horizontal(classes="take-row"):
            yield Label("You take ")
            for item, total in zip(ITEMS, self.counts, strict=True):
                yield Input(placeholder=f"0-{total}", type="integer", compact=True,
                            id=f"take-{item}")
                yield Label(f" {item}  ")
            yield Button("Propose", variant="primary", compact=True, id="propose")
        yield Static("", id="take-error", classes="field-error", markup=False)

    def start(self, seat: int) -> None:
        self.clear()
        self.query_one(f"#take-{ITEMS[0]}", Input).focus()

    def clear(self) -> None:
        for item in ITEMS:
            self.query_one(f"#take-{item}", Input).value = ""
        self.query_one("#take-error", Static).display = False

    def question(self, asked: str) -> str:
        return asked

    @on(Input.Submitted)
    @on(Button.Pressed, "#propose")
    def _propose(self, event: Message) -> None:
        event.stop()
        typed = [self.query_one(f"#take-{item}", Input).value.strip() for item in ITEMS]
        missing = [item for item, value in zip(ITEMS, typed, strict=True) if not value]
        if missing:
            self._refuse(f"say how many {' and '.join(missing)} you take (0 if none)")
            return
        take, problem = parse_take(" ".join(typed), self.counts)
        if take is None:
            self._refuse(problem or "a proposal needs three counts")
            return
        self.query_one("#take-error", Static).display = False
        self.post_message(Answered(take_json(take)))

    def _refuse(self, problem: str) -> None:
        error = self.query_one("#take-error", Static)
        error.update(Text(sentence(problem)))
        error.display = True

"""Dictionary Discovery's update step, for a person: what they learned from the message they
heard, as entries of their own dictionary, sent to the game master as one update.

Each entry is written in the entry editor the person already knows from editing; here it is
collected instead of applied, and sent with the others as the JSON update a model writes, so
the game master judges it by the same rules (a refused entry is shown with its reason).
While collected, the entries show in the person's dictionary table, marked pending
(`Pending`, which the game screen hands to the panel); the stored move is the update sent.
"""

from __future__ import annotations

import json

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Static

from ....engine.games.dictionary.dictionary import Operation, normalize
from ....engine.games.dictionary.settings import GameSettings
from ...services.person import JSON_FORM
from ...widgets.bindings import bindings
from ...widgets.game_front import Answered, Pending
from .entry_editor import EntryEditor
from .keys import KEYS
from .table import language_name


class UpdateForm(Vertical):
    """The entries the person adds this turn, and the keys that add one and send them."""

    BINDINGS = bindings("person", KEYS)

    def __init__(self, settings: GameSettings, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.settings = settings
        self.seat = 0
        self.operations: list[Operation] = []

    def compose(self) -> ComposeResult:
        yield Static("", id="update-entries", markup=False)
        with Horizontal(classes="buttons"):
            yield Button("Add entry (ctrl+n)", compact=True, id="learn-entry")
            yield Button("Take back (ctrl+z)", compact=True, id="take-back-entry")
            yield Button("Done (ctrl+s)", variant="primary", compact=True, id="send-update")

    def start(self, seat: int) -> None:
        """A new update step: nothing learned yet."""
        self.seat = seat
        self.clear()
        self.query_one("#learn-entry", Button).focus()

    def clear(self) -> None:
        """Drop the entries not sent (a new step, or the wait given up): none left pending."""
        self.operations = []
        self._changed()

    def question(self, asked: str) -> str:
        """The JSON form of a model's update gives way to this form's keys."""
        if JSON_FORM not in asked:
            return asked
        kept = asked[: asked.index(JSON_FORM)].rstrip()
        return f"{kept}\nAdd each word you learned as an entry, then send them with Done."

    @on(Button.Pressed, "#learn-entry")
    def action_learn_entry(self) -> None:
        if len(self.operations) >= self.settings.max_operations:
            self.notify(f"An update holds at most {self.settings.max_operations} entries.")
            return
        self.app.push_screen(
            EntryEditor(self.settings, None, self._collect, owners=(self.seat,))
        )

    def _collect(self, owner: int, operations: list[Operation]) -> None:
        """Keep the new entries; one for a word already collected takes its place."""
        words = {normalize(o.foreign) for o in operations}
        self.operations = [o for o in self.operations if normalize(o.foreign) not in words]
        self.operations.extend(operations)
        self._changed()

    @on(Button.Pressed, "#take-back-entry")
    def action_take_back_entry(self) -> None:
        """Drop the entry collected last (it leaves the table too)."""
        if not self.operations:
            self.notify("There is no entry to take back.")
            return
        self.operations.pop()
        self._changed()

    @on(Button.Pressed, "#send-update")
    def action_send_update(self) -> None:
        updates = [
            {"op": o.kind.value, "word": o.foreign, "meaning": o.meaning, "confidence": o.confidence}
            for o in self.operations
        ]
        self.post_message(Answered(json.dumps({"updates": updates}, ensure_ascii=False)))

    def _changed(self) -> None:
        self._show()
        self.post_message(Pending(self.seat, tuple(self.operations)))

    def _show(self) -> None:
        own, partner = (language_name(self.settings, s) for s in (self.seat, 1 - self.seat))
        text = Text(f"What you learned ({partner} word = {own} meaning): ", style="dim")
        if not self.operations:
            text.append("nothing yet", style="dim italic")
        for number, operation in enumerate(self.operations):
            separator = "" if number == 0 else ", "
            text.append(f"{separator}+ {operation.foreign} = {operation.meaning} "
                        f"({operation.confidence:.2f})")
        self.query_one("#update-entries", Static).update(text)

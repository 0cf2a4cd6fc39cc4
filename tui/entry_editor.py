"""The entry editor: change, add (or, by changing the word, replace) one dictionary entry.

The editor builds the operations and hands them to the game screen, which applies them with
`state.edit` and stores them; the game master's refusal (InvalidEdit) is shown right here.
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from ..engine.games.dictionary.dictionary import (
    DictionaryEntry,
    Operation,
    OperationKind,
    clean_word,
    normalize,
)
from ..engine.games.dictionary.settings import GameSettings
from ..engine.games.dictionary.state import InvalidEdit
from ..engine.words import sentence
from ..saves import SaveFileError
from .dictionary_table import DictionaryRow

ApplyEdit = Callable[[int, list[Operation]], None]


class EntryEditor(ModalScreen[bool]):
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="editor.save", tooltip="Save the entry"),
        Binding("escape", "cancel", "Cancel", id="editor.cancel", tooltip="Close without changes"),
    ]

    def __init__(self, settings: GameSettings, row: DictionaryRow | None, apply: ApplyEdit) -> None:
        super().__init__()
        self.settings = settings
        self.row = row
        self._apply = apply
        self.owner = row.holders[0] if row is not None else 0

    @property
    def entry(self) -> DictionaryEntry | None:
        """The entry being edited in the chosen player's dictionary (None when adding)."""
        return self.row.entries.get(self.owner) if self.row is not None else None

    def compose(self) -> ComposeResult:
        players = self.settings.players
        seats = self.row.holders if self.row is not None else (0, 1)
        with Vertical(id="editor", classes="dialog"):
            yield Static("Edit entry" if self.row else "Add entry", classes="dialog-title")
            yield Label("Dictionary")
            yield Select(
                [
                    (
                        Text(
                            f"{players[s].name}'s ({players[1 - s].language} → {players[s].language})"
                        ),
                        s,
                    )
                    for s in seats
                ],
                value=self.owner,
                allow_blank=False,
                disabled=len(seats) == 1,
                id="owner",
            )
            yield Label("", id="foreign-label")
            yield Input(id="foreign")
            yield Label("", id="meaning-label")
            yield Input(id="meaning")
            yield Label("Confidence (0 to 1)")
            yield Input(type="number", id="confidence")
            yield Static("", id="editor-error", classes="form-error")
            with Horizontal(classes="buttons"):
                yield Button("Save", variant="primary", id="save")
                yield Button("Cancel", id="cancel")

    def on_mount(self) -> None:
        self._fill()
        self.query_one("#meaning" if self.row else "#foreign", Input).focus()

    @on(Select.Changed, "#owner")
    def _owner_chosen(self, event: Select.Changed) -> None:
        if isinstance(event.value, int):
            self.owner = event.value
            self._fill()

    def _fill(self) -> None:
        players = self.settings.players
        owner, partner = players[self.owner], players[1 - self.owner]
        self.query_one("#foreign-label", Label).update(Text(f"Word in {partner.language}"))
        self.query_one("#meaning-label", Label).update(Text(f"Meaning in {owner.language}"))
        entry = self.entry
        self.query_one("#foreign", Input).value = entry.foreign if entry else ""
        self.query_one("#meaning", Input).value = entry.meaning if entry else ""
        self.query_one("#confidence", Input).value = f"{entry.confidence:.2f}" if entry else "1.0"

    @on(Button.Pressed, "#save")
    @on(Input.Submitted)
    def action_save(self) -> None:
        foreign = self.query_one("#foreign", Input).value
        meaning = self.query_one("#meaning", Input).value
        try:
            confidence = float(self.query_one("#confidence", Input).value)
        except ValueError:
            self._show_error("confidence must be a number between 0 and 1")
            return
        operations = self._operations(foreign, meaning, confidence)
        if not operations:  # saved unchanged: nothing for the history to record
            self.dismiss(False)
            return
        try:
            self._apply(self.owner, operations)
        except (InvalidEdit, SaveFileError) as error:
            self._show_error(str(error))
            return
        self.dismiss(True)

    def _operations(self, foreign: str, meaning: str, confidence: float) -> list[Operation]:
        """A revise when the word stays; a new entry in place of the old when it changes."""
        entry = self.entry
        if entry is not None and normalize(foreign) == normalize(entry.foreign):
            if clean_word(meaning) == entry.meaning and confidence == round(entry.confidence, 2):
                return []
            return [
                Operation(
                    kind=OperationKind.REVISE,
                    foreign=entry.foreign,
                    meaning=meaning,
                    confidence=confidence,
                )
            ]
        added = Operation(
            kind=OperationKind.ADD, foreign=foreign, meaning=meaning, confidence=confidence
        )
        if entry is None:
            return [added]
        return [added, Operation(kind=OperationKind.REMOVE, foreign=entry.foreign)]

    def _show_error(self, message: str) -> None:
        error = self.query_one("#editor-error", Static)
        error.update(Text(sentence(message)))
        error.display = True

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)

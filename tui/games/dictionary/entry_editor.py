"""The entry editor: change, add (or, by changing the word, replace) one dictionary entry.

The editor builds the operations and hands them to the game screen, which applies them with
`state.edit` and stores them; the game master's refusal (InvalidEdit) is shown at the field
it is about. Adding a word the dictionary already holds would overwrite that entry: the
editor says so and offers to edit the entry instead (ctrl+o).
"""

from __future__ import annotations

from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, Select, Static

from ....engine.games.dictionary.dictionary import (
    DictionaryEntry,
    Operation,
    OperationKind,
    clean_word,
    normalize,
)
from ....engine.games.dictionary.settings import GameSettings
from ....engine.games.dictionary.state import InvalidEdit
from ....engine.words import sentence
from ....saves import SaveFileError
from ...widgets.bindings import bindings
from ...widgets.footer import FittingFooter
from .table import DictionaryRow, language_name

ApplyEdit = Callable[[int, list[Operation]], None]
# The row holding a player's entry for a word, if any: (owner seat, word) -> row.
FindEntry = Callable[[int, str], DictionaryRow | None]


def field_of(problem: str) -> str:
    """Which field a refusal is about, so it is shown there."""
    if "confidence" in problem:
        return "confidence"
    if "meaning" in problem:
        return "meaning"
    return "foreign"


class EntryEditor(ModalScreen[bool]):
    BINDINGS = bindings("editor")

    def __init__(
        self,
        settings: GameSettings,
        row: DictionaryRow | None,
        apply: ApplyEdit,
        find: FindEntry | None = None,
        owners: tuple[int, ...] = (0, 1),
    ) -> None:
        super().__init__()
        self.settings = settings
        self.row = row
        self._apply = apply
        self._find = find or (lambda owner, word: None)
        # The dictionaries a new entry may go to (a person's update: their own only).
        self.owners = owners
        self.owner = row.holders[0] if row is not None else owners[0]
        # The row that already holds the word typed, once the person was told so.
        self.existing: DictionaryRow | None = None

    @property
    def entry(self) -> DictionaryEntry | None:
        """The entry being edited in the chosen player's dictionary (None when adding)."""
        return self.row.entries.get(self.owner) if self.row is not None else None

    def compose(self) -> ComposeResult:
        players = self.settings.players
        seats = self.row.holders if self.row is not None else self.owners
        with Vertical(id="editor", classes="dialog"):
            yield Static("Edit entry" if self.row else "Add entry", classes="dialog-title")
            yield Label("Dictionary")
            yield Select(
                [
                    (
                        Text(f"{players[s].name}'s ({language_name(self.settings, 1 - s)} → "
                             f"{language_name(self.settings, s)})"),
                        s,
                    )
                    for s in seats
                ],
                value=self.owner,
                allow_blank=False,
                disabled=len(seats) == 1,
                compact=True,
                id="owner",
            )
            for field, label in (("foreign", ""), ("meaning", ""), ("confidence", "Confidence (0 to 1)")):
                yield Label(label, id=f"{field}-label")
                yield Input(compact=True, id=field, type="number" if field == "confidence" else "text")
                yield Static("", id=f"{field}-error", classes="field-error", markup=False)
            with Horizontal(classes="buttons"):
                yield Button("Save", variant="primary", compact=True, id="save")
                yield Button("Edit it", compact=True, id="edit-existing")
                yield Button("Cancel", compact=True, id="cancel")
        yield FittingFooter()

    def on_mount(self) -> None:
        self._fill()
        self.query_one("#meaning" if self.row else "#foreign", Input).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "edit_existing":
            return self.existing is not None
        return True

    @on(Select.Changed, "#owner")
    def _owner_chosen(self, event: Select.Changed) -> None:
        if isinstance(event.value, int):
            self.owner = event.value
            self._fill()

    def _fill(self) -> None:
        partner, owner = (language_name(self.settings, s) for s in (1 - self.owner, self.owner))
        self.query_one("#foreign-label", Label).update(Text(f"Word in {partner}"))
        self.query_one("#meaning-label", Label).update(Text(f"Meaning in {owner}"))
        entry = self.entry
        self.query_one("#foreign", Input).value = entry.foreign if entry else ""
        self.query_one("#meaning", Input).value = entry.meaning if entry else ""
        self.query_one("#confidence", Input).value = f"{entry.confidence:.2f}" if entry else "1.0"
        self._clear_errors()

    @on(Button.Pressed, "#save")
    @on(Input.Submitted)
    def action_save(self) -> None:
        self._clear_errors()
        foreign = self.query_one("#foreign", Input).value
        meaning = self.query_one("#meaning", Input).value
        try:
            confidence = float(self.query_one("#confidence", Input).value)
        except ValueError:
            self._show_error("confidence", "confidence must be a number between 0 and 1")
            return
        if self._overwrites(foreign):
            return
        operations = self._operations(foreign, meaning, confidence)
        if not operations:  # saved unchanged: nothing for the history to record
            self.dismiss(False)
            return
        try:
            self._apply(self.owner, operations)
        except InvalidEdit as error:
            self._show_error(field_of(str(error)), str(error))
            return
        except SaveFileError as error:
            self._show_error("confidence", str(error))
            return
        self.dismiss(True)

    def _overwrites(self, foreign: str) -> bool:
        """Whether saving would write over another entry of the word; if so, say so."""
        entry = self.entry
        if entry is not None and normalize(foreign) == normalize(entry.foreign):
            return False
        existing = self._find(self.owner, foreign) if foreign.strip() else None
        if existing is None:
            return False
        held = existing.entries[self.owner]
        name = self.settings.players[self.owner].name
        self.existing = existing
        self._show_error(
            "foreign",
            f'"{held.foreign}" is already in {name}\'s dictionary (= "{held.meaning}"); '
            "ctrl+o edits that entry instead",
        )
        self.query_one("#edit-existing").display = True
        self.refresh_bindings()
        return True

    @on(Button.Pressed, "#edit-existing")
    def action_edit_existing(self) -> None:
        """Turn the dialog into the editor of the entry that already holds the word."""
        if self.existing is None:
            return
        self.row, self.existing = self.existing, None
        self.query_one(".dialog-title", Static).update("Edit entry")
        self._fill()
        self.query_one("#meaning", Input).focus()

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

    def _show_error(self, field: str, message: str) -> None:
        error = self.query_one(f"#{field}-error", Static)
        error.update(Text(sentence(message)))
        error.display = True
        self.query_one(f"#{field}", Input).add_class("-invalid")

    def _clear_errors(self) -> None:
        for error in self.query(".field-error"):
            error.display = False
        for field in self.query(Input):
            field.remove_class("-invalid")
        self.existing = None
        self.query_one("#edit-existing").display = False
        self.refresh_bindings()

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(False)

"""The live dictionary table: both players' entries as word pairs, common pairs marked.

A row is a pair (word in A's language, word in B's language). Player A holds it as the
entry `foreign=B-word -> meaning=A-word`, player B as `foreign=A-word -> meaning=B-word`;
a pair both hold is in the common dictionary. A person's update not yet applied shows in
their dictionary as it will be, its rows marked pending (dim, `+` new, `~` changed,
`−` to be removed) until the game master applies the move.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import StrEnum

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import DataTable, Static, Tab, Tabs

from ....engine.games.dictionary.dictionary import (
    NO_CODES,
    Codes,
    Dictionary,
    DictionaryEntry,
    Operation,
    OperationKind,
    Source,
    as_pair,
    normalize,
    normalized_pair,
)
from ....engine.games.dictionary.scenes import language_codes
from ....engine.games.dictionary.settings import GameSettings
from ....engine.games.dictionary.truth import Judge

# How long a new or changed row stays highlighted.
HIGHLIGHT_SECONDS = 2.0


def language_name(settings: GameSettings, seat: int) -> str:
    """A player's language as the person reads it: its name, or in invented mode the
    player's own made-up one (the language setting is not what it speaks there)."""
    player = settings.players[seat]
    return f"{player.name}'s language" if settings.mode == "invented" else player.language


class DictionaryViewKind(StrEnum):
    ALL = "all"
    COMMON = "common"
    PLAYER_A = "a"
    PLAYER_B = "b"


@dataclass(frozen=True)
class DictionaryRow:
    key: str
    word_a: str
    word_b: str
    # The entry each holder keeps for this pair, by seat.
    entries: dict[int, DictionaryEntry]

    @property
    def holders(self) -> tuple[int, ...]:
        return tuple(sorted(self.entries))


@dataclass(frozen=True)
class PendingEntries:
    """A person's dictionary update, shown before the game master applies it: whose
    dictionary, its operations in order, and the round they are written in."""

    seat: int
    operations: tuple[Operation, ...]
    round: int


# The mark of a pending entry, before its first word: new, changed, to be removed.
PENDING_MARKS = {"new": "+ ", "changed": "~ ", "removed": "− "}


def with_pending(
    dictionaries: tuple[Dictionary, Dictionary], pending: PendingEntries
) -> tuple[tuple[Dictionary, Dictionary], dict[str, str]]:
    """The dictionaries as the update would leave them (an entry to be removed still shown),
    and how each entry it touches changes: normalized word of the person's -> PENDING_MARKS
    key."""
    committed = dictionaries[pending.seat]
    preview = committed.copy()
    marks: dict[str, str] = {}
    for operation in pending.operations:
        key = normalize(operation.foreign)
        if operation.kind is OperationKind.REMOVE:
            if key in preview:
                marks[key] = "removed"
            continue
        preview.apply(operation, Source.PLAYER, pending.round)  # the player's move, not an edit
        if key in preview:
            marks[key] = "changed" if key in committed else "new"
    shown = (preview, dictionaries[1]) if pending.seat == 0 else (dictionaries[0], preview)
    return shown, marks


def dictionary_rows(
    dictionaries: tuple[Dictionary, Dictionary], codes: Codes = NO_CODES
) -> list[DictionaryRow]:
    """Every pair either player holds, newest round first; pairs meet in the normal form of
    their languages (`codes`), as in the common dictionary."""
    by_pair: dict[tuple[str, str], dict[int, DictionaryEntry]] = {}
    words: dict[tuple[str, str], tuple[str, str]] = {}
    for seat, dictionary in enumerate(dictionaries):
        for entry in dictionary:
            pair = normalized_pair(entry, seat, codes)
            by_pair.setdefault(pair, {})[seat] = entry
            words.setdefault(pair, as_pair(entry, seat))
    rows = [
        DictionaryRow(
            key=f"{a}\x1f{b}", word_a=words[(a, b)][0], word_b=words[(a, b)][1], entries=entries
        )
        for (a, b), entries in by_pair.items()
    ]
    rows.sort(key=lambda r: (-min(e.added_round for e in r.entries.values()), r.word_a.casefold()))
    return rows


def verdict(judge: Judge, row: DictionaryRow) -> bool | None:
    """Whether the pair names one concept in both languages (None: the bank cannot tell)."""
    concept_b = judge.concept_of(1, row.word_b)
    if concept_b is None and not judge.settings.grounded:
        return None
    return concept_b is not None and judge.concept_of(0, row.word_a) == concept_b


# How a verdict reads in the table, when the person asked to see it.
VERDICTS = {True: ("✓ ", "green"), False: ("✗ ", "red"), None: ("? ", "dim")}


def shown_in(view: DictionaryViewKind, row: DictionaryRow) -> bool:
    if view is DictionaryViewKind.COMMON:
        return len(row.entries) == 2
    if view is DictionaryViewKind.PLAYER_A:
        return 0 in row.entries
    if view is DictionaryViewKind.PLAYER_B:
        return 1 in row.entries
    return True


class DictionaryTable(Vertical):
    """Tabs to switch the view, and the table; rows that just changed are highlighted; with
    the truth shown, each pair is marked right or wrong."""

    def __init__(self, settings: GameSettings, judge: Judge | None = None, *,
                 id: str | None = None) -> None:
        super().__init__(id=id)
        self.settings = settings
        # None where the game has no ground truth (free talk outside the concept bank).
        self.judge = judge
        self.truth_shown = False
        self.view = DictionaryViewKind.ALL
        self._rows: dict[str, DictionaryRow] = {}
        self._cells: dict[str, tuple[str, ...]] = {}
        self._highlight_until: dict[str, float] = {}
        # Rows a person's update not yet applied touches: row key -> PENDING_MARKS key.
        self._pending: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        a, b = self.settings.players
        yield Tabs(
            Tab("All", id="view-all"),
            Tab("Common", id="view-common"),
            Tab(Text(f"{a.name}'s"), id="view-a"),
            Tab(Text(f"{b.name}'s"), id="view-b"),
            id="dictionary-views",
        )
        table: DataTable[Text] = DataTable(id="dictionary", cursor_type="row", zebra_stripes=True)
        for key, label in self._columns():
            table.add_column(label, key=key)
        yield table
        yield Static("", id="dictionary-empty", markup=False)

    def _columns(self) -> list[tuple[str, Text]]:
        """Each column's key and header."""
        a, b = self.settings.players
        invented = self.settings.mode == "invented"  # each column its player's own words
        return [("a", Text(a.name if invented else a.language)),
                ("b", Text(b.name if invented else b.language)),
                ("held", Text("held by")), ("confidence", Text("confidence")),
                ("added", Text("added")), ("by", Text("by"))]

    @property
    def table(self) -> DataTable[Text]:
        return self.query_one("#dictionary", DataTable)

    def on_tabs_tab_activated(self, event: Tabs.TabActivated) -> None:
        event.stop()
        if event.tab.id is not None:
            self.view = DictionaryViewKind(event.tab.id.removeprefix("view-"))
            self._repaint()

    def next_view(self) -> None:
        self.query_one(Tabs).action_next_tab()

    def toggle_truth(self) -> bool:
        """Show or hide the marks; False where there is no truth to show."""
        if self.judge is None:
            return False
        self.truth_shown = not self.truth_shown
        self._repaint()
        return True

    def show(self, dictionaries: tuple[Dictionary, Dictionary], highlight: bool = True,
             pending: PendingEntries | None = None) -> None:
        """Show these dictionaries, with a person's update not yet applied (`pending`); with
        `highlight`, mark rows that are new or changed."""
        marks: dict[str, str] = {}
        if pending is not None:
            dictionaries, marks = with_pending(dictionaries, pending)
        rows = dictionary_rows(dictionaries, language_codes(self.settings))
        now = time.monotonic()
        self._pending = {}
        for row in rows:
            entry = row.entries.get(pending.seat) if pending is not None else None
            if entry is not None and normalize(entry.foreign) in marks:
                self._pending[row.key] = marks[normalize(entry.foreign)]
        cells = {row.key: self._cell_text(row) for row in rows}
        if highlight:
            for key, row_cells in cells.items():
                if self._cells.get(key) != row_cells:
                    self._highlight_until[key] = now + HIGHLIGHT_SECONDS
        self._rows = {row.key: row for row in rows}
        self._cells = cells
        self._repaint()
        if self._highlight_until:
            self.set_timer(HIGHLIGHT_SECONDS + 0.05, self._repaint)

    @property
    def rows(self) -> list[DictionaryRow]:
        """Every pair either player holds, whichever view is shown."""
        return list(self._rows.values())

    @property
    def selected(self) -> DictionaryRow | None:
        table = self.table
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return self._rows.get(key) if key is not None else None

    def _repaint(self) -> None:
        table = self.table
        selected = self.selected
        now = time.monotonic()
        self._highlight_until = {k: t for k, t in self._highlight_until.items() if t > now}
        accent = self.app.current_theme.accent or "yellow"
        shown: dict[str, list[Text]] = {}
        for key, row in self._rows.items():
            if shown_in(self.view, row):
                style = " ".join(filter(None, (
                    f"bold {accent}" if key in self._highlight_until else "",
                    "dim italic" if key in self._pending else "",
                )))
                cells = [Text(cell, style=style) for cell in self._cells[key]]
                if key in self._pending:
                    cells[0] = Text.assemble((PENDING_MARKS[self._pending[key]], accent), cells[0])
                if self.truth_shown and self.judge is not None:
                    mark, colour = VERDICTS[verdict(self.judge, row)]
                    cells[0] = Text.assemble((mark, colour), cells[0])
                shown[key] = cells
        # Columns as wide as what they show, set before any row is drawn: a column the table
        # widens itself when idle can leave lines drawn before at the old width in its line
        # cache (the header and a row a column narrower than the rows below them).
        table.clear(columns=True)
        for index, (column, label) in enumerate(self._columns()):
            width = max([label.cell_len, *(cells[index].cell_len for cells in shown.values())])
            table.add_column(label, width=width, key=column)
        for key, cells in shown.items():
            table.add_row(*cells, key=key)
        if selected is not None and selected.key in table.rows:
            table.move_cursor(row=table.get_row_index(selected.key), animate=False)
        empty = self.query_one("#dictionary-empty", Static)
        empty.display = table.row_count == 0
        empty.update(self._empty_text())

    def _empty_text(self) -> str:
        """What will appear in an empty view, rather than bare column headers."""
        names = [p.name for p in self.settings.players]
        if self.view is DictionaryViewKind.COMMON:
            return "No common pair yet: a pair both players hold, the same two words, shows here."
        if self.view is DictionaryViewKind.PLAYER_A:
            return f"{names[0]}'s dictionary is empty: the words {names[0]} learns show here."
        if self.view is DictionaryViewKind.PLAYER_B:
            return f"{names[1]}'s dictionary is empty: the words {names[1]} learns show here."
        return "No entries yet: each player adds the words it learns from its partner's messages."

    def _cell_text(self, row: DictionaryRow) -> tuple[str, ...]:
        names = [p.name for p in self.settings.players]
        entries = row.entries
        holders = row.holders
        held = "both" if len(holders) == 2 else names[holders[0]]
        confidence = " / ".join(f"{entries[seat].confidence:.2f}" for seat in holders)
        added = f"round {min(e.added_round for e in entries.values())}"
        if row.key in self._pending:  # the row's only entry is the person's new one: pending
            alone = len(holders) == 1 and self._pending[row.key] == "new"
            added = "pending" if alone else f"{added}, pending"
        by = ", ".join(dict.fromkeys(_author(entries[seat], names[seat]) for seat in holders))
        return row.word_a, row.word_b, held, confidence, added, by


def _author(entry: DictionaryEntry, player: str) -> str:
    """Who made the entry what it is: `user` as soon as the person added or edited it."""
    if Source.USER in (entry.added_by, entry.updated_by):
        return "user"
    return player

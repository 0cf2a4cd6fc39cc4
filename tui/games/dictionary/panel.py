"""Dictionary Discovery's panel: the live dictionary table, and the person's edits to it.

The game screen's edit, add and remove keys come here; an edit pauses the game first, so
the player sees it from its next move. A person's update, while they write it and until
the game master applies their move, shows in their dictionary marked pending.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from rich.text import Text
from textual.containers import Vertical
from textual.css.query import NoMatches
from textual.widgets import TabbedContent, TabPane

from ....engine.games.dictionary.dictionary import Operation, OperationKind, normalize
from ....engine.games.dictionary.scores import score
from ....engine.games.dictionary.state import GameState
from ....engine.games.dictionary.truth import Judge, final_truth
from ...widgets.confirm_modal import ConfirmModal
from .curve import LearningCurve
from .entry_editor import EntryEditor
from .learning import LearningView
from .moves import GroundedViews, move_lines
from .scene import SceneView
from .table import DictionaryRow, DictionaryTable, PendingEntries


class Panel(Vertical):
    editable = True
    views = True
    # The game screen gives these to each player's pane.
    move_lines = staticmethod(move_lines)

    def __init__(self, state: GameState, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.state = state
        # Grounded: the table beside the scene, the curve and the learning figures.
        self.sides = state.settings.grounded
        self.set_class(self.sides, "grounded")
        # Set by the game screen: stores an edit (owner seat, applied operation).
        self.save_edit: Callable[[Any], None] | None = None
        # A person's update not yet applied, and the move it belongs to (moves played then).
        self.pending: tuple[PendingEntries, int] | None = None

    @property
    def move_views(self) -> GroundedViews | None:
        """Grounded games read round by round in the panes, as the scene does."""
        return GroundedViews(self.state.settings) if self.sides else None

    def compose(self) -> Any:
        judge = Judge(self.state.settings)
        yield DictionaryTable(self.state.settings, judge if judge.judgeable else None,
                              id="dictionary-view")
        if self.sides:
            # No initial= here: Textual's tabs check that id when they mount, and a screen
            # closed while it mounts (a quick quit) has dropped the tab already; on_mount
            # opens the curve once it is certainly there.
            with TabbedContent(id="side"):
                with TabPane("Scene", id="side-scene"):
                    yield SceneView(id="scene-view")
                with TabPane("Curve", id="side-curve"):
                    yield LearningCurve(id="learning-curve")
                with TabPane("Learning", id="side-learning"):
                    yield LearningView(id="learning-view")

    def on_mount(self) -> None:
        """Open the curve beside the table: success against the ceiling is what one watches."""
        for side in self.query("#side").results(TabbedContent):
            try:
                side.get_tab("side-curve")
            except NoMatches:  # the screen closed while it mounted
                continue
            side.active = "side-curve"

    @property
    def table(self) -> DictionaryTable:
        return self.query_one(DictionaryTable)

    def show(self, state: GameState, highlight: bool = True) -> None:
        with state.lock:
            shown = (state.dictionaries[0].copy(), state.dictionaries[1].copy())
            played = state.moves_played
        if self.pending is not None and self.pending[1] != played:
            self.pending = None  # its move is applied (what the game master took is shown)
        self.table.show(shown, highlight, self.pending[0] if self.pending else None)
        for view in self.query(SceneView).results():
            view.show(state)
        for curve in self.query(LearningCurve).results():
            curve.show(state)
        for figures in self.query(LearningView).results():
            figures.show(state)

    def status(self, state: GameState) -> str:
        scores = score(state)
        a, b = state.settings.players
        players = scores.players
        return (
            f"{a.name} {players[0].dictionary_size}, {b.name} {players[1].dictionary_size}"
            f" · common {scores.common} ({scores.agreement:.0%})"
            f" · requests {players[0].requests + players[1].requests}"
            f" parsed {players[0].parsed + players[1].parsed}"
            f" violated {players[0].violated + players[1].violated}"
            + truth_status(state)
        )

    def preview(self, seat: int, operations: Iterable[Operation]) -> None:
        """Show the update a person is writing in their dictionary, marked pending, until the
        move it belongs to is applied (or they take the entries back: none left)."""
        state = self.state
        ops = tuple(operations)
        with state.lock:
            pending = PendingEntries(seat, ops, state.current_round)
            self.pending = (pending, state.moves_played) if ops else None
        self.show(state)

    # -- the person's edits (the game screen pauses first) -------------------------------

    def next_view(self) -> None:
        self.table.next_view()

    def next_side(self) -> None:
        """The next of the scene, the curve and the learning figures beside the table."""
        side = self.query_one("#side", TabbedContent)
        panes = [pane.id for pane in side.query(TabPane) if pane.id is not None]
        side.active = panes[(panes.index(side.active) + 1) % len(panes)]

    def toggle_truth(self) -> None:
        if not self.table.toggle_truth():
            self.notify("This game has no ground truth to judge its entries by: its languages "
                        "are not in the concept bank.")

    def edit_entry(self) -> None:
        row = self._chosen("edit")
        if row is not None:
            self._open_editor(row)

    def add_entry(self) -> None:
        self._open_editor(None)

    def _chosen(self, doing: str) -> DictionaryRow | None:
        """The row the person chose: the table's cursor, once the table has the focus (an
        unfocused cursor is wherever the last repaint left it, not a choice)."""
        if self.table.table.row_count == 0:
            self.notify(f"There is no entry to {doing} yet; press a to add one.")
            return None
        if not self.table.table.has_focus:
            self.table.table.focus()
            self.notify(f"Choose the entry to {doing} (↑ ↓ or a click), then press the key again.")
            return None
        return self.table.selected

    def find(self, owner: int, foreign: str) -> DictionaryRow | None:
        """The row of `owner`'s entry for `foreign`, if it holds one."""
        key = normalize(foreign)
        for row in self.table.rows:
            entry = row.entries.get(owner)
            if entry is not None and normalize(entry.foreign) == key:
                return row
        return None

    def _open_editor(self, row: DictionaryRow | None) -> None:
        self.app.push_screen(EntryEditor(self.state.settings, row, self.apply_edit, self.find))

    def apply_edit(self, owner: int, operations: Iterable[Operation]) -> None:
        """Apply and store the person's change; InvalidEdit goes back to the editor as is."""
        try:
            for operation in operations:
                applied = self.state.edit(owner, operation)
                if self.save_edit is not None:
                    self.save_edit(applied)
        finally:
            self.show(self.state)
            self.screen.refresh_bindings()

    def remove_entry(self) -> None:
        row = self._chosen("remove")
        if row is None:
            return
        names = " and ".join(f"{self.state.settings.players[s].name}'s" for s in row.holders)
        dictionaries = "dictionaries" if len(row.holders) == 2 else "dictionary"
        question = Text(f'Remove "{row.word_a}" = "{row.word_b}" from {names} {dictionaries}?')

        def remove(confirmed: bool | None) -> None:
            if confirmed:
                for seat, entry in row.entries.items():
                    self.apply_edit(
                        seat, [Operation(kind=OperationKind.REMOVE, foreign=entry.foreign)]
                    )

        self.app.push_screen(ConfirmModal(question, confirm="Remove"), remove)


def truth_status(state: GameState) -> str:
    """The ground truth's part of the status line ('' where there is none yet)."""
    truth = final_truth(state)
    if truth is None:
        return ""
    if state.settings.grounded:
        return (f" · success {truth.success_rate or 0:.0%} (chance {truth.chance or 0:.0%})"
                f" · F1 common {truth.common.f1:.2f}")
    return f" · precision {truth.common.precision:.2f} ({truth.common.coverage:.0%} covered)"

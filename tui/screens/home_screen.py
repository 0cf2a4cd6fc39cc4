"""Home: the saved games, newest first, to open, export or delete; or start a new one.

Coming back from a game, the cursor is on the game just left, so the next key acts on it,
and a question about a game names it fully.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult, SystemCommand
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Button, DataTable, Static

from ...engine.words import sentence
from ...saves import DamagedGame, GameInUse, GameNotFound, SaveFileError
from ...saves.runs import list_runs
from ..services import game_summary
from ..widgets.bindings import bindings, palette_commands
from ..widgets.confirm_modal import ConfirmModal
from ..widgets.footer import FittingFooter
from .export_modal import ExportModal
from .runs_screen import RunsScreen

if TYPE_CHECKING:
    from .app import DictgameApp

FIRST_RUN = (
    "No saved games yet.\n\n"
    "Press n (or the New game button) to watch two language models build a dictionary together."
)


class HomeScreen(Screen[None]):
    BINDINGS = bindings("home")

    @property
    def dictgame(self) -> DictgameApp:
        return cast("DictgameApp", self.app)

    def compose(self) -> ComposeResult:
        yield Static("dictgame · saved games", classes="screen-title")
        table: DataTable[Text] = DataTable(id="games", cursor_type="row", zebra_stripes=True)
        for label in game_summary.COLUMNS:
            table.add_column(label, key=label)
        yield table
        yield Static(FIRST_RUN, id="first-run", markup=False)
        yield Static("", id="runs", markup=False)
        with Horizontal(classes="buttons"):
            yield Button("New game", variant="primary", compact=True, id="new")
            yield Button("Open", compact=True, id="resume")
            yield Button("Export", compact=True, id="export")
            yield Button("Delete", variant="error", compact=True, id="delete")
        yield FittingFooter()

    def on_mount(self) -> None:
        self.refresh_games()

    def on_screen_resume(self) -> None:
        self.refresh_games()

    def refresh_games(self) -> None:
        games = self.dictgame.store.list_games(
            None if self.dictgame.sees_every_game else self.dictgame.session
        )
        table = self.query_one("#games", DataTable)
        # The game the person last opened, else the row the cursor was on.
        selected = self.dictgame.last_opened or self.selected_game
        table.clear()
        for game in games:
            table.add_row(*(Text(cell) for cell in game_summary.cells(game)), key=str(game.id))
        if selected is not None and str(selected) in table.rows:
            table.move_cursor(row=table.get_row_index(str(selected)), animate=False)
        table.display = bool(games)
        runs = list_runs(self.dictgame.store)
        self.query_one("#runs", Static).update(Text("\n".join(
            ["Runs (the Runs key lists them all, with their figures and fine-tuning):"]
            + [f"  run {r.id}: {game_summary.game_title(r.game)}, {r.done} of {r.episodes} "
               f"episodes played, started {game_summary.last_played(r.created)}" for r in runs[:5]]
        )))
        self.query_one("#runs").display = bool(runs)
        self.query_one("#first-run").display = not games
        for button_id in ("#resume", "#export", "#delete"):
            self.query_one(button_id, Button).disabled = not games
        (table if games else self.query_one("#new", Button)).focus()
        self.refresh_bindings()

    @property
    def selected_game(self) -> int | None:
        table = self.query_one("#games", DataTable)
        if table.row_count == 0:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        return int(key) if key is not None else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("resume", "export", "delete") and self.is_mounted:
            return self.selected_game is not None
        return True

    @on(DataTable.RowSelected, "#games")
    @on(Button.Pressed, "#resume")
    def action_resume(self) -> None:
        if (game_id := self.selected_game) is not None:
            self.dictgame.open_game(game_id)

    def action_runs(self) -> None:
        self.app.push_screen(RunsScreen())

    @on(Button.Pressed, "#new")
    def action_new_game(self) -> None:
        self.dictgame.action_new_game()

    @on(Button.Pressed, "#export")
    def action_export(self) -> None:
        if (game_id := self.selected_game) is None:
            return
        try:
            state = self.dictgame.store.load_game(game_id)
        except (GameNotFound, SaveFileError, DamagedGame) as error:
            self.notify(sentence(str(error)), severity="error", markup=False)
            return
        self.app.push_screen(ExportModal(
            game_id, state, self.dictgame.config.db, self.dictgame.store.seat_histories(game_id)
        ))

    @on(Button.Pressed, "#delete")
    def action_delete(self) -> None:
        if (game_id := self.selected_game) is None:
            return
        game = next(g for g in self.dictgame.store.list_games() if g.id == game_id)
        question = Text(
            f"Delete {game_summary.describe(game)}?\nEverything saved of it is lost."
        )

        def delete(confirmed: bool | None) -> None:
            if not confirmed:
                return
            try:
                self.dictgame.store.delete_game(game_id)
            except (GameInUse, GameNotFound, SaveFileError) as error:
                self.notify(sentence(str(error)), severity="error", markup=False)
            else:
                self.notify(f"Game {game_id} deleted.")
                if self.dictgame.last_opened == game_id:
                    self.dictgame.last_opened = None
            self.refresh_games()

        self.app.push_screen(ConfirmModal(question, confirm="Delete"), delete)

    def palette_commands(self) -> Iterable[SystemCommand]:
        return palette_commands(self, "home")

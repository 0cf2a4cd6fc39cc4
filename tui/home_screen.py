"""Home: the saved games, newest first, to resume, export or delete; or start a new one."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, cast

from rich.text import Text
from textual import on
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Button, DataTable, Footer, Static

from ..engine.words import sentence
from ..saves import DamagedGame, GameInUse, GameNotFound, GameSummary, SaveFileError
from ..saves.runs import list_runs
from .confirm_modal import ConfirmModal
from .export_modal import ExportModal

if TYPE_CHECKING:
    from .app import DictgameApp

FIRST_RUN = (
    "No saved games yet.\n\n"
    "Press n (or the New game button) to watch two language models build a dictionary together."
)


def last_played(value: object) -> str:
    """When a game was last played, to the minute, in local time."""
    if isinstance(value, int | float):
        value = datetime.fromtimestamp(value)
    elif isinstance(value, str):
        text = value
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            return text
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone()
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def model_name(model: str | None) -> str:
    return Path(model).name if model else "embedded"


class HomeScreen(Screen[None]):
    BINDINGS = [
        Binding(
            "enter", "resume", "Resume", id="home.resume", tooltip="Continue the selected game"
        ),
        Binding(
            "n", "new_game", "New game", id="home.new", tooltip="Choose the settings of a new game"
        ),
        Binding(
            "x",
            "export",
            "Export",
            id="home.export",
            tooltip="Write the selected game as Markdown and JSON",
        ),
        Binding("delete", "delete", "Delete", id="home.delete", tooltip="Delete the selected game"),
    ]

    @property
    def dictgame(self) -> DictgameApp:
        return cast("DictgameApp", self.app)

    def compose(self) -> ComposeResult:
        yield Static("dictgame · saved games", classes="screen-title")
        table: DataTable[Text] = DataTable(id="games", cursor_type="row", zebra_stripes=True)
        for label, key in (
            ("id", "id"),
            ("game", "game"),
            ("about", "about"),
            ("models", "models"),
            ("outcome", "outcome"),
            ("rounds", "rounds"),
            ("last played", "updated"),
        ):
            table.add_column(label, key=key)
        yield table
        yield Static(FIRST_RUN, id="first-run", markup=False)
        yield Static("", id="runs", markup=False)
        with Horizontal(classes="buttons"):
            yield Button("New game", variant="primary", id="new")
            yield Button("Resume", id="resume")
            yield Button("Export", id="export")
            yield Button("Delete", variant="error", id="delete")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.refresh_games()

    def on_screen_resume(self) -> None:
        self.refresh_games()

    def refresh_games(self) -> None:
        games = self.dictgame.store.list_games()
        table = self.query_one("#games", DataTable)
        selected = self.selected_game
        table.clear()
        for game in games:
            table.add_row(*(Text(cell) for cell in _cells(game)), key=str(game.id))
        if selected is not None and str(selected) in table.rows:
            table.move_cursor(row=table.get_row_index(str(selected)), animate=False)
        table.display = bool(games)
        runs = list_runs(self.dictgame.store)
        self.query_one("#runs", Static).update(Text("\n".join(
            ["Runs (dictgame eval RUN_ID scores them):"]
            + [f"  run {r.id}: {GAME_TITLES.get(r.game, r.game)}, {r.done} of {r.episodes} "
               f"episodes played, started {last_played(r.created)}" for r in runs[:5]]
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
        self.app.push_screen(ExportModal(game_id, state, self.dictgame.config.db))

    @on(Button.Pressed, "#delete")
    def action_delete(self) -> None:
        if (game_id := self.selected_game) is None:
            return
        row = self.query_one("#games", DataTable).get_row(str(game_id))
        question = Text(
            f"Delete game {game_id} ({row[1]}: {row[2]}, {row[4]}, last played {row[6]})? "
            "Everything saved of it is lost."
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
            self.refresh_games()

        self.app.push_screen(ConfirmModal(question, confirm="Delete"), delete)

    def palette_commands(self) -> Iterable[SystemCommand]:
        if self.selected_game is not None:
            yield SystemCommand("Resume game", "Continue the selected game", self.action_resume)
            yield SystemCommand(
                "Export game", "Write the selected game as Markdown and JSON", self.action_export
            )
            yield SystemCommand("Delete game", "Delete the selected game", self.action_delete)


# Short names of the games in the list.
GAME_TITLES = {"dictionary": "Dictionary", "hellogame": "hellogame", "firstlast": "firstlast"}


def _cells(game: GameSummary) -> tuple[str, ...]:
    models = " / ".join(dict.fromkeys(model_name(m) for m in game.models))
    return (
        str(game.id),
        GAME_TITLES.get(game.game, game.game),
        game.summary,
        models,
        _outcome_cell(game),
        f"{game.rounds_played}/{game.rounds}",
        last_played(game.updated),
    )


def _outcome_cell(game: GameSummary) -> str:
    """Playing or aborted; a finished game says how it ended (success, lose)."""
    if game.status.value == "finished" and game.outcome:
        return game.outcome.split(":")[0]
    return game.status.value

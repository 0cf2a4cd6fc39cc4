"""What the screens say (issue 15, traps 8 to 14): exports, figures, model names, the lists,
error texts, dialogs and the log, each checked the way a person ran into it."""

from __future__ import annotations

import logging
import subprocess
from pathlib import Path

import pytest
import test_tui_support as support
from test_terminal_text import DICTGAME
from test_tui_support import Gate, wait_until
from textual.widgets import DataTable, Input, Markdown, Static

from dictgame.engine.core.episode import GameMaster
from dictgame.engine.games.dictionary.dictionary import Operation, OperationKind
from dictgame.engine.games.dictionary.export import game_markdown
from dictgame.engine.games.dictionary.state import GameState
from dictgame.engine.scripted import ScriptedBackend
from dictgame.models import embedded_model_path
from dictgame.saves import GameStore
from dictgame.tui.games.dictionary.entry_editor import EntryEditor
from dictgame.tui.games.dictionary.table import DictionaryTable
from dictgame.tui.screens.app import DictgameApp
from dictgame.tui.screens.export_modal import ExportModal
from dictgame.tui.screens.game_screen import GameScreen
from dictgame.tui.screens.help_screen import HelpScreen
from dictgame.tui.screens.home_screen import HomeScreen
from dictgame.tui.screens.new_game_screen import NewGameScreen
from dictgame.tui.services.config import DictgameConfig
from dictgame.tui.services.game_modes import Mode
from dictgame.tui.services.logs import setup_logging
from dictgame.tui.services.model_names import model_title
from dictgame.tui.widgets.confirm_modal import ConfirmModal
from dictgame.tui.widgets.footer import FittingFooter

config = support.config
release_gates = support.release_gates

SIZE = (120, 40)


def footer_text(app: DictgameApp) -> str:
    keys = app.screen.query_one(FittingFooter).children
    return " ".join(f"{key.key_display} {key.description}" for key in keys)  # type: ignore[attr-defined]


def stored_game(config: DictgameConfig, moves: int, seed: int = 3) -> int:
    """A game saved after `moves` moves of the scripted players."""
    backend = ScriptedBackend()
    with GameStore.open(config.db) as store:
        settings = config.game_settings(seed=seed)
        game_id = store.create_game(settings)
        state = GameState(settings)
        master = GameMaster(state, (backend.session(Path("a")), backend.session(Path("b"))))
        for _ in range(moves):
            store.save_move(game_id, state, master.play_next_move())
    return game_id


# -- 8: export ------------------------------------------------------------------------------


def test_markdown_export_says_user_for_entries_the_person_edited(config: DictgameConfig) -> None:
    state = GameState(config.game_settings(seed=3))
    backend = ScriptedBackend()
    master = GameMaster(state, (backend.session(Path("a")), backend.session(Path("b"))))
    for _ in range(4):
        master.play_next_move()
    learned = next(iter(state.dictionaries[0]))
    state.edit(0, Operation(kind=OperationKind.REVISE, foreign=learned.foreign, meaning="fixed"))
    state.edit(0, Operation(kind=OperationKind.ADD, foreign="zzz", meaning="added"))
    rows = [line for line in game_markdown(1, state).splitlines() if line.startswith("| ")]
    assert any(f"| {learned.foreign} | fixed |" in row and "| user |" in row for row in rows)
    assert any("| zzz | added |" in row and "| user |" in row for row in rows)
    assert not any("| player |" in row for row in rows)


async def test_a_second_export_asks_before_writing_over(
    config: DictgameConfig, tmp_path: Path
) -> None:
    game_id = stored_game(config, 2)
    folder = tmp_path / "exports"
    app = DictgameApp(config, backend=ScriptedBackend())
    async with app.run_test(size=SIZE) as pilot:
        for answer in (None, "n", "y"):
            await pilot.press("x")
            assert isinstance(app.screen, ExportModal)
            app.screen.query_one("#folder", Input).value = str(folder)
            await pilot.press("enter")
            if answer is None:
                await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
                (folder / f"dictgame-{game_id}.md").write_text("kept on purpose")
                continue
            await wait_until(pilot, lambda: isinstance(app.screen, ConfirmModal))
            assert f"dictgame-{game_id}.md" in str(app.screen.question)  # type: ignore[attr-defined]
            await pilot.press(answer)
            if answer == "n":
                assert isinstance(app.screen, ExportModal)
                assert (folder / f"dictgame-{game_id}.md").read_text() == "kept on purpose"
                await pilot.press("escape")
            await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
    assert (folder / f"dictgame-{game_id}.md").read_text().startswith("# dictgame")


async def test_typing_in_the_export_folder_goes_on_from_the_folder_shown(
    config: DictgameConfig,
) -> None:
    stored_game(config, 2)
    app = DictgameApp(config, backend=ScriptedBackend())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("x")
        shown = app.screen.query_one("#folder", Input).value
        await pilot.press(*"/sub")
        assert app.screen.query_one("#folder", Input).value == shown + "/sub"


# -- 9: figures that agree and are explained ---------------------------------------------------


async def test_the_saved_games_and_the_game_count_rounds_the_same(config: DictgameConfig) -> None:
    stored_game(config, 3)  # round 1 played, Alice has spoken in round 2
    app = DictgameApp(config, backend=ScriptedBackend())
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one("#games", DataTable)
        assert str(table.get_row_at(0)[3]) == "2 of 3"
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, GameScreen))
        status = str(app.screen.query_one("#status-line", Static).content)
        assert status.startswith("Round 2 of 3")


async def test_every_figure_on_the_status_line_is_explained_in_help(
    config: DictgameConfig,
) -> None:
    stored_game(config, 4)
    app = DictgameApp(config, backend=ScriptedBackend())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, GameScreen))
        status_line = app.screen.query_one("#status-line", Static)
        assert status_line.tooltip
        status = str(status_line.content)
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        help_text = app.screen.query_one(Markdown).source
    figures = help_text.split("## What the figures mean")[1]
    for shown, explained in [
        ("Round 3 of 3", "| Round 2 of 4 |"),
        ("common", "| common 1 (17%) |"),
        ("requests", "| requests 7 parsed 6 violated 1 |"),
        ("Alice", "| Alice 3, Bruno 4 |"),
    ]:
        assert shown in status and explained in figures, shown
    assert "lowers the common count and the agreement" in " ".join(figures.split())


# -- 10: one model, one name; the form remembers ------------------------------------------------


def test_dictgame_models_marks_the_default_under_the_one_name(tmp_path: Path) -> None:
    listed = subprocess.run([DICTGAME, "models"], capture_output=True, text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    default = [line for line in listed.stdout.splitlines() if line.startswith("* ")]
    assert len(default) == 1 and default[0].split()[1] == model_title(embedded_model_path())
    assert model_title(None) == model_title(embedded_model_path())


async def test_the_form_shows_models_under_the_one_name(tmp_path: Path) -> None:
    real = DictgameConfig(db=tmp_path / "g.db", backend="llama", seed=1)
    app = DictgameApp(real)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        form = app.screen
        assert isinstance(form, NewGameScreen)
        select = form.query_one("#model-a")
        await wait_until(pilot, lambda: "MiB" in str(select._options[0][0]))  # type: ignore[attr-defined]
        assert str(select._options[0][0]).startswith(f"{model_title(None)} (embedded, ")  # type: ignore[attr-defined]


async def test_the_new_game_form_remembers_the_last_games_choices(config: DictgameConfig) -> None:
    # What the config sets wins over the form's memory (test_first_use_form): none of it here.
    config = config.model_copy(update={"games": {}})
    app = DictgameApp(config, backend=ScriptedBackend())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        form = app.screen
        for field, value in (("name-a", "Zoé"), ("lang-b", "French"), ("rounds", "2")):
            form.query_one(f"#{field}", Input).value = value
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, GameScreen))
    again = DictgameApp(config, backend=ScriptedBackend())
    async with again.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        form = again.screen
        assert isinstance(form, NewGameScreen)
        shown = {f: form.query_one(f"#{f}", Input).value for f in ("name-a", "lang-b", "rounds")}
        assert shown == {"name-a": "Zoé", "lang-b": "French", "rounds": "2"}


# -- 11: the CLI and the UI list a game the same way ---------------------------------------------


async def test_dictgame_list_and_the_home_list_say_the_same(config: DictgameConfig) -> None:
    stored_game(config, 3)
    listed = subprocess.run(
        [DICTGAME, "list", "--db", str(config.db)], capture_output=True, text=True, timeout=60
    )
    cli_row = listed.stdout.splitlines()[1]
    app = DictgameApp(config, backend=ScriptedBackend())
    async with app.run_test(size=(80, 24)) as pilot:
        table = app.screen.query_one("#games", DataTable)
        cells = [str(cell) for cell in table.get_row_at(0)]
        for cell in cells:
            assert cell in cli_row, cell
        last_played = cells[5]
        assert len(last_played) == len("2025-06-01 12:00")
        # At 80 columns the date is shown whole: only the last columns may be cut.
        column = table.ordered_columns[5]
        assert sum(c.get_render_width(table) for c in table.ordered_columns[:6]) <= 80
        assert column.label.plain == "last played"
        await pilot.pause()


# -- 12: error texts -----------------------------------------------------------------------------


async def test_a_second_wrong_model_path_replaces_the_first(
    config: DictgameConfig, tmp_path: Path
) -> None:
    readme = tmp_path / "notes.md"
    readme.write_text("# dictgame notes\n")
    real = config.model_copy(update={"backend": "llama"})
    app = DictgameApp(real)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        form = app.screen
        path = form.query_one("#path-a", Input)
        path.focus()
        await pilot.press(*str(readme), "ctrl+s")
        error = form.query_one("#path-a-error", Static)
        assert 'Not a GGUF file (it starts with the text "# di").' in str(error.content)
        await pilot.press(*str(tmp_path / "other.gguf"), "ctrl+s")
        assert path.value == str(tmp_path / "other.gguf")
        assert "Does not exist." in str(error.content)


# -- 13: dialogs ---------------------------------------------------------------------------------


async def test_a_dialog_shows_its_own_keys_and_escape_closes_it(
    config: DictgameConfig, release_gates: list[Gate]
) -> None:
    gate = Gate(stop_at=6)
    release_gates.append(gate)
    app = DictgameApp(config, new_game=config.game_settings(seed=7), backend=ScriptedBackend(gate))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        await wait_until(pilot, gate.waiting.is_set)
        gate.released.set()
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, EntryEditor))
        await pilot.pause()
        keys = footer_text(app)
        assert "Save" in keys and "esc Cancel" in keys
        assert "Pause" not in keys and "Resume" not in keys and "Step" not in keys
        await pilot.press("escape")
        assert app.screen is screen
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.pause()
        assert "esc Close" in footer_text(app)
        assert "`escape` closes every dialog" in app.screen.query_one(Markdown).source
        await pilot.press("escape")
        assert app.screen is screen


async def test_the_empty_common_view_says_what_will_show_there(config: DictgameConfig) -> None:
    stored_game(config, 1)
    app = DictgameApp(config, backend=ScriptedBackend())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, GameScreen))
        screen = app.screen
        await wait_until(pilot, lambda: screen.mode is Mode.PAUSED)
        empty = screen.query_one("#dictionary-empty", Static)
        assert empty.display and "No entries yet" in str(empty.content)
        await pilot.press("v")
        await pilot.pause()
        assert screen.query_one(DictionaryTable).view.value == "common"
        assert "No common pair yet" in str(empty.content)
        assert "v View" in footer_text(app)


# -- 14: the log ---------------------------------------------------------------------------------


@pytest.mark.real_model
@pytest.mark.parametrize("debug", [False, True])
def test_llama_debug_lines_stay_out_of_the_log_unless_asked(tmp_path: Path, debug: bool) -> None:
    from dictgame.engine.players.llama import LlamaBackend

    log = tmp_path / "dictgame.log"
    setup_logging(log, llama_debug=debug)
    try:
        backend = LlamaBackend(n_ctx=512, n_threads=1)
        backend.session(embedded_model_path())
        backend.close()
    finally:
        for handler in logging.getLogger("dictgame").handlers:
            handler.flush()
    text = log.read_text()
    assert ("DEBUG dictgame.llama" in text) is debug
    assert "INFO dictgame.llama" in text  # what matters stays
    if not debug:
        assert log.stat().st_size < 100_000


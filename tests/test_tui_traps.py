"""The traps a new user fell into (issue 15), each replayed the way the person hit it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import threading
import time
from pathlib import Path

import pytest
import test_tui_support as support
from test_terminal_text import DICTGAME, SCRIPTED, in_terminal
from test_tui_support import Gate, wait_until
from textual.widgets import DataTable, Input, Static

from dictgame.engine.games import BUILTIN
from dictgame.engine.scripted import ScriptedBackend
from dictgame.saves import GameStore
from dictgame.tui.cli.main import build_parser
from dictgame.tui.games import front_of
from dictgame.tui.games.dictionary.entry_editor import EntryEditor
from dictgame.tui.games.dictionary.table import DictionaryTable
from dictgame.tui.screens.app import DictgameApp
from dictgame.tui.screens.game_screen import GameScreen
from dictgame.tui.screens.help_screen import HelpScreen, key_tables
from dictgame.tui.screens.home_screen import HomeScreen
from dictgame.tui.services.config import ConfigError, DictgameConfig, load_config
from dictgame.tui.services.game_modes import Mode
from dictgame.tui.services.keys import KEYS, ids_of, with_own
from dictgame.tui.widgets.confirm_modal import ConfirmModal
from dictgame.tui.widgets.footer import FittingFooter

config = support.config
release_gates = support.release_gates

SIZE = (120, 40)
USING_DOC = Path(__file__).parents[1] / "docs" / "using.md"


def footer_text(app: DictgameApp) -> str:
    footer = app.screen.query_one(FittingFooter)
    return " ".join(f"{key.key_display} {key.description}" for key in footer.children)  # type: ignore[attr-defined]


def status_text(screen: GameScreen) -> str:
    return str(screen.query_one("#status-line", Static).content)


def streaming(screen: GameScreen) -> bool:
    return any(pane.stream_text for pane in screen.panes)


def saved_games(config: DictgameConfig, count: int) -> list[int]:
    with GameStore.open(config.db) as store:
        return [store.create_game(config.game_settings(seed=n)) for n in range(count)]


# -- 1: the README's own remap -----------------------------------------------------------


async def test_remapped_pause_key_also_resumes_and_help_says_so(config: DictgameConfig) -> None:
    remapped = config.model_copy(
        update={"ui": config.ui.model_copy(update={"keys": {"game.pause": "p"}})}
    )
    backend = ScriptedBackend(token_delay=0.05)
    app = DictgameApp(remapped, new_game=remapped.game_settings(seed=3), backend=backend)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, GameScreen)
        await wait_until(pilot, lambda: streaming(screen))
        await pilot.press("p")
        await wait_until(pilot, lambda: screen.mode is Mode.PAUSED)
        assert "p Resume" in footer_text(app)
        played = screen.state.moves_played
        await pilot.press("space")  # no longer a key of the game
        await pilot.pause(0.2)
        assert screen.mode is Mode.PAUSED
        await pilot.press("p")
        await wait_until(pilot, lambda: screen.state.moves_played > played)
        assert screen.mode is Mode.PLAYING
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        help_text = app.screen.query_one("Markdown").source  # type: ignore[attr-defined]
        assert "| `p` | `game.pause` |" in help_text
        assert "`space`" not in help_text.split("### Playing")[1].split("###")[0]


def test_a_mistyped_binding_id_is_refused_naming_the_known_ones(tmp_path: Path) -> None:
    """The app refuses it as it starts, naming the ids of the app and of every game's front
    end (Deal or No Deal's propose key is declared beside its front end)."""
    path = tmp_path / "config.toml"
    path.write_text('[ui]\nkeys = { "game.pase" = "p" }\n')
    config = load_config(path, db=tmp_path / "games.db")
    with pytest.raises(ConfigError) as refused:
        DictgameApp(config)  # refused before it opens the save file
    message = str(refused.value)
    assert f"config file {path}: ui.keys" in message and "'game.pase'" in message
    assert "game.pause" in message and "person.propose" in message and "game.truth" in message
    assert "\n" not in message
    path.write_text('[ui]\nkeys = { "person.propose" = "ctrl+r", "game.truth" = "T" }\n')
    DictgameApp(load_config(path, db=tmp_path / "games.db")).store.close()  # a game's own ids


def test_help_and_the_docs_list_every_binding_id() -> None:
    readme = USING_DOC.read_text("utf-8")
    tables = key_tables({})
    own = [key for name in BUILTIN for key in front_of(name).keys]
    assert {"game.edit", "person.learn", "person.propose"} <= set(ids_of(own))
    for binding_id in ids_of(with_own(KEYS, own)):
        assert f"`{binding_id}`" in readme, binding_id
        assert f"`{binding_id}`" in tables, binding_id


# -- 2: global flags --------------------------------------------------------------------


def test_global_flags_work_with_no_command_and_before_any_command(tmp_path: Path) -> None:
    parser = build_parser()
    ui = parser.parse_args(["--db", "other.db"])
    assert ui.command is None and ui.db == Path("other.db")
    before = parser.parse_args(["--threads", "3", "--db", "x.db", "resume", "5"])
    assert (before.command, before.threads, before.db, before.game_id) == ("resume", 3, Path("x.db"), 5)
    after = parser.parse_args(["resume", "5", "--threads", "3"])
    assert after.threads == 3
    db = tmp_path / "g.db"
    listed = subprocess.run(
        [DICTGAME, "--db", str(db), "--threads", "1", "list"],
        capture_output=True, text=True, timeout=60,
    )
    assert listed.returncode == 0, listed.stderr
    assert "No saved games yet" in listed.stdout


# -- 15: no terminal ---------------------------------------------------------------------


@pytest.mark.parametrize("args", [(), ("resume", "1"), ("new",)])
def test_the_ui_without_a_terminal_refuses_at_once(tmp_path: Path, args: tuple[str, ...]) -> None:
    started = time.monotonic()
    result = subprocess.run(
        [DICTGAME, *args, "--db", str(tmp_path / "g.db")],
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=30,
        env={**os.environ, **SCRIPTED},
    )
    assert result.returncode == 2
    assert time.monotonic() - started < 10
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "--headless" in lines[0]
    assert result.stdout == ""


def test_resume_of_a_missing_game_in_a_terminal_is_one_line_and_exit_2(tmp_path: Path) -> None:
    code, output = in_terminal("resume", "99", "--db", str(tmp_path / "g.db"), env=SCRIPTED)
    assert code == 2
    text = output.decode()
    assert len(text.strip().splitlines()) == 1 and "99" in text


# -- 5: acting on the wrong row --------------------------------------------------------------


async def test_back_home_the_cursor_is_on_the_game_just_left(config: DictgameConfig) -> None:
    first, second, third = saved_games(config, 3)
    app = DictgameApp(config, backend=ScriptedBackend())
    async with app.run_test(size=SIZE) as pilot:
        home = app.screen
        assert isinstance(home, HomeScreen)
        table = home.query_one("#games", DataTable)
        table.move_cursor(row=table.get_row_index(str(third)))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, GameScreen))
        await wait_until(pilot, lambda: app.screen.mode is Mode.PAUSED)  # type: ignore[attr-defined]
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        assert home.selected_game == third
        await pilot.press("delete")
        assert isinstance(app.screen, ConfirmModal)
        question = str(app.screen.question)
        assert f"game {third}: Dictionary Discovery, English / Spanish, Alice, Bruno" in question
        assert "round 1 of 3" in question and "last played" in question


def test_a_deleted_game_id_is_never_given_again(config: DictgameConfig) -> None:
    with GameStore.open(config.db) as store:
        first = store.create_game(config.game_settings(seed=1))
        second = store.create_game(config.game_settings(seed=2))
        store.delete_game(second)
        third = store.create_game(config.game_settings(seed=3))
    with GameStore.open(config.db) as store:  # and after opening the file again
        store.delete_game(third)
        fourth = store.create_game(config.game_settings(seed=4))
    assert (first, second, third, fourth) == (1, 2, 3, 4)


async def test_edit_with_no_row_chosen_asks_to_choose_one(
    config: DictgameConfig, release_gates: list[Gate]
) -> None:
    gate = Gate(stop_at=6)
    release_gates.append(gate)
    app = DictgameApp(config, new_game=config.game_settings(seed=7), backend=ScriptedBackend(gate))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, GameScreen)
        await wait_until(pilot, gate.waiting.is_set)
        table = screen.query_one(DictionaryTable).table
        await wait_until(pilot, lambda: table.row_count > 0)
        screen.query_one("#pane-a").focus()
        table.move_cursor(row=table.row_count - 1)  # where a repaint may leave it
        await pilot.press("e")
        assert app.screen is screen, "no editor on a row nobody chose"
        assert table.has_focus
        gate.released.set()
        await pilot.press("up")
        chosen = screen.query_one(DictionaryTable).selected
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, EntryEditor))
        assert app.screen.row == chosen  # type: ignore[attr-defined]


async def test_the_chosen_game_stands_out_in_the_nord_theme(config: DictgameConfig) -> None:
    saved_games(config, 2)
    app = DictgameApp(config, backend=ScriptedBackend())
    async with app.run_test(size=SIZE) as pilot:
        app.theme = "nord"
        await pilot.press("tab")  # to the buttons: the list keeps its cursor, unfocused
        await pilot.pause()
        table = app.screen.query_one("#games", DataTable)
        assert not table.has_focus
        row = table.background_colors[1]
        cursor = row + table.get_component_styles("datatable--cursor").background
        assert abs(cursor.brightness - row.brightness) > 0.2, (cursor, row)


# -- 7: pause while loading; a saved game opens paused ---------------------------------------


class SlowLoading(ScriptedBackend):
    """Seats its players only once `loaded` is set, as a big model takes its time to load."""

    def __init__(self) -> None:
        super().__init__()
        self.loaded = threading.Event()

    def session(self, model_path: Path):  # type: ignore[no-untyped-def]
        self.loaded.wait(timeout=30)
        return super().session(model_path)


async def test_space_while_the_models_load_keeps_the_new_game_paused(
    config: DictgameConfig,
) -> None:
    backend = SlowLoading()
    app = DictgameApp(config, new_game=config.game_settings(seed=7), backend=backend)
    try:
        async with app.run_test(size=SIZE) as pilot:
            screen = app.screen
            assert isinstance(screen, GameScreen)
            assert screen.mode is Mode.LOADING
            assert "space Pause" in footer_text(app)
            await pilot.press("space")
            await pilot.pause()
            assert "loading models, then paused" in status_text(screen)
            assert "space Resume" in footer_text(app)
            backend.loaded.set()
            await wait_until(pilot, lambda: screen.mode is Mode.PAUSED)
            await pilot.pause(0.2)
            assert screen.state.moves_played == 0
            await pilot.press("space")
            await wait_until(pilot, lambda: screen.state.moves_played > 0)
    finally:
        backend.loaded.set()


@pytest.mark.parametrize("play_on_open", [False, True])
async def test_a_saved_game_opens_paused_unless_the_config_says_play(
    config: DictgameConfig, play_on_open: bool
) -> None:
    saved_games(config, 1)
    ui = config.ui.model_copy(update={"play_on_open": play_on_open})
    app = DictgameApp(config.model_copy(update={"ui": ui}), backend=ScriptedBackend())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, GameScreen))
        screen = app.screen
        assert isinstance(screen, GameScreen)
        if play_on_open:
            await wait_until(pilot, lambda: screen.state.moves_played > 0)
            return
        await wait_until(pilot, lambda: screen.mode is Mode.PAUSED)
        await pilot.pause(0.2)
        assert screen.state.moves_played == 0
        await pilot.press("a")  # look, edit...
        assert isinstance(app.screen, EntryEditor)
        await pilot.press("escape", "space")  # ...then play
        await wait_until(pilot, lambda: screen.state.moves_played > 0)


# -- 6: a sign of work in progress -------------------------------------------------------------


async def test_pause_says_stopping_until_the_move_being_written_is_dropped(
    config: DictgameConfig, release_gates: list[Gate]
) -> None:
    gate = Gate(stop_at=3)
    release_gates.append(gate)
    app = DictgameApp(config, new_game=config.game_settings(seed=7), backend=ScriptedBackend(gate))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, GameScreen)
        await wait_until(pilot, gate.waiting.is_set)  # the player is busy with a request
        await pilot.press("space")
        await pilot.pause(0.3)
        assert screen.mode is Mode.STOPPING
        assert "stopping…" in status_text(screen)
        gate.released.set()
        await wait_until(pilot, lambda: screen.mode is Mode.PAUSED)
        assert "paused" in status_text(screen)


async def test_back_says_stopping_until_the_worker_lets_go(
    config: DictgameConfig, release_gates: list[Gate]
) -> None:
    gate = Gate(stop_at=3)
    release_gates.append(gate)
    app = DictgameApp(config, new_game=config.game_settings(seed=7), backend=ScriptedBackend(gate))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, GameScreen)
        await wait_until(pilot, gate.waiting.is_set)
        # The key's action waits for the worker: press it alongside, as a person would.
        pressing = asyncio.create_task(pilot.press("escape"))
        await wait_until(pilot, lambda: "stopping…" in status_text(screen))
        assert app.screen is screen
        gate.released.set()
        await pressing
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))


# -- 4: add of an existing word -------------------------------------------------------------------


async def test_adding_a_word_already_held_says_so_and_offers_to_edit_it(
    config: DictgameConfig,
) -> None:
    app = DictgameApp(config, new_game=config.game_settings(seed=7), backend=ScriptedBackend())
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, GameScreen)
        await wait_until(pilot, lambda: screen.mode is Mode.FINISHED)
        held = next(iter(screen.state.dictionaries[0]))
        await pilot.press("a")
        editor = app.screen
        assert isinstance(editor, EntryEditor) and editor.owner == 0
        await pilot.press(*held.foreign.upper(), "tab", *"overwritten", "enter")
        assert app.screen is editor, "nothing saved yet"
        await pilot.pause()
        error = str(editor.query_one("#foreign-error", Static).content)
        assert f'"{held.foreign}" is already in Alice\'s dictionary' in error
        assert "ctrl+o" in error and "Edit it" in footer_text(app)
        assert screen.state.dictionaries[0].get(held.foreign) == held
        await pilot.press("ctrl+o")
        assert str(editor.query_one(".dialog-title", Static).content) == "Edit entry"
        assert editor.query_one("#meaning", Input).value == held.meaning
        await pilot.press("end", "ctrl+u", *"fixed", "enter")
        await wait_until(pilot, lambda: app.screen is screen)
        assert screen.state.dictionaries[0].get(held.foreign).meaning == "fixed"  # type: ignore[union-attr]


# -- 3: 80x24 (the snapshots show every screen and dialog; this is the pane titles) ---------


@pytest.mark.parametrize(("size", "model_shown"), [((120, 40), True), ((80, 24), False)])
async def test_pane_titles_fit_their_pane(
    config: DictgameConfig, size: tuple[int, int], model_shown: bool
) -> None:
    # Long names, so that at 80x24 a pane has no room for who plays it (the scripted players:
    # the panes name who really plays, whatever model the configuration names).
    named = config.model_copy(update={"backend": "llama", "name_a": "Alice Wilhelmina Hohenzollern",
                                      "name_b": "Bruno Maximilian Castellanos"})
    app = DictgameApp(named, new_game=named.game_settings(seed=7), backend=ScriptedBackend())
    async with app.run_test(size=size) as pilot:
        screen = app.screen
        assert isinstance(screen, GameScreen)
        await wait_until(pilot, lambda: screen.mode is Mode.FINISHED)
        for pane in screen.panes:
            title = str(pane.border_title)
            assert len(title) <= pane.size.width - 6
            assert ("scripted" in title) is model_shown
            assert str(pane.tooltip).endswith(" · scripted") and "SmolLM2" not in str(pane.tooltip)

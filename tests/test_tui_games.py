"""Games other than Dictionary Discovery in the terminal UI, chosen in the new-game form as a
person would: the game screen shows the chat panes and the game's own panel."""

from __future__ import annotations

import re
from typing import Any

import test_tui_support as support
from test_tui_support import wait_until
from textual.widgets import DataTable, Select, Static
from textual.widgets._select import SelectOverlay

from dictgame.engine.backend import GenerationRequest
from dictgame.engine.scripted import ScriptedBackend
from dictgame.tui.screens.app import DictgameApp
from dictgame.tui.screens.game_screen import GameScreen, Mode
from dictgame.tui.screens.home_screen import HomeScreen
from dictgame.tui.screens.new_game_screen import NewGameScreen
from dictgame.tui.services.config import DictgameConfig

SIZE = (120, 40)

# The scripted config fixture; conftest.py isolates data paths.
config = support.config


def greeter(request: GenerationRequest) -> str:
    """Greets whoever the game master names, as the rules ask."""
    name = re.search(r"welcome (\w+)\.", request.messages[-1].content)
    guest = name.group(1) if name else "friend"
    return f"GREET: Hello {guest}, welcome!"


async def choose_game(pilot: Any, app: DictgameApp, title: str) -> None:
    """Open the game list, move down to the game, pick it: as a person does with the keys."""
    select = app.screen.query_one("#game", Select)
    select.focus()
    await pilot.press("enter")
    await wait_until(pilot, lambda: select.expanded)
    overlay = select.query_one(SelectOverlay)
    titles = [str(prompt) for prompt, _ in select._options]
    target = titles.index(title)
    for _ in range(2 * len(titles)):
        if overlay.highlighted == target:
            break
        await pilot.press("down" if (overlay.highlighted or 0) < target else "up")
        await pilot.pause(0.05)
    await pilot.press("enter")
    await wait_until(pilot, lambda: not select.expanded)
    assert select.selection is not None


async def test_hellogame_is_chosen_played_and_judged_in_its_panel(config: DictgameConfig) -> None:
    app = DictgameApp(config, backend=ScriptedBackend(greeter))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, NewGameScreen))
        await choose_game(pilot, app, "Hello Game")
        form = app.screen
        await wait_until(pilot, lambda: form.query_one("#instance-settings").display)
        assert not form.query_one("#lang-a").region  # Dictionary Discovery's fields are hidden
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, GameScreen))
        screen = app.screen
        assert isinstance(screen, GameScreen)
        await wait_until(pilot, lambda: screen.mode is Mode.FINISHED)
        panel = str(screen.query_one("#game-panel", Static).render())
        guest = screen.state.settings.target_name
        assert guest in panel and "success" in panel
        assert "requests 1, violated 0" in str(screen.query_one("#status-line", Static).render())
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        row = app.screen.query_one("#games", DataTable).get_row_at(0)
        assert [str(cell) for cell in row[1:3]] == ["hellogame", f"{guest} (en)"]
        assert str(row[4]) == "success"


async def test_firstlast_shows_its_letter_track(config: DictgameConfig) -> None:
    def speaker(request: GenerationRequest) -> str:
        found = re.search(r"Your letter is (\w)", request.messages[-1].content)
        letter = found.group(1).lower() if found else "?"
        return f"I SAY: {letter}ight {letter}ovely {letter}ong"

    app = DictgameApp(config, backend=ScriptedBackend(speaker))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, NewGameScreen))
        await choose_game(pilot, app, "First and Last")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, GameScreen))
        screen = app.screen
        assert isinstance(screen, GameScreen)
        await wait_until(pilot, lambda: screen.mode is Mode.FINISHED)
        track = screen.query_one("#game-panel").query_one(DataTable)
        turns = screen.state.settings.turns
        assert track.row_count == screen.state.moves_played == turns
        assert [str(track.get_row_at(i)[-1]) for i in range(turns)] == ["ok"] * turns
        assert "success" in str(screen.query_one("#status-line", Static).render())


async def test_a_damaged_game_is_named_on_the_home_screen_and_the_others_open(
    config: DictgameConfig,
) -> None:
    import sqlite3
    from pathlib import Path

    from dictgame.engine.core.episode import GameMaster, play
    from dictgame.engine.games import get_game
    from dictgame.saves import GameStore

    with GameStore.open(config.db) as store:
        for seed in (1, 2):
            settings = config.game_settings(seed, "hellogame")
            game_id = store.create_game(settings)
            state = get_game("hellogame").new_state(settings)
            backend = ScriptedBackend(greeter)
            master = GameMaster(state, (backend.session(Path("a")), None))
            play(master, store.saver(game_id))
    with sqlite3.connect(config.db) as connection:
        connection.execute("update moves set record_json = '[]' where game_id = 1")
    connection.close()
    app = DictgameApp(config, backend=ScriptedBackend(greeter))
    async with app.run_test(size=SIZE) as pilot:
        table = app.screen.query_one("#games", DataTable)
        assert table.row_count == 2
        table.move_cursor(row=table.get_row_index("1"))
        await pilot.press("enter")
        await wait_until(pilot, lambda: any("Saved game 1 is damaged" in str(n.message)
                                            for n in app._notifications))
        assert isinstance(app.screen, HomeScreen)
        table.move_cursor(row=table.get_row_index("2"))
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, GameScreen))

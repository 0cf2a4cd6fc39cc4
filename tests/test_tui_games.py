"""Games other than Dictionary Discovery in the terminal UI, chosen in the new-game form as a
person would: the game screen shows the chat panes and the game's own panel."""

from __future__ import annotations

import re
from typing import Any

import test_tui_support as support
from test_tui_support import wait_until
from textual.widgets import DataTable, Select, Static

from dictgame.engine.backend import GenerationRequest
from dictgame.engine.scripted import ScriptedBackend
from dictgame.tui.app import DictgameApp
from dictgame.tui.config import DictgameConfig
from dictgame.tui.game_screen import GameScreen, Mode
from dictgame.tui.home_screen import HomeScreen
from dictgame.tui.new_game_screen import NewGameScreen

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
    titles = [str(prompt) for prompt, _ in select._options]
    values = [value for _, value in select._options]
    # From the game shown; games registered by other tests may come first in the list.
    for _ in range(titles.index(title) - values.index(select.value)):
        await pilot.press("down")
    await pilot.press("enter")
    await wait_until(pilot, lambda: not select.expanded)


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

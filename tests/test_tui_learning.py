"""A grounded game as a person watches it (issue 23): the panes read round by round; an
invented game is not titled by a real language."""

from __future__ import annotations

import re
from typing import Any

import test_tui_support as support
from test_tui_support import wait_until
from textual.widgets import DataTable, Input, Label

from dictgame.engine.scripted import ScriptedBackend
from dictgame.tui.app import DictgameApp
from dictgame.tui.config import DictgameConfig
from dictgame.tui.entry_editor import EntryEditor
from dictgame.tui.game_screen import GameScreen, Mode

config = support.config


def grounded(config: DictgameConfig, mode: str, rounds: int) -> DictgameApp:
    config.games["dictionary"].update(mode=mode, rounds=rounds)
    return DictgameApp(config, new_game=config.game_settings(seed=7), backend=ScriptedBackend())


async def finished(app: DictgameApp, pilot: Any) -> GameScreen:
    await wait_until(pilot, lambda: isinstance(app.screen, GameScreen))
    screen = app.screen
    assert isinstance(screen, GameScreen)
    await wait_until(pilot, lambda: screen.mode is Mode.FINISHED, timeout=60)
    await pilot.pause()
    return screen


def pane_text(screen: GameScreen, seat: int) -> str:
    return "\n".join(str(bubble.render()) for bubble in screen.panes[seat].bubbles)


async def test_the_panes_follow_the_rounds(config: DictgameConfig) -> None:
    app = grounded(config, "scenes", rounds=6)
    async with app.run_test(size=(140, 60)) as pilot:
        screen = await finished(app, pilot)
        records = screen.state.records
        for seat in (0, 1):
            text = pane_text(screen, seat)
            rounds = [int(n) for n in re.findall(r"round (\d+)", text)]
            # Every round, in order, none skipped.
            assert rounds == sorted(rounds) and sorted(set(rounds)) == list(range(1, 7))
            assert not re.search(r"said\s*$", text, re.M)
        for record in records[1:]:  # each decided round, in its listener's pane
            own = str(screen.panes[record.seat].bubbles[record.move_index].render())
            assert own.startswith(f"{screen.state.settings.players[record.seat].name}  round {record.round}")
            verdict = "right" if record.guessed_right else "wrong"
            assert f'heard "{record.incoming}" · guessed ' in own and verdict in own
            if record.message:
                assert f"round {record.round + 1} · said {record.message}" in own
            heard = str(screen.panes[1 - record.seat].bubbles[record.move_index].render())
            assert f'took your "{record.incoming}" for ' in heard or "guessed nothing" in heard


async def test_an_invented_game_is_not_titled_by_a_real_language(config: DictgameConfig) -> None:
    app = grounded(config, "invented", rounds=4)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await finished(app, pilot)
        players = screen.state.settings.players
        for pane, player in zip(screen.panes, players):
            title = str(pane.border_title)
            assert title.startswith(player.name) and "invented language" in title
            assert player.language not in title
        table = screen.query_one("#dictionary", DataTable)
        assert [str(c.label) for c in table.columns.values()][:2] == [p.name for p in players]
        await pilot.press("a")
        await wait_until(pilot, lambda: isinstance(app.screen, EntryEditor))
        editor = app.screen
        foreign = str(editor.query_one("#foreign-label", Label).render())
        meaning = str(editor.query_one("#meaning-label", Label).render())
        assert foreign == f"Word in {players[1].name}'s language"
        assert meaning == f"Meaning in {players[0].name}'s language"
        assert editor.query_one("#foreign", Input).has_focus

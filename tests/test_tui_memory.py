"""The memory inspector (issue 11): a key opens, for each player, what its latest move
retrieved with the three scores, and its reflections."""

from __future__ import annotations

import test_tui_support as support
from test_tui_support import wait_until
from textual.widgets import Static

from dictgame.engine.scripted import ScriptedBackend
from dictgame.tui.screens.app import DictgameApp
from dictgame.tui.screens.game_screen import GameScreen, Mode
from dictgame.tui.screens.memory_inspector import MemoryInspector
from dictgame.tui.services.config import DictgameConfig

config = support.config
SIZE = (120, 40)


async def test_memory_key_shows_what_each_player_retrieved_and_reflected(
    config: DictgameConfig,
) -> None:
    plain = config.game_settings(seed=7)
    settings = type(plain).model_validate(
        {**plain.model_dump(), "rounds": 8, "memory": {"reflection_threshold": 20}})
    app = DictgameApp(config, new_game=settings, backend=ScriptedBackend())
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, GameScreen)
        await wait_until(pilot, lambda: screen.mode is Mode.FINISHED, timeout=30)
        await pilot.press("m")
        await wait_until(pilot, lambda: isinstance(app.screen, MemoryInspector))
        state = screen.state
        for seat in (0, 1):
            shown = str(app.screen.query_one(f"#memory-{seat}", Static).content)
            latest = next(r for r in reversed(state.moves) if r.seat == seat and r.retrieved)
            assert f"retrieved for move {latest.move_index}" in shown
            best = state.memories[seat].memories[latest.retrieved[0].id]
            assert best.text in shown
            assert f"relevance {latest.retrieved[0].relevance:.2f}" in shown
            for reflection in state.memories[seat].reflections():
                assert reflection.text in shown
        assert any(state.memories[seat].reflections() for seat in (0, 1))
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen)


async def test_memory_key_is_not_offered_without_memory(config: DictgameConfig) -> None:
    app = DictgameApp(config, new_game=config.game_settings(seed=7), backend=ScriptedBackend())
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, GameScreen)
        await pilot.press("m")
        await pilot.pause(0.2)
        assert not isinstance(app.screen, MemoryInspector)
        assert screen.check_action("memory", ()) is False

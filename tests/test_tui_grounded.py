"""A grounded Dictionary Discovery game in the terminal UI: the scene, the learning curve,
the ground truth in the status line; and the two widgets alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import test_tui_support as support
from test_tui_support import wait_until
from textual.app import App, ComposeResult
from textual.widgets import Static

from dictgame.engine.core.episode import GameMaster
from dictgame.engine.games.dictionary.scenes import label
from dictgame.engine.games.dictionary.settings import GameSettings
from dictgame.engine.games.dictionary.state import GameState
from dictgame.engine.games.dictionary.truth import truth_curve
from dictgame.engine.scripted import ScriptedBackend
from dictgame.tui.app import DictgameApp
from dictgame.tui.config import DictgameConfig
from dictgame.tui.game_screen import GameScreen, Mode
from dictgame.tui.new_game_screen import NewGameScreen
from dictgame.tui.panels.dictionary_curve import LearningCurve, curve_series
from dictgame.tui.panels.dictionary_scene import SceneView, scene_text

SIZE = (140, 50)


def played(mode: str, rounds: int = 6) -> GameState:
    state = GameState(GameSettings(mode=mode, rounds=rounds, seed=3))  # type: ignore[arg-type]
    backend = ScriptedBackend()
    master = GameMaster(state, (backend.session(Path("a")), backend.session(Path("b"))))
    while not master.over:
        master.play_next_move()
    return state


def test_the_scene_shows_both_views_the_guess_and_the_verdict() -> None:
    state = played("scenes")
    last = [m for m in state.records if m.scene is not None][-1]
    shown = str(scene_text(state))
    assert f"Round {last.scene.round}:" in shown
    for seat in (0, 1):
        assert all(label(state.settings, seat, c) in shown for c in last.scene.views[seat])
    assert ("right" if last.guessed_right else "wrong") in shown.splitlines()[-1]
    assert "No round decided yet." in str(scene_text(GameState(state.settings)))


def test_the_curve_has_a_point_per_round_for_each_line() -> None:
    state = played("invented")
    curve = truth_curve(state)
    series = curve_series(curve, grounded=True)
    assert set(series) == {"success rate", "F1 common", "F1 A", "F1 B"}
    assert all(len(values) == 6 for values in series.values())
    assert series["success rate"][-1] == curve[-1].success_rate


class Host(App[None]):
    def __init__(self, state: GameState) -> None:
        super().__init__()
        self.state = state

    def compose(self) -> ComposeResult:
        yield SceneView()
        yield LearningCurve()

    def on_mount(self) -> None:
        self.query_one(SceneView).show(self.state)
        self.query_one(LearningCurve).show(self.state)


async def test_the_widgets_render_alone() -> None:
    app = Host(played("scenes"))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        plot = str(app.query_one(LearningCurve).render())
        assert "learning curve" in plot and "success rate" in plot


# The scripted config fixture; conftest.py isolates data paths.
config = support.config


async def test_a_grounded_game_shows_its_scene_curve_and_ground_truth(config: DictgameConfig) -> None:
    config.games["dictionary"]["mode"] = "invented"
    app = DictgameApp(config, backend=ScriptedBackend())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, NewGameScreen))
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, GameScreen))
        screen: Any = app.screen
        await wait_until(pilot, lambda: screen.mode is Mode.FINISHED)
        assert screen.state.settings.mode == "invented"
        scene = str(screen.query_one("#scene-view", Static).render())
        assert scene.startswith("Round 3:")
        status = str(screen.query_one("#status-line", Static).render())
        assert "success " in status and "(chance 25%)" in status and "F1 common" in status
        assert screen.query_one("#learning-curve", LearningCurve).display

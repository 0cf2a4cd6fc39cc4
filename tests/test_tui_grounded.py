"""A grounded Dictionary Discovery game in the terminal UI: the scene, the learning curve,
the ground truth in the status line; and the two widgets alone."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import test_tui_support as support
from test_tui_support import wait_until
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Input, Select, Static

from dictgame.engine.core.episode import GameMaster
from dictgame.engine.games.dictionary.dictionary import Operation, OperationKind
from dictgame.engine.games.dictionary.learning import learning_of
from dictgame.engine.games.dictionary.scenes import label
from dictgame.engine.games.dictionary.settings import GameSettings
from dictgame.engine.games.dictionary.state import GameState
from dictgame.engine.games.dictionary.truth import final_truth
from dictgame.engine.scripted import ScriptedBackend
from dictgame.tui.games.dictionary.curve import WINDOW, LearningCurve, learning_series
from dictgame.tui.games.dictionary.scene import SceneView, scene_text
from dictgame.tui.screens.app import DictgameApp
from dictgame.tui.screens.game_screen import GameScreen, Mode
from dictgame.tui.screens.new_game_screen import NewGameScreen
from dictgame.tui.services.config import DictgameConfig

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


def test_the_curve_draws_success_beside_its_ceiling_on_the_same_rounds() -> None:
    state = played("invented")
    learning = learning_of(state)
    assert learning is not None
    series = learning_series(learning.rounds)
    (rounds, success), (same, ceiling) = series[f"success (last {WINDOW})"], series["ceiling"]
    assert rounds == same == [r.round for r in learning.rounds] == list(range(1, 7))
    # Each point the mean of the last rounds, fewer at the start.
    last = learning.rounds[-WINDOW:]
    assert success[-1] == pytest.approx(sum(r.success for r in last) / WINDOW)
    assert ceiling[-1] == pytest.approx(sum(r.ceiling for r in last) / WINDOW)
    assert (success[0], ceiling[0]) == (learning.rounds[0].success, learning.rounds[0].ceiling)
    assert ceiling[1] == pytest.approx((learning.rounds[0].ceiling + learning.rounds[1].ceiling) / 2)


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
        assert "learning curve" in plot and "success (last" in plot and "ceiling" in plot


# The scripted config fixture; conftest.py isolates data paths.
config = support.config


async def play_a_new_game(app: DictgameApp, pilot: Any) -> Any:
    """Start a game from the form with the config's settings, as a person would; play it out."""
    await pilot.press("n")
    await wait_until(pilot, lambda: isinstance(app.screen, NewGameScreen))
    await pilot.press("ctrl+s")
    await wait_until(pilot, lambda: isinstance(app.screen, GameScreen))
    screen: Any = app.screen
    await wait_until(pilot, lambda: screen.mode is Mode.FINISHED)
    return screen


async def test_a_grounded_game_shows_its_scene_curve_and_ground_truth(config: DictgameConfig) -> None:
    config.games["dictionary"]["mode"] = "invented"
    app = DictgameApp(config, backend=ScriptedBackend())
    async with app.run_test(size=SIZE) as pilot:
        screen = await play_a_new_game(app, pilot)
        assert screen.state.settings.mode == "invented"
        scene = str(screen.query_one("#scene-view", Static).render())
        assert scene.startswith("Round 3:")
        status = str(screen.query_one("#status-line", Static).render())
        assert "success " in status and "(chance 25%)" in status and "F1 common" in status
        assert screen.query_one("#learning-curve", LearningCurve).display


async def test_the_truth_key_marks_pairs_right_and_wrong_only_when_asked(config: DictgameConfig) -> None:
    config.games["dictionary"]["mode"] = "scenes"
    app = DictgameApp(config, backend=ScriptedBackend())
    async with app.run_test(size=SIZE) as pilot:
        screen = await play_a_new_game(app, pilot)
        table = screen.query_one("#dictionary", DataTable)

        def first_cells() -> list[str]:
            return [str(table.get_row_at(i)[0]) for i in range(table.row_count)]

        # The person adds one right and one wrong pair to both dictionaries, so the common
        # view has one of each beside what the players learned.
        settings = screen.state.settings
        for a_word, b_word in ((label(settings, 0, "cup"), label(settings, 1, "cup")),
                               (label(settings, 0, "dog"), label(settings, 1, "cat"))):
            screen.panel.apply_edit(0, [Operation(kind=OperationKind.ADD, foreign=b_word, meaning=a_word)])
            screen.panel.apply_edit(1, [Operation(kind=OperationKind.ADD, foreign=a_word, meaning=b_word)])
        await pilot.pause()
        assert table.row_count > 2
        assert not any(cell.startswith(("✓", "✗")) for cell in first_cells())  # no spoilers
        await pilot.press("t")
        assert all(cell.startswith(("✓ ", "✗ ")) for cell in first_cells())
        # The common view's marks are the ground truth's verdicts on the common pairs.
        await pilot.press("v")
        await pilot.pause()
        common = first_cells()
        truth = final_truth(screen.state).common
        assert len(common) == truth.entries >= 2
        assert sum(c.startswith("✓") for c in common) == truth.right >= 1
        assert sum(c.startswith("✗") for c in common) >= 1
        await pilot.press("t")
        assert not any(cell.startswith(("✓", "✗")) for cell in first_cells())


async def test_the_form_chooses_the_mode_its_feedback_and_scene_size(config: DictgameConfig) -> None:
    app = DictgameApp(config, backend=ScriptedBackend())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, NewGameScreen))
        form = app.screen
        # The first game: invented languages, where the embedded model's learning shows most.
        assert form.query_one("#mode", Select).value == "invented"
        assert form.query_one("#scene-size").parent.display
        form.query_one("#mode", Select).focus()
        await pilot.press("enter", "up", "up", "enter")  # invented -> scenes -> free
        await pilot.pause()
        assert form.query_one("#mode", Select).value == "free"
        assert not form.query_one("#scene-size").parent.display  # free talk has no scenes
        await pilot.press("enter", "down", "down", "enter")  # free -> scenes -> invented
        await pilot.pause()
        assert form.query_one("#mode", Select).value == "invented"
        assert form.query_one("#scene-size").parent.display
        form.query_one("#scene-size", Input).value = "3"
        form.query_one("#feedback", Select).focus()
        await pilot.press("enter", "down", "enter")  # reveal -> outcome
        await pilot.click("#start")
        await wait_until(pilot, lambda: isinstance(app.screen, GameScreen))
        settings = app.screen.state.settings  # type: ignore[attr-defined]
        assert (settings.mode, settings.scene_size, settings.feedback) == ("invented", 3, "outcome")
        assert settings.lexicons is not None


async def test_scenes_in_a_language_the_bank_lacks_is_refused_at_the_form(config: DictgameConfig) -> None:
    app = DictgameApp(config, backend=ScriptedBackend())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, NewGameScreen))
        form = app.screen
        form.query_one("#lang-b", Input).value = "Klingon"
        form.query_one("#mode", Select).value = "scenes"
        await pilot.click("#start")
        await pilot.pause()
        assert isinstance(app.screen, NewGameScreen)
        error = form.query_one("#mode-error", Static)
        assert error.display and "'Klingon' is not in the concept bank" in str(error.content)
        assert app.store.list_games() == []

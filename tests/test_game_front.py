"""A fifth game brings a form of its own to the person's turn, and touches no front-end file:
Counting, the game `test_new_game.py` defines and registers with the engine, registers its
front end here beside it; a person answers its step by pressing a digit of its keypad
instead of typing a message."""

from __future__ import annotations

import test_tui_support as support
from test_new_game import COUNTING, CountingSettings
from test_tui_support import wait_until
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button

from dictgame.engine.core.game import Result
from dictgame.engine.core.settings import PlayerSettings
from dictgame.saves import GameStore
from dictgame.tui.games import front_of, register_front
from dictgame.tui.screens.app import DictgameApp
from dictgame.tui.screens.game_screen import GameScreen, Mode
from dictgame.tui.services.config import DictgameConfig
from dictgame.tui.widgets.game_front import Answered, GameFront

config = support.config


class Keypad(Horizontal):
    """Counting's own form: a button a digit; pressing one answers the step."""

    def compose(self) -> ComposeResult:
        for digit in range(1, 10):
            yield Button(str(digit), compact=True, id=f"digit-{digit}")

    def start(self, seat: int) -> None:
        self.query_one("#digit-1", Button).focus()

    def clear(self) -> None:
        """Nothing is put together: a press answers at once."""

    def question(self, asked: str) -> str:
        return f"{asked} Press its key."

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.post_message(Answered(str(event.button.label)))


register_front("counting", GameFront(forms={"count": lambda state: Keypad(id="keypad")}))


async def test_a_registered_game_shows_its_own_form_and_its_answer_is_played(
    config: DictgameConfig,
) -> None:
    you = (PlayerSettings(name="You", human=True), PlayerSettings(name="Two"))
    app = DictgameApp(config, new_game=CountingSettings(players=you, start=7, turns=1, seed=1))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, GameScreen))
        screen = app.screen
        assert isinstance(screen, GameScreen)
        await wait_until(pilot, lambda: screen.person_turn.waiting)
        keypad = screen.query_one("#keypad", Keypad)
        # The step's own form shows, the typed message does not; the form words the question.
        assert keypad.display and not screen.query_one("#person-message").display
        assert "Press its key." in str(screen.query_one("#person-asked").render())
        await pilot.pause()  # the keypad, shown a moment ago, laid out where it shows
        assert await pilot.click("#digit-7")
        await wait_until(pilot, lambda: screen.mode is Mode.FINISHED)
        game_id = screen.game_id
    assert game_id is not None
    with GameStore.open(config.db) as store:
        played = store.load_game(game_id)
    assert [move.message for move in played.moves] == ["7"]
    assert COUNTING.outcome(played).result is Result.SUCCESS


def test_a_game_without_a_front_end_of_its_own_plays_with_the_plain_one() -> None:
    assert front_of("no-such-game") == GameFront()
    assert front_of("dictionary").settings_form is not None

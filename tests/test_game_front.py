"""A fifth game brings a form of its own to the person's turn, and touches no front-end file:
Counting, the game `test_new_game.py` defines and registers with the engine, registers its
front end here beside it; a person answers its step by pressing a digit of its keypad
instead of typing a message, or by its own key, which a person remaps and help lists like
any other (`person.count_on`)."""

from __future__ import annotations

import test_tui_support as support
from test_new_game import COUNTING, CountingSettings
from test_tui_support import wait_until
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.pilot import Pilot
from textual.widgets import Button

from dictgame.engine.core.game import Result
from dictgame.engine.core.settings import PlayerSettings
from dictgame.saves import GameStore
from dictgame.tui.games import front_of, register_front
from dictgame.tui.screens.app import DictgameApp
from dictgame.tui.screens.game_screen import GameScreen, Mode
from dictgame.tui.screens.help_screen import HelpScreen
from dictgame.tui.services.config import DictgameConfig
from dictgame.tui.services.keys import ALWAYS, Key
from dictgame.tui.widgets.bindings import bindings
from dictgame.tui.widgets.footer import FittingFooter
from dictgame.tui.widgets.game_front import Answered, GameFront

config = support.config


# Counting's own key, declared beside its front end as a built-in game's are.
KEYS = (
    Key("person.count_on", "plus", "count_on", "Count on",
        "your turn in Counting: say the next number at once", ALWAYS),
)


class Keypad(Horizontal):
    """Counting's own form: a button a digit; pressing one answers the step, and so does its
    key, with the number that comes next."""

    BINDINGS = bindings("person", KEYS)

    def __init__(self, following: int, *, id: str) -> None:
        super().__init__(id=id)
        self.following = following

    def action_count_on(self) -> None:
        self.post_message(Answered(str(self.following)))

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


register_front("counting", GameFront(
    forms={"count": lambda state: Keypad(state.settings.start + state.moves_played, id="keypad")},
    keys=KEYS,
))


def counting_app(config: DictgameConfig, start: int) -> DictgameApp:
    """A new one-turn Counting game with a person in the first seat."""
    you = (PlayerSettings(name="You", human=True), PlayerSettings(name="Two"))
    return DictgameApp(config, new_game=CountingSettings(players=you, start=start, turns=1, seed=1))


async def your_turn(pilot: Pilot[None], app: DictgameApp) -> GameScreen:
    """The game screen once it waits for the person's answer."""
    await wait_until(pilot, lambda: isinstance(app.screen, GameScreen))
    screen = app.screen
    assert isinstance(screen, GameScreen)
    await wait_until(pilot, lambda: screen.person_turn.waiting)
    return screen


async def stored_and_won(
    pilot: Pilot[None], screen: GameScreen, config: DictgameConfig, answer: str
) -> None:
    """The game ends, and its stored move is the person's answer, which wins it."""
    await wait_until(pilot, lambda: screen.mode is Mode.FINISHED)
    assert screen.game_id is not None
    with GameStore.open(config.db) as store:
        played = store.load_game(screen.game_id)
    assert [move.message for move in played.moves] == [answer]
    assert COUNTING.outcome(played).result is Result.SUCCESS


async def test_a_registered_game_shows_its_own_form_and_its_answer_is_played(
    config: DictgameConfig,
) -> None:
    app = counting_app(config, start=7)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await your_turn(pilot, app)
        keypad = screen.query_one("#keypad", Keypad)
        # The step's own form shows, the typed message does not; the form words the question.
        assert keypad.display and not screen.query_one("#person-message").display
        assert "Press its key." in str(screen.query_one("#person-asked").render())
        await pilot.pause()  # the keypad, shown a moment ago, laid out where it shows
        assert await pilot.click("#digit-7")
        await stored_and_won(pilot, screen, config, "7")


async def test_a_registered_game_brings_its_own_key_remapped_and_listed_in_help(
    config: DictgameConfig,
) -> None:
    """Counting's key, remapped under `[ui] keys` (the app's check knows its id), shows in the
    footer of its step and in help's table of the person's turn, and answers the step."""
    remapped = config.model_copy(
        update={"ui": config.ui.model_copy(update={"keys": {"person.count_on": "c"}})}
    )
    app = counting_app(remapped, start=4)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await your_turn(pilot, app)
        await pilot.pause()
        footer = [key.render() for key in screen.query_one(FittingFooter).children]
        assert "c Count on" in [str(shown).strip() for shown in footer]
        await pilot.press("f1")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        help_text = app.screen.query_one("Markdown").source  # type: ignore[attr-defined]
        turn = help_text.split("### Your turn")[1].split("###")[0]
        assert "| `c` | `person.count_on` | your turn in Counting" in turn
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen)
        await pilot.press("plus")  # the key it was remapped from does nothing now
        await pilot.pause()
        assert screen.person_turn.waiting
        await pilot.press("c")
        await stored_and_won(pilot, screen, config, "4")


def test_a_game_without_a_front_end_of_its_own_plays_with_the_plain_one() -> None:
    assert front_of("no-such-game") == GameFront()
    assert front_of("dictionary").settings_form is not None

"""A fifth game brings a form of its own to the person's turn, and touches no front-end file:
Pick, defined here, registers its game with the engine and its front end beside it; a person
answers its one step by pressing a digit of its keypad instead of typing a message."""

from __future__ import annotations

import re
from typing import Any

import test_tui_support as support
from test_tui_support import wait_until
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Button

from dictgame.engine.core.game import (
    PLAYING,
    Answer,
    Ask,
    EpisodeState,
    Experiment,
    Game,
    Outcome,
    Result,
    Scores,
    Turn,
)
from dictgame.engine.core.records import MoveRecord
from dictgame.engine.core.settings import CommonSettings, PlayerSettings
from dictgame.engine.games import register
from dictgame.saves import GameStore
from dictgame.tui.games import front_of, register_front
from dictgame.tui.screens.app import DictgameApp
from dictgame.tui.screens.game_screen import GameScreen, Mode
from dictgame.tui.services.config import DictgameConfig
from dictgame.tui.widgets.game_front import Answered, GameFront

config = support.config


class PickSettings(CommonSettings):
    players: tuple[PlayerSettings, PlayerSettings] = (
        PlayerSettings(name="You", human=True), PlayerSettings(name="Bot"),
    )
    hidden: int = 7


class PickState(EpisodeState[PickSettings]):
    game_name = "pick"

    def apply_move(self, record: MoveRecord) -> None:
        self.moves.append(record)


def parse_digit(raw: str) -> tuple[int | None, str | None]:
    found = re.fullmatch(r"\s*([1-9])\s*", raw)
    return (int(found.group(1)), None) if found else (None, "the answer is not a digit from 1 to 9")


def next_turn(state: PickState) -> Turn | None:
    if state.moves:
        return None
    ask = Ask("pick", "Pick the hidden digit, 1 to 9.", parse_digit, 4)
    return Turn(0, 1, "Guess a digit.", (), (ask,))


def apply(state: PickState, turn: Turn, answers: tuple[Answer, ...], started: float) -> tuple[MoveRecord, list[Any]]:
    (answer,) = answers
    record = MoveRecord(
        move_index=state.moves_played, round=turn.round, seat=turn.seat, attempts=answer.attempts,
        message=str(answer.value), violated=answer.violated, started_at=started, finished_at=started,
    )
    state.apply_move(record)
    return record, []


def outcome(state: PickState) -> Outcome:
    if not state.moves:
        return PLAYING
    right = state.moves[0].message == str(state.settings.hidden)
    return Outcome(Result.SUCCESS if right else Result.LOSE)


PICK: Game[PickState] = register(Game(
    name="pick",
    title="Pick",
    description="A person picks a digit.",
    settings_type=PickSettings,
    record_type=MoveRecord,
    seats=("model", "model"),
    new_state=PickState,
    next_turn=next_turn,
    apply=apply,
    outcome=outcome,
    scores=lambda state: Scores(episode={}, main=100.0 if outcome(state).result is Result.SUCCESS else 0.0),
    experiments=lambda seed: [Experiment("one", ({"hidden": 7},))],
    settings_for=lambda instance, given: PickSettings(**instance),
))


class Keypad(Horizontal):
    """Pick's own form: a button a digit; pressing one answers the step."""

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


register_front("pick", GameFront(forms={"pick": lambda state: Keypad(id="keypad")}))


async def test_a_registered_game_shows_its_own_form_and_its_answer_is_played(
    config: DictgameConfig,
) -> None:
    app = DictgameApp(config, new_game=PickSettings(seed=1))
    async with app.run_test(size=(100, 30)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, GameScreen))
        screen = app.screen
        assert isinstance(screen, GameScreen)
        await wait_until(pilot, lambda: screen.person_turn.waiting)
        keypad = screen.query_one("#keypad", Keypad)
        # The step's own form shows, the typed message does not; the form words the question.
        assert keypad.display and not screen.query_one("#person-message").display
        assert "Press its key." in str(screen.query_one("#person-asked").render())
        await pilot.click("#digit-7")
        await wait_until(pilot, lambda: screen.mode is Mode.FINISHED)
        game_id = screen.game_id
    assert game_id is not None
    with GameStore.open(config.db) as store:
        played = store.load_game(game_id)
    assert [move.message for move in played.moves] == ["7"]
    assert PICK.outcome(played).result is Result.SUCCESS


def test_a_game_without_a_front_end_of_its_own_plays_with_the_plain_one() -> None:
    assert front_of("no-such-game") == GameFront()
    assert front_of("dictionary").settings_form is not None

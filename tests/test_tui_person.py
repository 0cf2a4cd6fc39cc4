"""A person in a seat of the terminal UI, driven as a person would: "You" chosen in the
new-game form, answers typed and submitted on the game screen, under the same move rules as
a model's, stored like a model's, and resumed on the person's turn after quitting."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import test_tui_support as support
from test_tui_support import wait_until
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static
from textual.widgets._select import SelectOverlay

from dictgame.engine.games.dealnodeal.state import DealState
from dictgame.engine.games.dictionary.scenes import topic_word
from dictgame.engine.games.dictionary.state import GameState
from dictgame.saves import GameStore
from dictgame.tui.games.dictionary.entry_editor import EntryEditor
from dictgame.tui.screens.app import DictgameApp
from dictgame.tui.screens.game_screen import GameScreen, Mode
from dictgame.tui.screens.home_screen import HomeScreen
from dictgame.tui.screens.new_game_screen import PERSON, PERSON_LABEL, NewGameScreen
from dictgame.tui.services.config import DictgameConfig

SIZE = (120, 40)

config = support.config


def deal_config(config: DictgameConfig, **seats: str) -> DictgameConfig:
    """Deal or No Deal, seed 5: 3 books, 3 hats, 1 ball; Player A speaks first."""
    return config.model_copy(update={"game": "dealnodeal", "seed": 5, **seats})


def text_of(screen: GameScreen, selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def stored(config: DictgameConfig, game_id: int) -> Any:
    with GameStore.open(config.db) as store:
        return store.load_game(game_id)


async def turn_of_person(pilot: Pilot[None], screen: GameScreen, step: str) -> None:
    await wait_until(pilot, lambda: screen.person_turn.waiting and screen.person_turn.step == step)


async def say(pilot: Pilot[None], text: str) -> None:
    await pilot.press(*text, "enter")


async def choose(pilot: Pilot[None], select: Select[Any], title: str) -> None:
    """Open a list, move to the option, pick it: with the keys."""
    select.focus()
    await pilot.press("enter")
    await wait_until(pilot, lambda: select.expanded)
    overlay = select.query_one(SelectOverlay)
    target = [str(prompt) for prompt, _ in select._options].index(title)
    while overlay.highlighted != target:
        await pilot.press("down" if (overlay.highlighted or 0) < target else "up")
        await pilot.pause(0.02)
    await pilot.press("enter")
    await wait_until(pilot, lambda: not select.expanded)


async def test_you_in_the_form_seats_a_person_who_sees_only_their_values(
    config: DictgameConfig,
) -> None:
    app = DictgameApp(deal_config(config))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, NewGameScreen))
        await choose(pilot, app.screen.query_one("#model-a", Select), PERSON_LABEL)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, GameScreen))
        screen = app.screen
        assert isinstance(screen, GameScreen)
        await turn_of_person(pilot, screen, "reply")
        assert screen.state.settings.players[0].human
        assert "your turn" in text_of(screen, "#status-line")
        values = screen.state.settings.values
        assert f"a book {values[0][0]}, a hat {values[0][1]}" in text_of(screen, "#person-above")
        # The partner's values are private: the panel shows "?" for them, and no view shows more.
        panel = text_of(screen, "#game-panel")
        assert panel.count("?") == 3
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen))
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, NewGameScreen))
        # The form remembers the person's seat like its other choices.
        assert app.screen.query_one("#model-a", Select).value == PERSON
        assert app.screen.query_one("#model-b", Select).value != PERSON


async def test_you_stays_chosen_when_the_form_lists_the_models_found(
    config: DictgameConfig,
) -> None:
    """With llama.cpp, the form reads the GGUF files on disk and replaces its model list."""
    app = DictgameApp(deal_config(config, seat_b="human").model_copy(update={"backend": "llama"}))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, NewGameScreen))
        select = app.screen.query_one("#model-b", Select)
        await wait_until(pilot, lambda: any("(embedded, " in str(p) for p, _ in select._options))
        assert select.value == PERSON
        assert str(select._options[-1][0]) == PERSON_LABEL


async def test_a_person_may_not_take_a_seat_the_game_plays_itself(config: DictgameConfig) -> None:
    app = DictgameApp(config.model_copy(update={"game": "hellogame"}))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, NewGameScreen))
        form = app.screen
        # The guest's seat offers no model (nor "You"): the form says who plays it.
        assert not form.query_one("#model-b", Select).region
        assert "Played by the game itself" in str(form.query_one("#game-seat-b", Static).render())


async def test_bad_proposal_counts_are_refused_and_a_models_proposal_stays_hidden(
    config: DictgameConfig,
) -> None:
    # The model (A) states its split, the person (B) agrees, the model proposes first.
    deal = deal_config(config, seat_b="human")
    app = DictgameApp(deal, new_game=deal.game_settings(seed=5))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, GameScreen)
        state = screen.state
        assert isinstance(state, DealState)
        await turn_of_person(pilot, screen, "reply")
        await say(pilot, "Agreed.")
        await turn_of_person(pilot, screen, "take")
        assert [m.kind for m in state.moves] == ["message", "message", "propose", "take"]
        models_take = state.moves[3]
        pane = screen.query_one("#pane-b")
        shown = " ".join(str(bubble.render()) for bubble in pane.bubbles)
        assert "a private proposal" in shown and models_take.message not in shown
        assert "Player A proposed (hidden)" in text_of(screen, "#game-panel")
        played = state.moves_played
        # More books than there are, then a count left out: refused at once, nothing sent.
        await pilot.press("9", "tab", "0", "tab", "0", "enter")
        await wait_until(pilot, lambda: screen.query_one("#take-error").display)
        assert text_of(screen, "#take-error") == "You can take 0 to 3 books, not 9."
        await pilot.press("shift+tab", "shift+tab", "backspace", "tab", "backspace", "enter")
        await wait_until(pilot, lambda: "hats" in text_of(screen, "#take-error"))
        assert text_of(screen, "#take-error") == "Say how many books and hats you take (0 if none)."
        assert state.moves_played == played and screen.person_turn.waiting
        await pilot.press("shift+tab", "1", "tab", "2", "enter")
        await wait_until(pilot, lambda: screen.mode is Mode.FINISHED)
        assert state.moves[-1].take == (1, 2, 0) and not state.moves[-1].violated
        # Over: the model's proposal is shown.
        shown = " ".join(str(bubble.render()) for bubble in pane.bubbles)
        assert models_take.message in shown
        game_id = screen.game_id
    assert game_id is not None
    again = stored(config, game_id)
    assert [m.take for m in again.moves[-2:]] == [models_take.take, (1, 2, 0)]
    assert again.settings.players[1].human


async def test_the_game_resumes_on_the_persons_turn_after_quitting(config: DictgameConfig) -> None:
    deal = deal_config(config, seat_b="human")
    app = DictgameApp(deal, new_game=deal.game_settings(seed=5))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, GameScreen)
        await turn_of_person(pilot, screen, "reply")
        await pilot.press(*"half a thought")
        await pilot.press("ctrl+q")  # the worker waits on the person: quitting cancels the wait
        await wait_until(pilot, lambda: not app.is_running)
    game_id = screen.game_id
    assert game_id is not None
    assert [m.seat for m in stored(config, game_id).moves] == [0]

    again = DictgameApp(deal)
    async with again.run_test(size=SIZE) as pilot:
        assert isinstance(again.screen, HomeScreen)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(again.screen, GameScreen))
        resumed = again.screen
        assert isinstance(resumed, GameScreen)
        await wait_until(pilot, lambda: resumed.mode is Mode.PAUSED)
        assert not resumed.person_turn.waiting
        await pilot.press("space")
        await turn_of_person(pilot, resumed, "reply")
        assert resumed.query_one("#person-message", Input).value == ""
        await say(pilot, "You take what you said.")
        await wait_until(pilot, lambda: resumed.state.moves_played >= 3)
        await pilot.press("escape")
        await wait_until(pilot, lambda: isinstance(again.screen, HomeScreen))
    moves = stored(config, game_id).moves
    assert [m.seat for m in moves][:3] == [0, 1, 0]
    assert moves[1].message == "[message] You take what you said."
    assert moves[1].attempts[0].raw_output == "[message] You take what you said."


async def test_a_person_plays_dictionary_discovery_and_updates_their_dictionary(
    config: DictgameConfig,
) -> None:
    two_rounds = config.model_copy(update={
        "seat_a": "human", "seed": 1, "games": {"dictionary": {"rounds": 2, "words_per_message": 6}},
    })
    app = DictgameApp(two_rounds, new_game=two_rounds.game_settings(seed=1))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, GameScreen)
        state = screen.state
        assert isinstance(state, GameState)
        # Each message says the round's topic, as the move rules ask in a game with one.
        first, second = (topic_word(state.settings, 0, round_) for round_ in (1, 2))
        assert first and second
        await turn_of_person(pilot, screen, "opening")
        await say(pilot, f"hello {first}")
        await turn_of_person(pilot, screen, "update")
        heard = state.moves[-1].message.split()[0]
        await pilot.press("ctrl+n")
        await wait_until(pilot, lambda: isinstance(app.screen, EntryEditor))
        # The person's own dictionary only.
        assert app.screen.query_one("#owner", Select).disabled
        await pilot.press(*heard, "tab", *"house", "enter")
        await wait_until(pilot, lambda: app.screen is screen)
        assert f"+ {heard} = house (1.00)" in text_of(screen, "#update-entries")
        await pilot.press("ctrl+s")
        await turn_of_person(pilot, screen, "reply")
        await say(pilot, f"water {second}")
        await wait_until(pilot, lambda: screen.mode is Mode.FINISHED)
        # The game master applied the update the person sent, as a model's.
        entry = state.dictionaries[0].get(heard)
        assert entry is not None and entry.meaning == "house"
        assert f"learned + {heard} = house" in str(screen.query_one("#pane-a").bubbles[2].render())
        game_id = screen.game_id
    assert game_id is not None
    again = stored(two_rounds, game_id)
    assert [m.message for m in again.moves if m.seat == 0] == [f"hello {first}", f"water {second}"]
    update = next(a for a in again.moves[2].attempts if a.step == "update")
    assert f'"word": "{heard}", "meaning": "house"' in update.raw_output
    assert again.dictionaries[0].get(heard).meaning == "house"


async def test_a_person_greets_in_hellogame_under_its_move_rules(config: DictgameConfig) -> None:
    hello = config.model_copy(update={"game": "hellogame", "seat_a": "human"})
    app = DictgameApp(hello, new_game=hello.game_settings(seed=3))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, GameScreen)
        guest = screen.state.settings.target_name
        await wait_until(pilot, lambda: screen.person_turn.waiting)
        await say(pilot, "Hi there")  # breaks the move rule: asked again, the rule named
        await wait_until(pilot, lambda: screen.person_turn.waiting and "broke a move rule" in text_of(
            screen, "#person-asked"))
        assert "(the answer does not start with GREET:): answer again." in text_of(
            screen, "#person-asked")
        await say(pilot, f"GREET: Hello {guest}, welcome!")
        await wait_until(pilot, lambda: screen.mode is Mode.FINISHED)
        (move,) = screen.state.moves[:1]
        assert [a.raw_output for a in move.attempts] == ["Hi there", f"GREET: Hello {guest}, welcome!"]
        assert screen.game.outcome(screen.state).result.value == "success"


async def test_watching_two_models_both_values_show_and_v_switches_to_each_players(
    config: DictgameConfig,
) -> None:
    deal = deal_config(config)
    app = DictgameApp(deal, new_game=deal.game_settings(seed=5))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, GameScreen)
        await wait_until(pilot, lambda: screen.mode is Mode.FINISHED)
        assert "?" not in text_of(screen, "#game-panel")
        await pilot.press("v")
        assert text_of(screen, "#game-panel").count("?") == 3
        assert "as Player A sees it" in text_of(screen, "#game-panel")
        await pilot.press("v")
        assert "as Player B sees it" in text_of(screen, "#game-panel")
        await pilot.press("v")
        assert "?" not in text_of(screen, "#game-panel")


@pytest.mark.real_model
async def test_a_person_plays_deal_or_no_deal_against_the_embedded_model(tmp_path: Path) -> None:
    """The embedded SmolLM2 on llama.cpp in seat B; the person types, proposes, and the game
    ends within four messages."""
    real = DictgameConfig(
        db=tmp_path / "real.db", backend="llama", game="dealnodeal", seed=5, seat_a="human",
        games={"dealnodeal": {"max_messages": 4, "max_invalid": 2, "guided": True}},
        runtime={"context_size": 2048},
    )
    app = DictgameApp(real, new_game=real.game_settings(seed=5))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, GameScreen)
        state = screen.state
        assert isinstance(state, DealState)
        turn = screen.person_turn
        typed = "I would like the ball and the books."
        while screen.mode is not Mode.FINISHED:
            await wait_until(pilot, lambda: turn.waiting or screen.mode is Mode.FINISHED, 120)
            if screen.mode is Mode.FINISHED:
                break
            if turn.step == "take":
                # A proposal the model made first is not shown to the person before theirs.
                shown = " ".join(str(b.render()) for b in screen.query_one("#pane-a").bubbles)
                assert all(m.message not in shown for m in state.moves if m.kind == "take")
                await pilot.press("3", "tab", "0", "tab", "1", "enter")
            elif state.messages_sent == 0:
                await say(pilot, typed)
            else:
                await pilot.press("ctrl+t")
            await wait_until(pilot, lambda: not turn.waiting, 5)
        assert screen.game.outcome(state).over
        game_id = screen.game_id
        await pilot.press("ctrl+q")
    assert game_id is not None
    again = stored(real, game_id)
    assert again.moves_played == state.moves_played >= 3
    assert again.moves[0].message == f"[message] {typed}"
    assert again.moves[1].seat == 1 and again.moves[1].attempts[0].model

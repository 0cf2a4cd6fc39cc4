"""hellogame: its rules as plain functions, its seeded instances, whole episodes through the
game master (success, lose, abort), a restore, its side panel, and one real-model episode."""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest
from textual.app import App, ComposeResult

from dictgame.engine.backend import GenerationRequest
from dictgame.engine.core.episode import GameMaster, GameOver
from dictgame.engine.core.game import Result
from dictgame.engine.core.scores import episode_scores
from dictgame.engine.games import game_of, get_game
from dictgame.engine.games.hellogame import HELLOGAME
from dictgame.engine.games.hellogame.rules import missing_words, parse_greeting, words
from dictgame.engine.games.hellogame.settings import HelloSettings
from dictgame.engine.games.hellogame.state import HelloState
from dictgame.engine.scripted import ScriptedBackend, replies_in_order
from dictgame.tui.games.hellogame.panel import Panel


def new_master(responder: object, **settings: object) -> GameMaster:
    """An episode whose greeter answers through `responder`; the guest is the game's code."""
    values = {"players": [{"name": "Greeter"}, {"name": "Ted"}], **settings}
    state = HELLOGAME.new_state(HelloSettings.model_validate(values))
    backend = ScriptedBackend(responder)  # type: ignore[arg-type]
    return GameMaster(state, (backend.session(Path("greeter")), None))


def play_out(master: GameMaster) -> None:
    while not master.over:
        master.play_next_move()


# -- the rules ---------------------------------------------------------------------------


def test_a_greeting_must_start_with_its_tag() -> None:
    assert parse_greeting("  GREET: Hello Ted, welcome!\n") == ("Hello Ted, welcome!", None)
    for broken in ("Hello Ted, welcome!", "greet: Hello Ted", "Sure! GREET: Hello Ted"):
        text, violation = parse_greeting(broken)
        assert violation == "the answer does not start with GREET:"
        assert text == broken.strip()


def test_the_greeting_is_its_first_line() -> None:
    """A small model goes on with the guest's lines; those are not the greeting."""
    assert parse_greeting("GREET: Hello Ted!\nTed: Welcome, Ted!") == ("Hello Ted!", None)


def test_words_ignore_case_and_punctuation() -> None:
    assert words("Hello,Ted! WELCOME… (to the party).") == [
        "hello", "ted", "welcome", "to", "the", "party",
    ]


def test_a_greeting_says_hello_welcome_and_the_name() -> None:
    assert missing_words("HELLO, Ted!!! Welcome.", "Ted", "en") == []
    assert missing_words("Hi Ted, welcome!", "Ted", "en") == ["hello"]
    assert missing_words("Hello!", "Ted", "en") == ["welcome", "Ted"]
    # The name as a word, not inside a longer one.
    assert missing_words("Hello, welcome to this tedious party", "Ted", "en") == ["Ted"]
    assert missing_words("Hello Mary Ann, welcome", "Mary-Ann", "en") == []
    assert missing_words("Hello Mary, welcome Ann", "Mary Ann", "en") == ["Mary Ann"]


def test_a_german_greeting_says_the_german_words() -> None:
    assert missing_words("Hallo Jürgen, willkommen!", "Jürgen", "de") == []
    assert missing_words("Hello Jürgen, welcome!", "Jürgen", "de") == ["hallo", "willkommen"]


# -- instances ---------------------------------------------------------------------------


def test_instances_come_from_the_seed_alone_and_leave_global_random_alone() -> None:
    random.seed(1)
    before = random.getstate()
    first = HELLOGAME.experiments(42)
    assert random.getstate() == before
    random.seed(2)
    assert HELLOGAME.experiments(42) == first
    assert HELLOGAME.experiments(43) != first
    assert [e.name for e in first] == ["en", "de"]
    for experiment in first:
        names = [i["target_name"] for i in experiment.instances]
        assert len(set(names)) == len(names) == 5
        assert all(i["language"] == experiment.name for i in experiment.instances)


def test_settings_for_an_instance_seat_its_guest_and_the_callers_model() -> None:
    instance = {"language": "de", "target_name": "Greta", "seed": 9}
    settings = HELLOGAME.settings_for(instance, {"models": ("/m/a.gguf", None), "max_reprompts": 0})
    assert isinstance(settings, HelloSettings)
    assert settings.target_name == "Greta" and settings.language == "de" and settings.seed == 9
    assert settings.players[0].model == "/m/a.gguf" and settings.max_reprompts == 0
    assert HELLOGAME.summary(settings) == "Greta (de)"


# -- episodes ----------------------------------------------------------------------------


def test_a_good_greeting_succeeds_and_the_guest_answers() -> None:
    master = new_master(replies_in_order(["GREET: Hello Ted, welcome to the party!"]))
    play_out(master)
    state = master.state
    assert game_of(state) is HELLOGAME is get_game("hellogame")
    assert [(m.seat, m.round) for m in state.moves] == [(0, 1), (1, 1)]
    assert state.moves[1].message == "Ted: Hi, thanks for having me!"
    assert state.moves[1].incoming == "Hello Ted, welcome to the party!"
    assert master.outcome.result is Result.SUCCESS
    scores = episode_scores(HELLOGAME, state)
    # The guest is the game's own code: not a request.
    assert scores["Request Count"] == 1 and scores["Request Success Ratio"] == 1.0
    assert (scores["Success"], scores["Lose"], scores["Aborted"]) == (1, 0, 0)
    assert scores["Main Score"] == 100.0
    with pytest.raises(GameOver):
        master.play_next_move()


def test_a_greeting_without_welcome_loses_after_the_guest_answers() -> None:
    master = new_master(replies_in_order(["GREET: Hello Ted!"]))
    master.play_next_move()
    assert not master.over
    play_out(master)
    assert master.outcome.result is Result.LOSE
    assert "'welcome'" in master.outcome.reason
    scores = episode_scores(HELLOGAME, master.state)
    assert (scores["Success"], scores["Lose"], scores["Main Score"]) == (0, 1, 0.0)


def test_a_greeting_without_its_tag_is_asked_again_then_aborts() -> None:
    master = new_master(replies_in_order(["Hello Ted, welcome!"] * 3), max_reprompts=2)
    record = master.play_next_move()
    assert record.violated and len(record.attempts) == 3
    assert master.outcome.result is Result.ABORTED
    assert master.state.moves_played == 1  # the guest never answers
    scores = episode_scores(HELLOGAME, master.state)
    assert scores["Request Count"] == 3 and scores["Violated Request Count"] == 3
    assert scores["Aborted"] == 1 and math.isnan(scores["Main Score"])
    with pytest.raises(GameOver):
        master.play_next_move()


def test_a_reprompt_that_fixes_the_tag_plays_on() -> None:
    master = new_master(replies_in_order(["Hello Ted", "GREET: Hello Ted, welcome!"]))
    play_out(master)
    assert master.outcome.result is Result.SUCCESS
    scores = episode_scores(HELLOGAME, master.state)
    assert (scores["Request Count"], scores["Parsed Request Count"]) == (2, 1)
    assert scores["Request Success Ratio"] == 0.5


def test_the_prompts_and_the_guest_speak_the_instances_language() -> None:
    seen: list[GenerationRequest] = []

    def greeter(request: GenerationRequest) -> str:
        seen.append(request)
        return "GREET: Hallo Ted, willkommen!"

    master = new_master(greeter, language="de")
    play_out(master)
    assert "Begrüße Ted" in seen[0].messages[-1].content
    assert seen[0].messages[0].role == "system" and "Gastgeber" in seen[0].messages[0].content
    assert master.state.moves[1].message == "Ted: Hallo, danke für die Einladung!"
    assert master.outcome.result is Result.SUCCESS


def test_a_restored_episode_continues_as_if_never_stopped() -> None:
    master = new_master(replies_in_order(["GREET: Hello Ted, welcome!"]))
    master.play_next_move()
    restored = HELLOGAME.restore(master.state.settings, list(master.state.moves), [])
    again = GameMaster(restored, (None, None))
    play_out(again)
    play_out(master)
    assert [m.message for m in restored.moves] == [m.message for m in master.state.moves]
    assert again.outcome == master.outcome
    with pytest.raises(ValueError):
        HELLOGAME.restore(master.state.settings, master.state.moves[1:], [])


# -- the side panel ----------------------------------------------------------------------


class Host(App[None]):
    def __init__(self, state: HelloState) -> None:
        super().__init__()
        self.state = state

    def compose(self) -> ComposeResult:
        yield Panel(self.state, id="panel")


async def test_the_panel_shows_the_guest_then_the_verdict() -> None:
    master = new_master(replies_in_order(["GREET: Hello [b]Ted[/b], welcome!"]))
    app = Host(master.state)
    async with app.run_test() as pilot:
        panel = app.query_one(Panel)
        shown = str(panel.content)
        assert "Ted" in shown and "(not yet)" in shown and "playing" in shown
        master.play_next_move()
        panel.show(master.state)
        await pilot.pause()
        # The model's text is shown as written, never read as markup.
        assert "Hello [b]Ted[/b], welcome!" in str(panel.content)
        master.play_next_move()
        panel.show(master.state)
        await pilot.pause()
        assert "success" in str(panel.content)


async def test_the_panel_says_what_a_losing_greeting_lacks() -> None:
    master = new_master(replies_in_order(["GREET: Hi Ted"]))
    play_out(master)
    app = Host(master.state)
    async with app.run_test():
        shown = str(app.query_one(Panel).content)
        assert "Lacks  hello, welcome" in shown and "lose" in shown


# -- on the real model -------------------------------------------------------------------


@pytest.mark.real_model
def test_an_episode_on_the_embedded_model_is_recorded_whole() -> None:
    from dictgame.engine.players.llama import LlamaBackend
    from dictgame.models import embedded_model_path

    backend = LlamaBackend(n_ctx=1024, n_threads=1)
    try:
        state = HELLOGAME.new_state(HelloSettings(seed=3))
        master = GameMaster(state, (backend.session(embedded_model_path()), None))
        play_out(master)
    finally:
        backend.close()
    assert master.outcome.over
    greeting = state.moves[0]
    assert 1 <= len(greeting.attempts) <= state.settings.max_reprompts + 1
    assert all(a.model and a.completion_tokens > 0 for a in greeting.attempts)
    assert [m.move_index for m in state.moves] == list(range(state.moves_played))
    assert state.moves_played == (1 if master.outcome.result is Result.ABORTED else 2)
    scores = episode_scores(HELLOGAME, state)
    assert scores["Request Count"] == len(greeting.attempts)

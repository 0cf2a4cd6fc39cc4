"""firstlast: its rules as plain functions, its seeded instances, whole episodes through the
game master (success, lose, abort), a restore, its side panel, and one real-model episode."""

from __future__ import annotations

import math
import random
import re
from pathlib import Path

import pytest
from pydantic import ValidationError
from textual.app import App, ComposeResult
from textual.widgets import DataTable

from dictgame.engine.backend import GenerationRequest
from dictgame.engine.core.episode import GameMaster, GameOver
from dictgame.engine.core.game import Result
from dictgame.engine.core.scores import episode_scores, round_scores
from dictgame.engine.games import game_of
from dictgame.engine.games.firstlast import FIRSTLAST
from dictgame.engine.games.firstlast.game import FIRST_LETTERS, TOPICS, TURN_COUNTS
from dictgame.engine.games.firstlast.rules import (
    begins_with,
    check_utterance,
    first_and_last,
    letter_of,
    parse_utterance,
)
from dictgame.engine.games.firstlast.settings import FirstLastSettings
from dictgame.engine.games.firstlast.state import FirstLastState
from dictgame.engine.scripted import Responder, ScriptedBackend
from dictgame.tui.games.firstlast.panel import Panel


def keeps_the_letter(request: GenerationRequest) -> str:
    """A player that reads its letter from the game master's words and keeps the rule."""
    letter = re.search(r"Your letter is ([A-Z])", request.messages[-1].content).group(1)  # type: ignore[union-attr]
    return f"I SAY: {letter}ood talk, {letter.lower()}riend."


def new_master(
    responder: Responder, second: Responder | None = None, **settings: object
) -> GameMaster:
    values = {"topic": "cooking", "first_letter": "b", "turns": 4, **settings}
    state = FIRSTLAST.new_state(FirstLastSettings.model_validate(values))
    sessions = (
        ScriptedBackend(responder).session(Path("a")),
        ScriptedBackend(second or responder).session(Path("b")),
    )
    return GameMaster(state, sessions)


def play_out(master: GameMaster) -> None:
    while not master.over:
        master.play_next_move()


# -- the rules ---------------------------------------------------------------------------


def test_letters_move_on_through_the_alphabet() -> None:
    assert [letter_of("b", i) for i in range(4)] == ["b", "c", "d", "e"]
    assert [letter_of("y", i) for i in range(3)] == ["y", "z", "a"]


def test_an_utterance_must_start_with_its_tag() -> None:
    assert parse_utterance("  I SAY: Bread is best.  ") == ("Bread is best.", None)
    assert parse_utterance("I SAY: Bread is best.\nPlayer B: Cake!") == ("Bread is best.", None)
    for broken in ("Bread is best.", "i say: Bread is best.", "Well, I SAY: bread"):
        assert parse_utterance(broken)[1] == "the answer does not start with I SAY:"
    assert parse_utterance("I SAY:   ") == ("", "nothing was said after I SAY:")


def test_first_and_last_words_ignore_case_punctuation_and_digits() -> None:
    assert first_and_last('"Bananas, bread... and BUTTER!"') == ("bananas", "butter")
    assert first_and_last("Don't dance 42 times") == ("don't", "times")
    assert first_and_last("3 apples.") == ("apples", "apples")
    assert first_and_last("... 42 !") is None


def test_a_word_begins_with_a_letter_accents_aside() -> None:
    assert begins_with("école", "e") and begins_with("Zebra", "z")
    assert not begins_with("apple", "b") and not begins_with("", "a")


def test_the_first_and_the_last_word_keep_the_letter() -> None:
    assert check_utterance("Bread is the best breakfast!", "b") is None
    assert check_utterance("Good bread, bakers", "b") == "the first word 'good' does not begin with B"
    assert check_utterance("Bread is good", "b") == "the last word 'good' does not begin with B"
    assert check_utterance("?!", "b") == "the utterance has no words"


def test_settings_hold_their_bounds() -> None:
    assert FirstLastSettings(first_letter="Q").first_letter == "q"
    for wrong in ({"first_letter": "1"}, {"first_letter": "é"}, {"turns": 0}, {"turns": 27},
                  {"topic": "   "}):
        with pytest.raises(ValidationError):
            FirstLastSettings.model_validate(wrong)


# -- instances ---------------------------------------------------------------------------


def test_instances_come_from_the_seed_alone_and_leave_global_random_alone() -> None:
    random.seed(1)
    before = random.getstate()
    first = FIRSTLAST.experiments(7)
    assert random.getstate() == before
    random.seed(2)
    assert FIRSTLAST.experiments(7) == first
    assert FIRSTLAST.experiments(8) != first
    assert [e.name for e in first] == ["weather", "cooking", "animals", "music"]
    for experiment, topic in zip(first, TOPICS):
        letters = sorted({i["first_letter"] for i in experiment.instances})
        assert len(letters) == 2 and set(letters) <= set(FIRST_LETTERS)
        assert sorted((i["first_letter"], i["turns"]) for i in experiment.instances) == sorted(
            (letter, turns) for letter in letters for turns in TURN_COUNTS
        )
        assert all(i["topic"] == topic for i in experiment.instances)


def test_settings_for_an_instance_take_its_rules_and_the_callers_models() -> None:
    instance = {"topic": "music", "first_letter": "m", "turns": 6, "seed": 5}
    settings = FIRSTLAST.settings_for(instance, {"models": ("a.gguf", "b.gguf"), "temperature": 0.2})
    assert isinstance(settings, FirstLastSettings)
    assert (settings.topic, settings.first_letter, settings.turns, settings.seed) == ("music", "m", 6, 5)
    assert [p.model for p in settings.players] == ["a.gguf", "b.gguf"]
    assert settings.temperature == 0.2
    assert FIRSTLAST.summary(settings) == "music, from M, 6 turns"


# -- episodes ----------------------------------------------------------------------------


def test_players_who_keep_their_letters_succeed() -> None:
    seen: list[GenerationRequest] = []

    def player(request: GenerationRequest) -> str:
        seen.append(request)
        return keeps_the_letter(request)

    master = new_master(player)
    play_out(master)
    state = master.state
    assert game_of(state) is FIRSTLAST
    assert [(m.seat, m.round) for m in state.moves] == [(0, 1), (1, 1), (0, 2), (1, 2)]
    assert [m.message for m in state.moves] == [
        "Bood talk, briend.", "Cood talk, criend.", "Dood talk, driend.", "Eood talk, eriend.",
    ]
    assert master.outcome.result is Result.SUCCESS
    # Each player hears the partner's last utterance, and sees its own earlier turns.
    assert 'Player A said: "Bood talk, briend."' in seen[1].messages[-1].content
    third = [(m.role, m.content) for m in seen[2].messages]
    assert third[0][0] == "system" and "cooking" in third[0][1]
    assert ("assistant", "I SAY: Bood talk, briend.") in third
    assert 'Player B said: "Cood talk, criend."' in third[-1][1]
    scores = episode_scores(FIRSTLAST, state)
    assert (scores["Success"], scores["Main Score"], scores["Correct Turns"]) == (1, 100.0, 4.0)
    assert scores["Request Count"] == 4 and scores["Request Success Ratio"] == 1.0
    assert round_scores(FIRSTLAST, state)[2]["Correct Turns"] == 2.0
    with pytest.raises(GameOver):
        master.play_next_move()


def test_a_wrong_letter_loses_at_once() -> None:
    master = new_master(keeps_the_letter, lambda request: "I SAY: Cooking is fun.")
    play_out(master)
    state = master.state
    assert state.moves_played == 2
    assert master.outcome.result is Result.LOSE
    assert master.outcome.reason == "Player B: the last word 'fun' does not begin with C"
    scores = episode_scores(FIRSTLAST, state)
    assert (scores["Lose"], scores["Success"], scores["Aborted"]) == (1, 0, 0)
    assert scores["Main Score"] == 25.0  # one turn of four kept its letter


def test_an_utterance_without_its_tag_is_asked_again_then_aborts() -> None:
    master = new_master(keeps_the_letter, lambda request: "Cooking is fun.", max_reprompts=1)
    play_out(master)
    record = master.state.moves[-1]
    assert record.violated and len(record.attempts) == 2
    assert master.outcome.result is Result.ABORTED
    assert master.outcome.reason == "Player B did not start with I SAY:"
    scores = episode_scores(FIRSTLAST, master.state)
    assert (scores["Request Count"], scores["Violated Request Count"]) == (3, 2)
    assert scores["Aborted"] == 1 and math.isnan(scores["Main Score"])


def test_a_feedback_reprompt_names_the_broken_move_rule() -> None:
    answers = iter(["Bread!", "I SAY: Bread is best, bakers."])
    master = new_master(lambda request: next(answers), reprompt="feedback", turns=1)
    record = master.play_next_move()
    assert "does not start with I SAY:" in record.attempts[1].instruction
    assert master.outcome.result is Result.SUCCESS


def test_a_restored_episode_continues_as_if_never_stopped() -> None:
    def recording(into: list[GenerationRequest]) -> Responder:
        def player(request: GenerationRequest) -> str:
            into.append(request)
            return keeps_the_letter(request)
        return player

    straight: list[GenerationRequest] = []
    whole = new_master(recording(straight), turns=4)
    play_out(whole)

    before: list[GenerationRequest] = []
    first = new_master(recording(before), turns=4)
    first.play_next_move()
    first.play_next_move()
    restored = FIRSTLAST.restore(first.state.settings, list(first.state.moves), [])
    after: list[GenerationRequest] = []
    backend = ScriptedBackend(recording(after))
    again = GameMaster(restored, (backend.session(Path("a")), backend.session(Path("b"))))
    play_out(again)
    assert after == straight[2:]
    assert [m.message for m in restored.moves] == [m.message for m in whole.state.moves]
    assert again.outcome == whole.outcome


# -- the side panel ----------------------------------------------------------------------


class Host(App[None]):
    def __init__(self, state: FirstLastState) -> None:
        super().__init__()
        self.state = state

    def compose(self) -> ComposeResult:
        yield Panel(self.state, id="panel")


def rows(panel: Panel) -> list[list[str]]:
    table = panel.query_one(DataTable)
    return [[str(cell) for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def test_the_panel_shows_the_letter_track_as_moves_are_played() -> None:
    master = new_master(keeps_the_letter, lambda request: "I SAY: Cakes are great.", turns=3,
                        topic="[bold]cakes[/bold]")
    app = Host(master.state)
    async with app.run_test() as pilot:
        panel = app.query_one(Panel)
        # The topic is shown as written, never read as markup.
        assert "[bold]cakes[/bold]" in str(panel.heading.content)
        assert rows(panel) == [
            ["1", "Player A", "B", "", "", ""],
            ["2", "Player B", "C", "", "", ""],
            ["3", "Player A", "D", "", "", ""],
        ]
        master.play_next_move()
        panel.show(master.state)
        await pilot.pause()
        assert rows(panel)[0] == ["1", "Player A", "B", "bood", "briend", "ok"]
        master.play_next_move()
        panel.show(master.state)
        await pilot.pause()
        assert rows(panel)[1] == ["2", "Player B", "C", "cakes", "great", "wrong"]
        assert rows(panel)[2] == ["3", "Player A", "D", "", "", ""]
        heading = str(panel.heading.content)
        assert "lose" in heading and "'great' does not begin with C" in heading


# -- on the real model -------------------------------------------------------------------


@pytest.mark.real_model
def test_an_episode_on_the_embedded_model_is_recorded_whole() -> None:
    from dictgame.engine.players.llama import LlamaBackend
    from dictgame.models import embedded_model_path

    backend = LlamaBackend(n_ctx=1024, n_threads=1)
    try:
        path = embedded_model_path()
        state = FIRSTLAST.new_state(FirstLastSettings(turns=2, seed=4, max_reprompts=1))
        master = GameMaster(state, (backend.session(path), backend.session(path)))
        play_out(master)
    finally:
        backend.close()
    assert master.outcome.over
    assert 1 <= state.moves_played <= 2
    assert [m.move_index for m in state.moves] == list(range(state.moves_played))
    for move in state.moves:
        assert 1 <= len(move.attempts) <= 2
        assert all(a.model and a.completion_tokens > 0 for a in move.attempts)
    scores = episode_scores(FIRSTLAST, state)
    assert scores["Request Count"] == sum(len(m.attempts) for m in state.moves)

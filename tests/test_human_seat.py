"""A person in a seat plays through the same game master and move rules as a model."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from dictgame.engine.backend import CancelToken, GenerationCancelled, GenerationRequest
from dictgame.engine.core.episode import GameMaster, NoSaver, play
from dictgame.engine.core.human import HumanSession
from dictgame.engine.games.dictionary.settings import GameSettings
from dictgame.engine.games.dictionary.state import GameState
from dictgame.engine.scripted import ScriptedBackend


def test_a_person_answers_their_turns_under_the_move_rules() -> None:
    asked: list[GenerationRequest] = []
    person = HumanSession(on_turn=asked.append)
    # Too long for the limit, then a good message; then an update and a reply.
    for answer in ("one two three four five six seven eight nine", "hello friend",
                   '{"updates": []}', "water"):
        person.answers.put(answer)
    state = GameState(GameSettings(rounds=2, words_per_message=4, seed=1))
    master = GameMaster(state, (person, ScriptedBackend().session(Path("b"))))
    play(master, NoSaver(), moves=3)
    first, _, third = state.moves
    assert [a.violation is None for a in first.attempts] == [False, True]
    assert first.message == "hello friend"
    assert [a.step for a in third.attempts] == ["update", "reply"] and third.message == "water"
    assert "You are Alice" in asked[0].messages[0].content


def test_waiting_for_a_person_is_cancelled_at_once() -> None:
    state = GameState(GameSettings(rounds=1))
    master = GameMaster(state, (HumanSession(), HumanSession()))
    cancel = CancelToken()
    threading.Timer(0.1, cancel.cancel).start()
    with pytest.raises(GenerationCancelled):
        master.play_next_move(cancel=cancel)
    assert state.moves_played == 0

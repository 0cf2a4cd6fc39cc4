"""Fine-tuning data for every game with a score: each player's transcript is the prompt the
game master really sent for its last accepted move (recorded as the player received it)
with the answer after it, kept or not by the episode's score; and `dictgame finetune-data`
on runs of any game. Scripted players, no model: these are the engine's rules."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from pathlib import Path
from typing import Any

import pytest
from test_cli import SCRIPTED, assert_clean_failure, dictgame

from dictgame.engine.backend import GenerationRequest
from dictgame.engine.core.episode import GameMaster
from dictgame.engine.core.finetune import examples, finetune_examples, reward
from dictgame.engine.core.game import Game, Result, Reward
from dictgame.engine.games import get_game
from dictgame.engine.games.dictionary.learning import learning_of
from dictgame.engine.scripted import Responder, ScriptedBackend, phrasebook_player, scripted_player
from dictgame.engine.tuning.examples import read_chats
from dictgame.models import embedded_model_path


class Recorded:
    """A scripted player that keeps every request it was sent, as it received it."""

    def __init__(self, answer: Responder) -> None:
        self.answer = answer
        self.requests: list[GenerationRequest] = []

    def __call__(self, request: GenerationRequest) -> str:
        self.requests.append(request)
        return self.answer(request)


def played(game: Game[Any], instance: dict[str, Any], *players: Responder, **given: Any) -> Any:
    settings = game.settings_for(instance, {"models": (None, None), "names": (None, None), **given})
    state = game.new_state(settings)
    sessions = [ScriptedBackend(p).session(Path("unused")) for p in players]
    master = GameMaster(state, (*sessions, None)[:2], game)
    while not master.over:
        master.play_next_move()
    return state


def chat(request: GenerationRequest, answer: str) -> list[dict[str, str]]:
    """The messages a player was sent, and its answer."""
    sent = [{"role": m.role, "content": m.content} for m in request.messages]
    return [*sent, {"role": "assistant", "content": answer}]


HELLO = {"language": "en", "target_name": "Ted", "seed": 4}


def greets(text: str) -> Responder:
    return lambda request: text


@pytest.fixture
def hello_games() -> dict[str, tuple[Any, Recorded]]:
    """A success (Main Score 100), a loss (0), and an abort: no greeting kept the move rule."""
    hellogame = get_game("hellogame")
    found = {}
    for name, text in (("success", "GREET: Hello Ted, welcome!"), ("lose", "GREET: Hello there."),
                       ("aborted", "Hi Ted.")):
        greeter = Recorded(greets(text))
        found[name] = (played(hellogame, HELLO, greeter), greeter)
    return found


def test_hellogame_keeps_the_greeting_as_the_greeter_was_asked_for_it(hello_games: dict[str, Any]) -> None:
    state, greeter = hello_games["success"]
    (example,) = finetune_examples("hellogame", [state], "all")
    assert example == {"messages": chat(greeter.requests[-1], "GREET: Hello Ted, welcome!")}
    assert [m["role"] for m in example["messages"]] == ["system", "user", "assistant"]


def test_the_filters_keep_above_the_mean_above_zero_or_all_and_never_an_abort(hello_games: dict[str, Any]) -> None:
    states = [state for state, _ in hello_games.values()]
    hellogame = get_game("hellogame")
    assert [reward(hellogame, s).scores[0] for s in states[:2]] == [100.0, 0.0]
    assert math.isnan(reward(hellogame, states[2]).scores[0])
    answers = {keep: [e["messages"][-1]["content"] for e in finetune_examples("hellogame", states, keep)]
               for keep in ("above_avg", "nonzero", "all")}
    # The mean of the games that have a score is 50: only the success is above it.
    assert answers["above_avg"] == answers["nonzero"] == ["GREET: Hello Ted, welcome!"]
    # The aborted greeter never said anything within the rules; the guest is the game's code.
    assert answers["all"] == ["GREET: Hello Ted, welcome!", "GREET: Hello there."]
    # A game that rewards an aborted episode anyway: still kept by `all` only.
    firstlast = get_game("firstlast")
    half = Recorded(lambda request: f"I SAY: {letter_of(request)}ay {letter_of(request)}o")
    aborted = played(firstlast, FIRSTLAST, half, lambda request: "no tag")
    assert firstlast.outcome(aborted).result is Result.ABORTED
    generous = dataclasses.replace(firstlast, reward=lambda state: Reward((70.0, 70.0)))
    assert examples(generous, [aborted], "nonzero") == examples(generous, [aborted], "above_avg") == []
    assert examples(generous, [aborted], "all") == [{"messages": chat(half.requests[-1], half.answer(half.requests[-1]))}]
    with pytest.raises(ValueError, match="not Hello Game"):
        finetune_examples("hellogame", [aborted], "all")


FIRSTLAST = {"topic": "the weather", "first_letter": "m", "turns": 4, "seed": 2}


def letter_of(request: GenerationRequest) -> str:
    found = re.search(r"Your letter is (\w)\.", request.messages[-1].content)
    assert found is not None
    return found.group(1)


def test_firstlast_keeps_each_player_s_last_prompt_with_its_history(tmp_path: Path) -> None:
    players = [Recorded(lambda request: f"I SAY: {letter_of(request)}any {letter_of(request)}ore")
               for _ in range(2)]
    firstlast = get_game("firstlast")
    state = played(firstlast, FIRSTLAST, *players)
    assert firstlast.outcome(state).result is Result.SUCCESS
    assert finetune_examples("firstlast", [state], "above_avg") == []  # one game: none above the mean
    kept = finetune_examples("firstlast", [state], "all")
    assert finetune_examples("firstlast", [state], "nonzero") == kept
    assert kept == [{"messages": chat(p.requests[-1], p.answer(p.requests[-1]))} for p in players]
    # The second turn's prompt shows the first exchange.
    assert [m["role"] for m in kept[0]["messages"]] == ["system", "user", "assistant", "user", "assistant"]
    data = tmp_path / "data.jsonl"
    data.write_text("".join(json.dumps(e) + "\n" for e in kept), "utf-8")
    assert read_chats(data) == [e["messages"] for e in kept]


def test_dictionary_keeps_the_update_and_the_reply_of_the_last_move() -> None:
    dictionary = get_game("dictionary")
    instance = dictionary.experiments(7)[0].instances[0]
    players = [Recorded(phrasebook_player) for _ in range(2)]
    state = played(dictionary, instance, *players, rounds=2)
    for player, example in zip(players, finetune_examples("dictionary", [state], "all"), strict=True):
        update, reply = player.requests[-2:]
        assert update.json_schema is not None and reply.json_schema is None
        messages = example["messages"]
        # Rules and history as the reply was asked, then the update and the reply in order.
        assert messages[: len(reply.messages) - 1] == chat(reply, "")[:-2]
        assert messages[len(reply.messages) - 1:] == [
            {"role": "user", "content": update.messages[-1].content},
            {"role": "assistant", "content": phrasebook_player(update)},
            {"role": "user", "content": reply.messages[-1].content},
            {"role": "assistant", "content": phrasebook_player(reply)},
        ]


def test_finetune_data_on_hellogame_runs_and_mixed_runs(tmp_path: Path) -> None:
    db = tmp_path / "games.db"
    assert dictgame("run", "--game", "hellogame", "--db", str(db), env=SCRIPTED).returncode == 0
    written = {}
    for keep in ("above_avg", "all"):
        out = tmp_path / f"{keep}.jsonl"
        result = dictgame("finetune-data", "1", "--filter", keep, "--out", str(out), "--db", str(db))
        assert result.returncode == 0, result.stderr
        written[keep] = [chat[-1]["content"] for chat in read_chats(out)]
        assert f"{len(written[keep])} examples from 10 games ({keep})" in result.stdout
    # The scripted greeter welcomes on even seeds only: successes and losses, one greeter each.
    welcomed = [answer for answer in written["all"] if "welcome" in answer or "willkommen" in answer]
    assert len(written["all"]) == 10 and 0 < len(welcomed) < 10
    assert written["above_avg"] == welcomed
    assert dictgame("run", "--game", "firstlast", "--experiment", "weather", "--db", str(db), env=SCRIPTED).returncode == 0
    assert_clean_failure(dictgame("finetune-data", "1", "2", "--out", str(tmp_path / "x.jsonl"), "--db", str(db)),
                         "First and Last, Hello Game", "one game at a time")
    assert not (tmp_path / "x.jsonl").exists()
    # Hello Game scores whole games: the per-move filter is refused in one line, by both
    # the data command and the self-play loop (before any model loads).
    assert_clean_failure(dictgame("finetune-data", "1", "--filter", "rewarded", "--out", str(tmp_path / "x.jsonl"),
                                  "--db", str(db)), "scores whole games, not single moves")
    assert_clean_failure(dictgame("iterate", "--game", "hellogame", "--filter", "rewarded", "--model",
                                  str(embedded_model_path()), "--db", str(db)), "--filter rewarded is for a game")
    assert not (tmp_path / "x.jsonl").exists()


def test_dictionary_rewarded_keeps_each_right_guess_as_the_listener_was_asked_for_it() -> None:
    """The per-move filter: one example per right guess, the chat exactly as the listener
    received its choice, then that choice alone (not the update or description after it)."""
    dictionary = get_game("dictionary")
    instance = next(e for e in dictionary.experiments(7) if e.name == "invented-k4").instances[0]
    players = [Recorded(scripted_player) for _ in range(2)]
    state = played(dictionary, instance, *players, rounds=12)
    right = [m for m in state.records if m.guessed_right]
    # The scripted listener guesses right now and then: both kinds are there to tell apart.
    assert right and any(m.guessed_right is False for m in state.records)
    learning = learning_of(state)
    assert learning is not None and len(right) == sum(seat.right for seat in learning.seats)
    kept = finetune_examples("dictionary", [state], "rewarded")
    assert len(kept) == len(right)
    for move, example in zip(right, kept, strict=True):
        (choice,) = [a for a in move.attempts if a.step == "choose" and a.violation is None]
        (asked,) = [r for r in players[move.seat].requests
                    if r.messages[-1].content == choice.instruction]
        assert example["messages"] == chat(asked, choice.raw_output)
    assert_rewarded_is_refused_where_a_game_scores_whole_games()


def assert_rewarded_is_refused_where_a_game_scores_whole_games() -> None:
    hello = get_game("hellogame")
    state = played(hello, HELLO, greets("Welcome, Ted!"))
    with pytest.raises(ValueError, match="scores whole episodes only"):
        finetune_examples("hellogame", [state], "rewarded")

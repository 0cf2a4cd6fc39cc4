"""Adding a game touches its own code and one registration, nothing in the core, the store or
the runner: a tiny game defined here, in the test, plays, saves, resumes, runs and records."""

from __future__ import annotations

import io
import random
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import Field

from dictgame.engine.backend import ChatMessage, GenerationRequest
from dictgame.engine.core.clembench import PlayedEpisode, write_records
from dictgame.engine.core.episode import GameMaster, NoSaver, play
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
from dictgame.engine.core.scores import BENCH_SCORE, METRIC_REQUEST_COUNT, episode_scores
from dictgame.engine.core.settings import CommonSettings, PlayerSettings
from dictgame.engine.games import get_game, register
from dictgame.engine.scripted import ScriptedBackend
from dictgame.saves import GameStore
from dictgame.saves.runs import create_run, episodes
from dictgame.tui.services.config import DictgameConfig
from dictgame.tui.services.runner import play_run


class CountingSettings(CommonSettings):
    players: tuple[PlayerSettings, PlayerSettings] = (
        PlayerSettings(name="One"), PlayerSettings(name="Two"),
    )
    start: int = Field(default=1, ge=0)
    turns: int = Field(default=4, ge=1, le=20)


class CountingState(EpisodeState[CountingSettings]):
    game_name = "counting"


def parse_number(raw: str) -> tuple[int | None, str | None]:
    found = re.fullmatch(r"\s*(\d+)\s*", raw)
    return (int(found.group(1)), None) if found else (None, "the answer is not a number")


def next_turn(state: CountingState) -> Turn | None:
    settings, played = state.settings, state.moves_played
    expected = settings.start + played
    history = tuple(
        (ChatMessage("user", "next?"), ChatMessage("assistant", m.message))
        for m in state.moves if m.seat == played % 2
    )
    ask = Ask("count", f"The last number was {expected - 1}. Say the next one.", parse_number, 8)
    return Turn(played % 2, played // 2 + 1, "Count up, one number at a time.", history, (ask,))


def apply(state: CountingState, turn: Turn, answers: tuple[Answer, ...], started: float) -> tuple[MoveRecord, list[Any]]:
    (answer,) = answers
    record = MoveRecord(
        move_index=state.moves_played, round=turn.round, seat=turn.seat,
        attempts=answer.attempts, message=str(answer.value), violated=answer.violated,
        started_at=started, finished_at=started,
    )
    state.moves.append(record)
    return record, []


def outcome(state: CountingState) -> Outcome:
    settings = state.settings
    for number, move in enumerate(state.moves, start=settings.start):
        if move.violated:
            return Outcome(Result.ABORTED, "a player did not say a number")
        if move.message != str(number):
            return Outcome(Result.LOSE, f"{move.message} is not {number}")
    return Outcome(Result.SUCCESS) if state.moves_played >= settings.turns else PLAYING


def scores(state: CountingState) -> Scores:
    right = outcome(state).result is Result.SUCCESS
    return Scores(episode={"Numbers": float(state.moves_played)}, main=100.0 if right else 0.0)


def experiments(seed: int) -> list[Experiment]:
    rng = random.Random(seed)
    return [Experiment("small", tuple({"start": rng.randrange(10)} for _ in range(3)))]


def settings_for(instance: dict[str, Any], given: dict[str, Any]) -> CountingSettings:
    values = {k: v for k, v in given.items() if k not in ("models", "names")}
    return CountingSettings(start=instance.get("start", 1), **values)


def restore(settings: CountingSettings, moves: Sequence[MoveRecord], edits: Sequence[Any]) -> CountingState:
    state = CountingState(settings)
    state.moves = list(moves)
    return state


COUNTING: Game[CountingState] = register(Game(
    name="counting",
    title="Counting",
    description="Two players count up in turns.",
    settings_type=CountingSettings,
    record_type=MoveRecord,
    seats=("model", "model"),
    new_state=CountingState,
    next_turn=next_turn,
    apply=apply,
    outcome=outcome,
    scores=scores,
    experiments=experiments,
    settings_for=settings_for,
    restore=restore,
    summary=lambda settings: f"from {settings.start}",
))


def counter(request: GenerationRequest) -> str:
    """A model that counts right: reads the last number from the game master's words."""
    last = re.search(r"was (\d+)", request.messages[-1].content)
    assert last is not None
    return str(int(last.group(1)) + 1)


def test_a_game_registered_by_a_test_plays_saves_and_resumes(tmp_path: Path) -> None:
    backend = ScriptedBackend(counter)
    settings = CountingSettings(start=5, seed=1)
    with GameStore.open(tmp_path / "games.db") as store:
        game_id = store.create_game(settings)
        state = CountingState(settings)
        master = GameMaster(state, (backend.session(Path("a")), backend.session(Path("b"))))
        assert play(master, store.saver(game_id), moves=2) == "stepped"
        resumed = store.load_game(game_id)
        assert isinstance(resumed, CountingState) and resumed.moves == state.moves
        master = GameMaster(resumed, (backend.session(Path("a")), backend.session(Path("b"))))
        assert play(master, store.saver(game_id)) == "finished"
        summary = store.list_games()[0]
    assert [m.message for m in resumed.moves] == ["5", "6", "7", "8"]
    assert (summary.game, summary.summary, summary.status.value) == ("counting", "from 5", "finished")
    assert summary.outcome == "success"
    scores = episode_scores(COUNTING, resumed)
    assert scores[BENCH_SCORE] == 100.0 and scores[METRIC_REQUEST_COUNT] == 4


def test_a_wrong_number_loses_and_a_non_number_aborts_after_reprompts() -> None:
    answers = iter(["1", "3"])
    state = CountingState(CountingSettings(turns=4))
    backend = ScriptedBackend(lambda request: next(answers))
    master = GameMaster(state, (backend.session(Path("a")), backend.session(Path("b"))))
    play(master, NoSaver())
    assert master.outcome == Outcome(Result.LOSE, "3 is not 2")

    state = CountingState(CountingSettings(max_reprompts=1))
    backend = ScriptedBackend(lambda request: "many")
    master = GameMaster(state, (backend.session(Path("a")), backend.session(Path("b"))))
    play(master, NoSaver())
    assert master.outcome.result is Result.ABORTED
    assert len(state.moves[0].attempts) == 2
    assert episode_scores(COUNTING, state)[BENCH_SCORE] != episode_scores(COUNTING, state)[BENCH_SCORE]  # NaN


def test_the_runner_plays_a_run_of_the_new_game_and_records_it(tmp_path: Path) -> None:
    config = DictgameConfig(db=tmp_path / "games.db", backend="scripted", game="counting")
    instances = get_game("counting").experiments(3)[0].instances
    with GameStore.open(config.db) as store:
        run_id = create_run(
            store, "counting", {"game": "counting"},
            [("small", {"game_id": n, **instance}) for n, instance in enumerate(instances)],
        )
        played = play_run(store, run_id, config, ScriptedBackend(counter), io.StringIO())
        rows = episodes(store, run_id)
        states = [store.load_game(row.game_id) for row in rows if row.game_id is not None]
        players = [store.seat_histories(row.game_id) for row in rows if row.game_id is not None]
    assert played == 3 and [row.status for row in rows] == ["finished"] * 3
    assert [s.settings.start for s in states] == [i["start"] for i in instances]
    written = write_records(
        [PlayedEpisode(COUNTING, "small", row.instance, state, seats)
         for row, state, seats in zip(rows, states, players)],
        tmp_path / "results",
    )
    assert len(written) == 3 and all((folder / "scores.json").exists() for folder in written)

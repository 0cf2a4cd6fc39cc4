"""Real games on the embedded SmolLM2 model through llama.cpp: played, stored, resumed, exported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from dictgame.engine.core.episode import GameMaster
from dictgame.engine.games.dictionary.rules import parse_update
from dictgame.engine.games.dictionary.settings import GameSettings
from dictgame.engine.games.dictionary.state import GameState, GameStatus
from dictgame.engine.players.llama import LlamaBackend
from dictgame.models import embedded_model_path
from dictgame.saves import GameStore

pytestmark = pytest.mark.real_model


@pytest.fixture(scope="module")
def backend() -> Iterator[LlamaBackend]:
    llama = LlamaBackend(n_ctx=2048)
    yield llama
    llama.close()


def test_headless_game_on_the_embedded_model_is_stored_and_exported(tmp_path: Path) -> None:
    db = tmp_path / "games.db"
    dictgame = str(Path(sys.executable).parent / "dictgame")
    env = {k: v for k, v in os.environ.items() if k != "DICTGAME_BACKEND"}
    played = subprocess.run(
        [dictgame, "play", "--headless", "--rounds", "2", "--seed", "3", "--words-per-message", "6",
         "--context-size", "2048", "--db", str(db)],
        capture_output=True, text=True, timeout=300, env=env,
    )
    assert played.returncode == 0, played.stderr
    assert "game id: 1" in played.stdout
    # llama.cpp's log goes to the log file, never to the terminal.
    assert "llama_" not in played.stderr and "ggml" not in played.stderr
    exported = subprocess.run(
        [dictgame, "export", "1", "--format", "json", "--db", str(db)],
        capture_output=True, text=True, timeout=60,
    )
    record = json.loads(exported.stdout)
    assert record["status"] == "finished"
    assert [m["move_index"] for m in record["messages"]] == [0, 1, 2, 3]
    assert all(m["text"] for m in record["messages"])
    assert all(m["completion_tokens"] > 0 for m in record["messages"])
    assert all(len(m["text"].split()) <= 6 for m in record["messages"])
    assert record["settings"]["players"][0]["model"] is None  # the embedded default


def test_dictionary_updates_are_always_json_under_the_schema(backend: LlamaBackend) -> None:
    """The grammar really applies: every update that ended by itself parses as the schema asks."""
    state = GameState(GameSettings(rounds=3, seed=21, words_per_message=6, temperature=1.0))
    path = embedded_model_path()
    master = GameMaster(state, (backend.session(path), backend.session(path)))
    while state.status is GameStatus.PLAYING:
        master.play_next_move()
    updates = [a for m in state.moves for a in m.attempts if a.step == "update"]
    assert len(updates) >= 5
    for attempt in updates:
        assert attempt.finish_reason == "stop", attempt.raw_output
        parse_update(attempt.raw_output)  # raises if it is not the schema's JSON
        assert attempt.violation is None


def test_interrupted_real_game_resumes_from_its_last_stored_move(backend: LlamaBackend, tmp_path: Path) -> None:
    settings = GameSettings(rounds=2, seed=5, words_per_message=6)
    path = embedded_model_path()
    db = tmp_path / "games.db"
    state = GameState(settings)
    master = GameMaster(state, (backend.session(path), backend.session(path)))
    with GameStore.open(db) as store:
        game_id = store.create_game(settings)
        for _ in range(2):
            store.save_move(game_id, state, master.play_next_move())

    with GameStore.open(db) as store:
        resumed = store.load_game(game_id)
        assert resumed.moves_played == 2
        assert [m.message for m in resumed.moves] == [m.message for m in state.moves]
        assert resumed.dictionaries == state.dictionaries
        # Fresh sessions: as after a restart, nothing is cached.
        fresh = LlamaBackend(n_ctx=2048)
        try:
            master = GameMaster(resumed, (fresh.session(path), fresh.session(path)))
            while resumed.status is GameStatus.PLAYING:
                store.save_move(game_id, resumed, master.play_next_move())
        finally:
            fresh.close()
        store.set_status(game_id, resumed.status)
        final = store.load_game(game_id)
    assert final.status is GameStatus.FINISHED
    assert [m.move_index for m in final.moves] == [0, 1, 2, 3]
    assert final.moves[2].incoming == final.moves[1].message


def test_game_that_outgrows_the_context_window_goes_on() -> None:
    """With a small window the game master shows less old history, and the game finishes."""
    small = LlamaBackend(n_ctx=768)
    try:
        path = embedded_model_path()
        state = GameState(GameSettings(rounds=8, seed=13, words_per_message=6))
        master = GameMaster(state, (small.session(path), small.session(path)))
        while state.status is GameStatus.PLAYING:
            master.play_next_move()
    finally:
        small.close()
    assert state.moves_played == 16
    own_moves = 8
    assert any(len(master.conversation(seat)) < 1 + 2 * own_moves for seat in (0, 1))


@pytest.mark.parametrize("mode", ["scenes", "invented"])
def test_a_grounded_game_on_the_embedded_model_names_guesses_and_learns_under_its_grammars(
    backend: LlamaBackend, mode: str
) -> None:
    """Every name, guess and update comes back as its schema allows, so no move is violated
    and every round is decided with a guess among the listener's things."""
    from dictgame.engine.games.dictionary.game import DICTIONARY
    from dictgame.engine.games.dictionary.scenes import label

    settings = GameSettings(mode=mode, rounds=3, seed=4)  # type: ignore[arg-type]
    path = embedded_model_path()
    state = GameState(settings)
    master = GameMaster(state, (backend.session(path), backend.session(path)))
    while state.status is GameStatus.PLAYING:
        master.play_next_move()
    assert state.moves_played == 4 and not any(m.violated for m in state.moves)
    for move in state.records[1:]:
        assert move.scene is not None and move.pick in move.scene.views[move.seat]
    for move in state.records[:-1]:  # each names one of its own things of the next scene
        scene = state.records[move.move_index + 1].scene
        assert scene is not None
        assert move.message in [label(settings, move.seat, c) for c in scene.views[move.seat]]
    for attempt in (a for m in state.moves for a in m.attempts if a.step == "update"):
        parse_update(attempt.raw_output)
    scores = DICTIONARY.scores(state)
    assert sorted(scores.rounds) == [1, 2, 3] and 0 <= scores.episode["Success Rate"] <= 1

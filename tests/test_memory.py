"""Memory for long games (issue 11): retrieval by recency, importance and relevance, the
budgeted prompt, reflection, and a saved game that resumes with exactly the same memories."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from dictgame.engine.backend import GenerationRequest
from dictgame.engine.core.episode import GameMaster
from dictgame.engine.core.memory import MemorySettings, MemoryStream, NgramEmbedder, recent_start
from dictgame.engine.games.dictionary.dictionary import Operation, OperationKind
from dictgame.engine.games.dictionary.game import settings_for
from dictgame.engine.games.dictionary.settings import GameSettings
from dictgame.engine.games.dictionary.state import GameState, GameStatus
from dictgame.engine.scripted import ScriptedBackend, phrasebook_player
from dictgame.saves import GameStore
from dictgame.tui.cli.main import _config_from, build_parser

NEEDLE = ("lighthouse", "faro")
SEED = 3


def stream(**weights: float) -> MemoryStream:
    return MemoryStream(MemorySettings(**weights), NgramEmbedder())


def filled(**weights: float) -> MemoryStream:
    memories = stream(**weights)
    memories.add(0, "learned", 'I learned "lighthouse" means "faro"', 6)
    memories.add(5, "heard", 'Alice told me "good bread"', 2)
    memories.add(9, "edit", 'The person set "sun" means "sol"', 8)
    return memories


def test_each_weight_alone_ranks_by_its_own_term() -> None:
    query = "the lighthouse is far"
    assert filled(recency_weight=1, importance_weight=0, relevance_weight=0).retrieve(
        query, 10)[0].id == 2
    assert filled(recency_weight=0, importance_weight=1, relevance_weight=0).retrieve(
        query, 10)[0].id == 2
    assert filled(recency_weight=0, importance_weight=0, relevance_weight=1).retrieve(
        query, 10)[0].id == 0


def test_terms_are_min_max_normalised_and_summed_with_their_weights() -> None:
    weights = {"recency_weight": 0.5, "importance_weight": 2.0, "relevance_weight": 3.0}
    found = filled(**weights).retrieve("the lighthouse is far", 10)
    for term in ("recency", "importance", "relevance"):
        values = [getattr(r, term) for r in found]
        assert min(values) == 0.0 and max(values) == 1.0
    for r in found:
        expected = 0.5 * r.recency + 2.0 * r.importance + 3.0 * r.relevance
        assert r.score == pytest.approx(expected, abs=1e-3)
    assert [r.score for r in found] == sorted((r.score for r in found), reverse=True)


def test_a_retrieved_memory_is_recent_again() -> None:
    memories = filled(recency_weight=1, importance_weight=0, relevance_weight=0)
    memories.access([0], 20)
    assert memories.retrieve("anything", 21)[0].id == 0


def test_the_recent_window_moves_in_steps_and_fits_its_budget() -> None:
    starts = []
    for length in range(1, 60):
        tokens = [30] * length
        start = recent_start(tokens, budget=200, step=4)
        assert sum(tokens[start:]) <= 200 and start % 4 == 0
        starts.append(start)
    assert starts == sorted(starts)
    # Between jumps the window only grows at its end: the prefix stays the same.
    assert sum(a == b for a, b in zip(starts, starts[1:])) >= 0.7 * (len(starts) - 1)


def needle_player(needle_rounds: tuple[int, ...]) -> object:
    """The phrasebook players, but Alice says "lighthouse" in the given rounds and Bruno
    learns it; everything else they say and learn is the phrasebook's."""

    def respond(request: GenerationRequest) -> str:
        instruction = request.messages[-1].content
        system = request.messages[0].content
        english = "You speak only English" in system
        schema = request.json_schema or {}
        if "updates" in json.dumps(schema) and 'said: "lighthouse' in instruction:
            return json.dumps({"updates": [{"op": "add", "word": NEEDLE[0], "meaning": NEEDLE[1],
                                            "confidence": 0.8}]})
        move = (request.seed - SEED) // 1000
        if english and request.json_schema is None and move // 2 + 1 in needle_rounds:
            return "lighthouse good"
        return phrasebook_player(request)

    return respond


def play_memory_game(rounds: int, needle_rounds: tuple[int, ...], **memory: float) -> GameMaster:
    backend = ScriptedBackend(needle_player(needle_rounds))  # type: ignore[arg-type]
    settings = GameSettings(rounds=rounds, seed=SEED, memory=MemorySettings(**memory))
    master = GameMaster(GameState(settings), (backend.session(Path("a")), backend.session(Path("b"))))
    while master.state.status is GameStatus.PLAYING:
        master.play_next_move()
    return master


def test_an_early_word_that_comes_back_late_is_retrieved_into_the_prompt() -> None:
    master = play_memory_game(40, needle_rounds=(2, 40), recent_tokens=300)
    state = master.state
    learned = next(m for m in state.memories[1].memories if NEEDLE[0] in m.text
                   and m.kind == "learned")
    assert learned.move < 10
    last = state.records[-1]
    assert learned.id in [r.id for r in last.retrieved]
    update = last.attempts[0].instruction
    assert f"[{learned.id}] (move {learned.move})" in update
    # The early exchange itself is no longer among the recent turns the prompt shows.
    shown = " ".join(m.content for m in master.conversation(1))
    assert "lighthouse" not in shown


def test_prompts_stay_short_over_a_long_game() -> None:
    state = play_memory_game(80, needle_rounds=(2,), recent_tokens=300).state
    sizes = [max(a.prompt_tokens for a in r.attempts) for r in state.records[2:]]
    assert max(sizes[-20:]) <= 1.3 * max(sizes[:40])


def test_a_reflection_cites_the_memories_it_rests_on() -> None:
    state = play_memory_game(20, needle_rounds=(2,), reflection_threshold=40).state
    written = [(r.seat, reflection) for r in state.records for reflection in r.reflections]
    assert written
    for seat, reflection in written:
        stream = state.memories[seat]
        memory = next(m for m in stream.memories if m.kind == "reflection"
                      and m.text == reflection.text)
        for cited in reflection.evidence:
            assert cited < memory.id and stream.memories[cited].kind == "learned"
            word = re.search(r'"([^"]+)" means', stream.memories[cited].text)
            assert word and word.group(1) in reflection.text


def test_a_saved_game_resumes_with_exactly_the_same_memories(tmp_path: Path) -> None:
    backend = ScriptedBackend(needle_player((2,)))  # type: ignore[arg-type]
    settings = GameSettings(rounds=12, seed=SEED, memory=MemorySettings(
        recent_tokens=150, reflection_threshold=30))
    sessions = (backend.session(Path("a")), backend.session(Path("b")))
    with GameStore.open(tmp_path / "saves.db") as store:
        game_id = store.create_game(settings)
        state = GameState(settings)
        master = GameMaster(state, sessions)
        for _ in range(9):
            store.save_move(game_id, state, master.play_next_move())
        edit = state.edit(1, Operation(kind=OperationKind.ADD, foreign="moon", meaning="luna"))
        store.save_edit(game_id, state, edit)
        for _ in range(4):
            store.save_move(game_id, state, master.play_next_move())
        resumed = store.load_game(game_id)
    for seat in (0, 1):
        assert resumed.memories[seat].memories == state.memories[seat].memories
        assert resumed.memories[seat].last_access == state.memories[seat].last_access
    assert any(m.kind == "edit" for m in resumed.memories[1].memories)
    assert any(m.kind == "reflection" for s in resumed.memories for m in s.memories)
    on, resumed_on = GameMaster(state, sessions), GameMaster(resumed, sessions)
    assert on.play_next_move().retrieved == resumed_on.play_next_move().retrieved


def test_memory_is_off_unless_asked() -> None:
    assert GameSettings().memory is None
    assert GameSettings(memory=True).memory == MemorySettings()
    assert GameState(GameSettings()).memories is None


def test_a_new_invented_game_remembers_unless_told_not_to() -> None:
    """What `dictgame play --mode invented`, a run's invented instances and the form start
    (game.settings_for); told `--no-memory` (false), or another mode, no memory."""
    assert settings_for({}, {"mode": "invented"}).memory == MemorySettings()
    assert settings_for({"mode": "invented"}, {}).memory == MemorySettings()
    assert settings_for({}, {"mode": "invented", "memory": False}).memory is None
    assert settings_for({}, {"mode": "scenes"}).memory is None
    assert settings_for({}, {}).memory is None


def test_a_new_invented_game_lists_only_the_heard_words_entries_unless_told_otherwise() -> None:
    """Its update after a guess (game.NEW_INVENTED_UPDATE_SHOWS); a config that says
    `update_shows = "dictionary"` wins, other modes and the settings' default (what games
    saved before played by) list the whole dictionary."""
    assert settings_for({}, {"mode": "invented"}).update_shows == "heard"
    assert settings_for({"mode": "invented"}, {}).update_shows == "heard"
    given = {"mode": "invented", "update_shows": "dictionary"}
    assert settings_for({}, given).update_shows == "dictionary"
    assert settings_for({}, {"mode": "scenes"}).update_shows == "dictionary"
    assert GameSettings(mode="invented").update_shows == "dictionary"


def test_the_memory_flags_reach_the_game() -> None:
    for flags, remembers in (([], True), (["--memory"], True), (["--no-memory"], False)):
        args = build_parser().parse_args(["play", "--headless", "--mode", "invented", *flags])
        settings = _config_from(args).game_settings(1)
        assert (settings.memory is not None) is remembers, flags
    args = build_parser().parse_args(["play", "--headless", "--memory"])
    assert _config_from(args).game_settings(1).memory == MemorySettings()


@pytest.mark.real_model
def test_after_150_scripted_rounds_the_round_2_needle_is_in_the_prompt_the_real_model_answers(
    tmp_path: Path,
) -> None:
    """150 rounds in a 2048-token context: the phrasebook plays the first 299 moves, so what
    is retrieved is decided before the real model plays; this proves the prompt the game
    master builds (the round-2 entry in it, within the context) and that SmolLM2-135M answers
    it, not that the model's own messages are retrieved (the next test)."""
    from dictgame.engine.players.llama.backend import LlamaBackend
    from dictgame.models import embedded_model_path

    backend = ScriptedBackend(needle_player((2, 150)))  # type: ignore[arg-type]
    settings = GameSettings(rounds=150, seed=SEED, memory=True)
    state = GameState(settings)
    scripted = GameMaster(state, (backend.session(Path("a")), backend.session(Path("b"))))
    with GameStore.open(tmp_path / "saves.db") as store:
        game_id = store.create_game(settings)
        while state.moves_played < settings.total_moves - 1:
            store.save_move(game_id, state, scripted.play_next_move())
        llama = LlamaBackend(n_ctx=2048, n_threads=1)
        try:
            model = llama.session(Path(embedded_model_path()))
            real = GameMaster(state, (model, model))
            record = real.play_next_move()
        finally:
            llama.close()
        store.save_move(game_id, state, record)
        stored = store.load_game(game_id).records[-1]
    learned = next(m for m in state.memories[1].memories
                   if m.kind == "learned" and NEEDLE[0] in m.text)
    assert record.round == 150 and record.seat == 1
    assert learned.move <= 3
    assert all(a.model and a.prompt_tokens + a.cached_tokens < 2048 for a in record.attempts)
    assert f"[{learned.id}] (move {learned.move}) " in record.attempts[0].instruction
    assert learned.id in [r.id for r in stored.retrieved]
    assert "lighthouse" not in " ".join(m.content for m in real.conversation(1))


@pytest.mark.real_model
def test_a_game_the_real_model_plays_whole_retrieves_its_own_early_moves_beyond_the_window() -> None:
    """SmolLM2-135M plays every move of a 6-round game (its own messages and updates; about
    a minute on two busy cores) with a window of recent exchanges too small to hold the
    first rounds: late prompts quote memories of moves the window no longer shows, each as
    stored with the move that retrieved it."""
    from dictgame.engine.players.llama.backend import LlamaBackend
    from dictgame.models import embedded_model_path

    settings = GameSettings(rounds=6, seed=SEED, words_per_message=6,
                            memory=MemorySettings(recent_tokens=50))
    llama = LlamaBackend(n_ctx=2048, n_threads=1)
    try:
        model = llama.session(Path(embedded_model_path()))
        master = GameMaster(GameState(settings), (model, model))
        while master.state.status is GameStatus.PLAYING:
            master.play_next_move()
    finally:
        llama.close()
    state = master.state
    assert state.moves_played == 12
    assert all(a.model for record in state.records for a in record.attempts)
    beyond = []
    for record in state.records[-2:]:  # each player's last move: its prompt is still known
        memories = {m.id: m for m in state.memories[record.seat].memories}
        shown = " ".join(m.content for m in master.conversation(record.seat))
        for retrieved in record.retrieved:
            memory = memories[retrieved.id]
            assert f"[{memory.id}] (move {memory.move})" in record.attempts[0].instruction
            early = state.records[memory.move].message.strip() if memory.move < 4 else None
            if early and early not in shown:
                beyond.append((record.move_index, memory.move, memory.text))
    print(f"{len(beyond)} retrievals of moves the recent window no longer showed: {beyond[:3]}")
    assert beyond, "no late prompt retrieved an early move beyond the recent window"


def test_the_memory_flag_plays_a_headless_game_that_remembers(tmp_path: Path) -> None:
    db = tmp_path / "games.db"
    played = subprocess.run(
        [str(Path(sys.executable).parent / "dictgame"), "play", "--headless", "--memory",
         "--rounds", "6", "--db", str(db)],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "DICTGAME_BACKEND": "scripted"},
    )
    assert played.returncode == 0, played.stderr
    with GameStore.open(db) as store:
        state = store.load_game(1)
    assert state.settings.memory == MemorySettings()
    assert any(record.retrieved for record in state.records)

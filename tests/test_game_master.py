"""The game master on the scripted backend: moves, move rules, re-prompts, cancellation, edits."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest

from dictgame.engine.backend import (
    CancelToken,
    ContextOverflowError,
    Generation,
    GenerationCancelled,
    GenerationRequest,
    TokenCallback,
)
from dictgame.engine.core.episode import GameMaster, GameOver
from dictgame.engine.games.dictionary.dictionary import Operation, OperationKind, Source, replay
from dictgame.engine.games.dictionary.events import (
    GameEvent,
    MoveFinished,
    OperationApplied,
    TextStreamed,
)
from dictgame.engine.games.dictionary.scores import score
from dictgame.engine.games.dictionary.settings import GameSettings
from dictgame.engine.games.dictionary.state import GameState, GameStatus, InvalidEdit
from dictgame.engine.scripted import ScriptedBackend, ScriptedSession, replies_in_order


def new_game(backend: ScriptedBackend, **settings: object) -> GameMaster:
    state = GameState(GameSettings(**settings))  # type: ignore[arg-type]
    return GameMaster(state, (backend.session(Path("a")), backend.session(Path("b"))))


def play_all(master: GameMaster) -> None:
    while master.state.status is GameStatus.PLAYING:
        master.play_next_move()


def update(*operations: tuple[str, str, str, float]) -> str:
    return json.dumps(
        {"updates": [{"op": o, "word": w, "meaning": m, "confidence": c} for o, w, m, c in operations]}
    )


def test_a_game_alternates_players_and_ends_after_its_rounds() -> None:
    master = new_game(ScriptedBackend(), rounds=3, seed=7)
    play_all(master)
    state = master.state
    assert state.status is GameStatus.FINISHED
    assert [m.seat for m in state.moves] == [0, 1, 0, 1, 0, 1]
    assert [m.round for m in state.moves] == [1, 1, 2, 2, 3, 3]
    assert state.moves[0].incoming is None
    assert all(m.incoming == prev.message for prev, m in zip(state.moves, state.moves[1:]))
    with pytest.raises(GameOver):
        master.play_next_move()


def test_phrasebook_players_build_a_common_dictionary() -> None:
    master = new_game(ScriptedBackend(), rounds=6, seed=3)
    play_all(master)
    state = master.state
    scores = score(state)
    assert scores.common == len(state.common) > 0
    assert 0 < scores.agreement <= 1
    # Every entry a player learned quotes the partner.
    for seat in (0, 1):
        said = state.said_by(1 - seat).casefold()
        assert all(e.foreign.casefold() in said for e in state.dictionaries[seat])
    # History replays to the dictionaries.
    assert replay(state.history, 0) == state.dictionaries[0]
    assert replay(state.history, 1) == state.dictionaries[1]


def test_same_seed_same_game() -> None:
    first, second = new_game(ScriptedBackend(), rounds=4, seed=11), new_game(ScriptedBackend(), rounds=4, seed=11)
    play_all(first)
    play_all(second)
    assert [m.message for m in first.state.moves] == [m.message for m in second.state.moves]


def test_broken_reply_is_reprompted_then_accepted() -> None:
    backend = ScriptedBackend(
        replies_in_order(["", "one two three four five six seven eight nine ten", "Hello friend"])
    )
    master = new_game(backend, rounds=1, words_per_message=5, max_reprompts=2)
    record = master.play_next_move()
    assert record.message == "Hello friend" and not record.violated
    violations = [a.violation for a in record.attempts]
    assert violations[0] == "the reply is empty"
    assert violations[1] is not None and "10 words" in violations[1]
    assert violations[2] is None
    # By default a broken answer is asked again unchanged, with a new seed.
    assert record.attempts[1].instruction == record.attempts[0].instruction
    assert score(master.state).players[0].violated == 2


def test_feedback_reprompt_names_the_broken_rule() -> None:
    seen: list[GenerationRequest] = []

    def responder(request: GenerationRequest) -> str:
        seen.append(request)
        return "" if len(seen) == 1 else "Hello friend"

    master = new_game(ScriptedBackend(responder), rounds=1, reprompt="feedback")
    record = master.play_next_move()
    assert "the reply is empty" in record.attempts[1].instruction
    assert seen[1].messages[-1].content == record.attempts[1].instruction
    assert seen[1].seed != seen[0].seed


def test_reply_still_broken_after_last_reprompt_is_cut_and_marked() -> None:
    long = "a b c d e f g h"
    master = new_game(ScriptedBackend(replies_in_order([long] * 3)), rounds=2, words_per_message=3, max_reprompts=2)
    record = master.play_next_move()
    assert record.violated and record.message == "a b c" and len(record.attempts) == 3
    assert master.state.status is GameStatus.PLAYING


def test_violation_aborts_when_settings_say_so() -> None:
    master = new_game(
        ScriptedBackend(replies_in_order([""] * 2)), rounds=2, max_reprompts=1, on_violation="abort"
    )
    master.play_next_move()
    assert master.state.status is GameStatus.ABORTED


def test_update_cut_by_the_token_limit_is_reprompted_and_operations_checked() -> None:
    replies = [
        "Hello friend water",
        '{"updates": [{"op": "add", "word": "he',  # cut off: not JSON
        update(("add", "water", "agua", 0.9), ("add", "perro", "perro", 0.5), ("remove", "gato", "", 0.5)),
        "Agua buena",
    ]
    master = new_game(ScriptedBackend(replies_in_order(replies)), rounds=1, opening="")
    master.play_next_move()
    record = master.play_next_move()
    steps = [(a.step, a.violation is None) for a in record.attempts]
    assert steps == [("update", False), ("update", True), ("reply", True)]
    assert [a.operation.foreign for a in record.applied] == ["water"]
    reasons = [r.reason for r in record.rejected]
    assert "'perro' does not occur in the partner's messages" in reasons
    assert "'gato' is not in the dictionary" in reasons
    assert not record.violated


def test_configured_opening_is_the_first_message_without_asking_a_model() -> None:
    backend = ScriptedBackend(replies_in_order([update(("add", "hello", "hola", 0.7)), "Hola"]))
    master = new_game(backend, rounds=1, opening="  Hello   there ")
    first = master.play_next_move()
    assert first.message == "Hello there" and first.attempts == ()
    second = master.play_next_move()
    assert [a.operation.foreign for a in second.applied] == ["hello"]


class SlowSession(ScriptedSession):
    """Streams slowly and tells the test when it has started writing."""

    def __init__(self, started: threading.Event) -> None:
        super().__init__(lambda request: "uno dos tres cuatro cinco seis", token_delay=0.05)
        self.started = started

    def generate(self, request: GenerationRequest, on_text: TokenCallback | None = None,
                 cancel: CancelToken | None = None) -> Generation:
        self.started.set()
        return super().generate(request, on_text, cancel)


def test_cancelled_move_leaves_the_state_untouched() -> None:
    started = threading.Event()
    state = GameState(GameSettings(rounds=2))
    master = GameMaster(state, (SlowSession(started), SlowSession(started)))
    cancel = CancelToken()
    streamed: list[GameEvent] = []

    def cancel_once_writing(event: GameEvent) -> None:
        """The person pauses while the first words are being streamed."""
        streamed.append(event)
        if isinstance(event, TextStreamed):
            cancel.cancel()

    with pytest.raises(GenerationCancelled):
        master.play_next_move(on_event=cancel_once_writing, cancel=cancel)
    assert any(isinstance(e, TextStreamed) for e in streamed)
    assert not any(isinstance(e, MoveFinished) for e in streamed)
    assert state.moves_played == 0 and state.history == []
    # The same move plays again from its start.
    record = master.play_next_move()
    assert record.move_index == 0 and record.message == "uno dos tres cuatro cinco seis"


def test_user_edit_is_applied_with_provenance_and_shown_next_move() -> None:
    seen: list[GenerationRequest] = []

    def responder(request: GenerationRequest) -> str:
        seen.append(request)
        return update() if request.json_schema else "hola"

    master = new_game(ScriptedBackend(responder), rounds=2)
    master.play_next_move()
    master.play_next_move()
    applied = master.state.edit(0, Operation(kind=OperationKind.ADD, foreign="hola", meaning="hi", confidence=1.0))
    assert applied.source is Source.USER and applied.after_move == 2
    master.play_next_move()
    update_prompt = [r for r in seen if r.json_schema][-1].messages[-1].content
    assert "Words of it in your dictionary: hola = hi (1.0)" in update_prompt
    entry = master.state.dictionaries[0].get("hola")
    assert entry is not None and entry.added_by is Source.USER


def test_invalid_user_edit_is_refused() -> None:
    master = new_game(ScriptedBackend(), rounds=1)
    with pytest.raises(InvalidEdit, match="confidence"):
        master.state.edit(1, Operation(kind=OperationKind.ADD, foreign="x", meaning="y", confidence=7))
    assert master.state.history == []


def test_operations_are_announced_live_before_the_move_is_applied() -> None:
    master = new_game(ScriptedBackend(), rounds=2, seed=1)
    master.play_next_move()
    events: list[GameEvent] = []
    record = master.play_next_move(on_event=events.append)
    announced = [e.applied for e in events if isinstance(e, OperationApplied)]
    assert announced == list(record.applied)


class SmallContextSession(ScriptedSession):
    """Refuses prompts over a word budget, as llama.cpp refuses prompts over n_ctx."""

    def __init__(self, budget: int) -> None:
        super().__init__(lambda r: update() if r.json_schema else "hola amigo", token_delay=0)
        self.budget = budget

    def generate(self, request: GenerationRequest, on_text: TokenCallback | None = None,
                 cancel: CancelToken | None = None) -> Generation:
        words = sum(len(m.content.split()) for m in request.messages)
        if words > self.budget:
            raise ContextOverflowError(words, request.max_tokens, self.budget)
        return super().generate(request, on_text, cancel)


def test_long_game_drops_old_history_when_the_context_is_full() -> None:
    state = GameState(GameSettings(rounds=30))
    master = GameMaster(state, (SmallContextSession(150), SmallContextSession(150)))
    while state.status is GameStatus.PLAYING:
        master.play_next_move()
    assert state.moves_played == 60
    assert len(master.conversation(0)) < 2 * 30 + 1


def test_retries_sample_hotter_and_adds_of_held_words_are_recorded_as_revisions() -> None:
    seen: list[GenerationRequest] = []

    def responder(request: GenerationRequest) -> str:
        seen.append(request)
        if request.json_schema:
            return update(("add", "hola", "hello", 0.6), ("add", "HOLA", "hi", 0.8))
        return "" if len(seen) in (1, 4) else "hola"

    master = new_game(ScriptedBackend(responder), rounds=1, temperature=0.5)
    master.play_next_move()
    assert [r.temperature for r in seen] == [0.5, 0.8]
    record = master.play_next_move()
    assert [a.operation.kind for a in record.applied] == [OperationKind.ADD, OperationKind.REVISE]
    assert master.state.dictionaries[1].get("hola").meaning == "hi"  # type: ignore[union-attr]


def test_a_reply_in_another_language_is_caught_and_asked_again() -> None:
    backend = ScriptedBackend(replies_in_order(["Hola amigo, ¿cómo estás hoy?", "Hello friend, how are you?"]))
    master = new_game(backend, rounds=1)
    record = master.play_next_move()
    assert record.message == "Hello friend, how are you?" and not record.violated
    violation = record.attempts[0].violation
    assert violation is not None and violation.startswith("the reply is not in English (it reads as Spanish)")


class RecordingSession(ScriptedSession):
    """The phrasebook's answers, keeping every request's messages."""

    def __init__(self) -> None:
        super().__init__(lambda r: update() if r.json_schema else "hola amigo", token_delay=0)
        self.requests: list[GenerationRequest] = []

    def generate(self, request: GenerationRequest, on_text: TokenCallback | None = None,
                 cancel: CancelToken | None = None) -> Generation:
        self.requests.append(request)
        return super().generate(request, on_text, cancel)


def shown_history(request: GenerationRequest) -> tuple[Any, ...]:
    """The past exchanges a request showed: between the system prompt and the move's ask."""
    return request.messages[1:-1]


def test_a_long_free_game_shows_its_history_within_the_budget_and_only_appends_between_steps(
) -> None:
    from dictgame.engine.core.memory import estimate_tokens

    sessions = (RecordingSession(), RecordingSession())
    state = GameState(GameSettings(rounds=40, history_tokens=200))
    master = GameMaster(state, sessions)
    play_all(master)
    replies = [r for r in sessions[0].requests if r.json_schema is None]
    sizes = [sum(estimate_tokens(m.content) for m in shown_history(r)) for r in replies]
    assert max(sizes) <= 200
    assert sizes[-1] > 0
    # The history moved on in a few steps; between them each prompt began with the last one.
    steps = sum(
        1 for before, after in zip(replies, replies[1:], strict=False)
        if after.messages[: len(before.messages) - 1] != before.messages[:-1]
    )
    assert 1 <= steps <= 40 // 6 + 1
    # Without a budget the whole history is shown.
    whole = (RecordingSession(), RecordingSession())
    master = GameMaster(GameState(GameSettings(rounds=40, history_tokens=None)), whole)
    play_all(master)
    last = [r for r in whole[0].requests if r.json_schema is None][-1]
    assert len(shown_history(last)) > len(shown_history(replies[-1]))


def test_a_resumed_game_shows_the_history_the_game_it_resumes_showed() -> None:
    settings = GameSettings(rounds=30, history_tokens=200, seed=3)
    played = GameMaster(GameState(settings), (RecordingSession(), RecordingSession()))
    for _ in range(41):
        played.play_next_move()
    restored = GameState.restore(settings, played.state.moves[:40], [])
    resumed = GameMaster(restored, (RecordingSession(), RecordingSession()))
    resumed.play_next_move()
    assert resumed.conversation(0) == played.conversation(0)


def test_a_free_update_is_asked_without_the_talk_and_the_reply_with_it() -> None:
    sessions = (RecordingSession(), RecordingSession())
    master = GameMaster(GameState(GameSettings(rounds=6)), sessions)
    play_all(master)
    updates = [r for r in sessions[1].requests if r.json_schema is not None]
    # (The phrasebook's reply breaks a move rule and is asked again: first attempts only.)
    replies = [r for r in sessions[1].requests if r.json_schema is None and r.temperature == 0.7]
    assert len(updates) == len(replies) == 6
    # The update: the player's rules and the ask, whatever the round.
    assert all([m.role for m in r.messages] == ["system", "user"] for r in updates)
    assert all('said: "' in r.messages[-1].content for r in updates)
    # The reply: the talk before it, growing a round at a time.
    assert [len(shown_history(r)) for r in replies] == [2 * n for n in range(6)]


class WithSmallAside(RecordingSession):
    """A session whose aside's window is too small for any prompt."""

    def __init__(self) -> None:
        super().__init__()
        self.beside = SmallContextSession(0)

    def aside(self) -> SmallContextSession:
        return self.beside


def test_an_ask_put_alone_that_does_not_fit_the_aside_is_asked_alone_on_the_players_session(
) -> None:
    sessions = (WithSmallAside(), WithSmallAside())
    master = GameMaster(GameState(GameSettings(rounds=3)), sessions)
    play_all(master)
    updates = [r for r in sessions[0].requests if r.json_schema is not None]
    assert len(updates) == 2
    assert all([m.role for m in r.messages] == ["system", "user"] for r in updates)
    assert master.state.moves_played == 6
    update_attempts = [a for r in master.state.records for a in r.attempts if a.step == "update"]
    assert len(update_attempts) == 5 and all(a.violation is None for a in update_attempts)

"""Property tests: whatever a model writes and whatever a user edits, the game state stays valid.

Invariants checked after every step: the history replays to the current dictionaries, no entry
is lost except by a remove, confidences stay in 0..1, words stay trimmed and non-empty, and the
move record survives a JSON round trip (what the store relies on).
"""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from dictgame.engine.backend import GenerationRequest
from dictgame.engine.core.episode import GameMaster
from dictgame.engine.games.dictionary.dictionary import Operation, OperationKind, replay
from dictgame.engine.games.dictionary.records import MoveRecord
from dictgame.engine.games.dictionary.rules import UpdateParseError, parse_update
from dictgame.engine.games.dictionary.settings import GameSettings
from dictgame.engine.games.dictionary.state import GameState, GameStatus, InvalidEdit
from dictgame.engine.scripted import ScriptedBackend

words = st.text(min_size=0, max_size=12)
confidences = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-5, max_value=5),
    st.sampled_from([0, 0.5, 1]),
)
operation_items = st.fixed_dictionaries(
    {
        "op": st.one_of(st.sampled_from([k.value for k in OperationKind]), st.text(max_size=6)),
        "word": st.one_of(words, st.integers(), st.none()),
        "meaning": st.one_of(words, st.none()),
        "confidence": st.one_of(confidences, st.text(max_size=3), st.booleans()),
    }
)
# What a model may write for an update: good JSON, near-JSON, garbage, JSON cut short.
update_outputs = st.one_of(
    st.builds(lambda items: json.dumps({"updates": items}), st.lists(operation_items, max_size=5)),
    st.builds(lambda items, cut: json.dumps({"updates": items})[:cut], st.lists(operation_items, max_size=4), st.integers(0, 80)),
    st.text(max_size=60),
    st.just('{"updates": null}'),
)
reply_outputs = st.one_of(
    st.text(max_size=80),
    st.just(""),
    st.just("word " * 60),
    st.just("[red]hola[/] [link=http://x]amigo[/link]"),
    st.just("Привет друг"),
)
user_edits = st.builds(
    Operation,
    kind=st.sampled_from(list(OperationKind)),
    foreign=words,
    meaning=words,
    confidence=st.floats(min_value=-1, max_value=2, allow_nan=False),
)


def assert_state_is_valid(state: GameState) -> None:
    for seat in (0, 1):
        dictionary = state.dictionaries[seat]
        assert replay(state.history, seat) == dictionary
        for entry in dictionary:
            assert 0.0 <= entry.confidence <= 1.0
            assert entry.foreign and entry.foreign == " ".join(entry.foreign.split())
            assert entry.meaning == " ".join(entry.meaning.split())
    assert [m.move_index for m in state.moves] == list(range(state.moves_played))


@example('{"updates": [{"op": "add", "word": "x", "meaning": "y", "confidence": NaN}]}')
@given(update_outputs)
def test_parse_update_either_parses_or_says_why(raw: str) -> None:
    try:
        parsed = parse_update(raw)
    except UpdateParseError as error:
        assert str(error)
        return
    for operation in parsed.operations:
        assert isinstance(operation.foreign, str) and isinstance(operation.confidence, float)
        # Every parsed operation must survive the store's JSON round trip.
        assert Operation.model_validate_json(operation.model_dump_json()) == operation


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    outputs=st.lists(st.one_of(update_outputs, reply_outputs), min_size=4, max_size=30),
    edits=st.lists(st.tuples(st.integers(0, 7), st.integers(0, 1), user_edits), max_size=6),
)
def test_any_model_output_and_user_edits_keep_the_game_valid(
    outputs: list[str], edits: list[tuple[int, int, Operation]]
) -> None:
    remaining = iter(outputs)

    def responder(request: GenerationRequest) -> str:
        return next(remaining, "hola")

    backend = ScriptedBackend(responder)
    state = GameState(GameSettings(rounds=4, max_reprompts=1))
    master = GameMaster(state, (backend.session(Path("a")), backend.session(Path("b"))))
    while state.status is GameStatus.PLAYING:
        for after_move, owner, operation in edits:
            if after_move == state.moves_played:
                size_before = len(state.dictionaries[owner])
                try:
                    state.edit(owner, operation)
                except InvalidEdit:
                    assert len(state.dictionaries[owner]) == size_before
        size_before = [len(d) for d in state.dictionaries]
        record = master.play_next_move()
        removed = sum(1 for a in record.applied if a.operation.kind is OperationKind.REMOVE)
        assert len(state.dictionaries[record.seat]) >= size_before[record.seat] - removed
        assert len(record.message.split()) <= state.settings.words_per_message
        assert MoveRecord.model_validate_json(record.model_dump_json()) == record
        assert_state_is_valid(state)

"""The game rules as plain functions: parsing updates and replies, checking and merging operations."""

from __future__ import annotations

import json

import pytest

from dictgame.engine.games.dictionary.dictionary import (
    AppliedOperation,
    Dictionary,
    Operation,
    OperationKind,
    Source,
    check_operation,
    common_pairs,
    occurs_in,
    replay,
)
from dictgame.engine.games.dictionary.rules import (
    UpdateParseError,
    clean_reply,
    cut_to_limit,
    parse_update,
    reply_violation,
    update_schema,
    update_token_budget,
)


def add(word: str, meaning: str, confidence: float = 0.5) -> Operation:
    return Operation(kind=OperationKind.ADD, foreign=word, meaning=meaning, confidence=confidence)


def test_parse_update_reads_operations_and_keeps_malformed_items_apart() -> None:
    raw = json.dumps(
        {
            "updates": [
                {"op": "add", "word": "hola", "meaning": "hello", "confidence": 0.9},
                {"op": "shout", "word": "x", "meaning": "y", "confidence": 1},
                {"op": "remove", "word": "agua", "meaning": "", "confidence": True},
            ]
        }
    )
    parsed = parse_update(raw)
    assert parsed.operations == (add("hola", "hello", 0.9),)
    assert len(parsed.malformed) == 2
    assert "unknown op 'shout'" in parsed.malformed[0]
    assert "confidence must be a number" in parsed.malformed[1]


@pytest.mark.parametrize(
    "raw",
    ['{"updates": [{"op": "add", "word": "ho', "", "[]", '{"other": []}', '{"updates": 3}'],
)
def test_parse_update_refuses_what_is_not_the_schema(raw: str) -> None:
    with pytest.raises(UpdateParseError):
        parse_update(raw)


def test_update_schema_is_bounded() -> None:
    schema = update_schema(max_operations=3)
    items = schema["properties"]["updates"]
    assert items["maxItems"] == 3
    assert items["items"]["properties"]["word"]["maxLength"] == 24
    assert update_token_budget(3) > update_token_budget(1)


def test_add_must_quote_the_partner() -> None:
    dictionary = Dictionary()
    said = "Hola amigo, el agua está fría"
    assert check_operation(add("agua", "water"), dictionary, said) is None
    assert check_operation(add("Agua", "water"), dictionary, said) is None
    assert "does not occur" in (check_operation(add("perro", "dog"), dictionary, said) or "")
    # A part of a word is not a word the partner said.
    assert "does not occur" in (check_operation(add("agu", "wat"), dictionary, said) or "")


def test_phrases_match_as_whole_words_across_spacing() -> None:
    assert occurs_in("buenos  días", "¡Buenos días, amigo!")
    assert not occurs_in("días amigo", "¡Buenos días, amigo!")  # the comma separates them
    assert not occurs_in("", "anything")


@pytest.mark.parametrize(
    ("operation", "problem"),
    [
        (add("  ", "x"), "the word is empty"),
        (add("hola", "   "), "the meaning is empty"),
        (add("hola", "hello", 1.5), "not between 0 and 1"),
        (add("hola", "hello", float("nan")), "not between 0 and 1"),
        (add("h" * 25, "hello"), "longer than 24"),
        (add("hola", "<its meaning>"), "placeholder"),
        (Operation(kind=OperationKind.REVISE, foreign="nada", meaning="x"), "not in the dictionary"),
        (Operation(kind=OperationKind.REMOVE, foreign="nada"), "not in the dictionary"),
    ],
)
def test_invalid_operations_are_refused_with_a_reason(operation: Operation, problem: str) -> None:
    reason = check_operation(operation, Dictionary(), "hola nada " + "h" * 25)
    assert reason is not None and problem in reason


def test_merge_add_revise_confirm_remove() -> None:
    dictionary = Dictionary()
    dictionary.apply(add(" Hola ", "hello", 0.4), Source.PLAYER, 1)
    entry = dictionary.get("hola")
    assert entry is not None and entry.foreign == "Hola" and entry.added_round == 1
    dictionary.apply(add("HOLA", "hi", 0.6), Source.PLAYER, 2)  # an add of a held word revises it
    assert len(dictionary) == 1 and dictionary.get("hola").meaning == "hi"  # type: ignore[union-attr]
    dictionary.apply(Operation(kind=OperationKind.CONFIRM, foreign="hola", confidence=0.3), Source.USER, 3)
    confirmed = dictionary.get("hola")
    assert confirmed is not None and confirmed.confidence == 0.6 and confirmed.updated_by is Source.USER
    dictionary.apply(Operation(kind=OperationKind.REMOVE, foreign="hola"), Source.PLAYER, 4)
    assert len(dictionary) == 0
    # Changes to an entry that is gone are no-ops, so any history replays.
    dictionary.apply(Operation(kind=OperationKind.REVISE, foreign="hola", meaning="x"), Source.PLAYER, 5)
    assert len(dictionary) == 0


def test_replay_of_history_gives_each_players_dictionary() -> None:
    history = [
        AppliedOperation(owner=0, operation=add("hola", "hello"), source=Source.PLAYER, round=1, after_move=1),
        AppliedOperation(owner=1, operation=add("hello", "hola"), source=Source.PLAYER, round=1, after_move=2),
        AppliedOperation(owner=0, operation=add("agua", "water"), source=Source.USER, round=2, after_move=2),
    ]
    first, second = replay(history, 0), replay(history, 1)
    assert {e.foreign for e in first} == {"hola", "agua"}
    assert {e.foreign for e in second} == {"hello"}
    assert common_pairs(first, second) == {("hello", "hola")}


def test_clean_reply_keeps_one_line_without_labels_or_quotes() -> None:
    names = ("Alice", "Bruno")
    assert clean_reply('Alice: "Hello friend!"\nAnd more lines', names) == "Hello friend!"
    assert clean_reply("bruno: Hello", names) == "Hello"  # the partner's label, copied
    assert clean_reply("assistant:   hola   amigo ", names) == "hola amigo"
    assert clean_reply("\n\n", names) == ""


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty"),
        ("...", "empty"),
        ("one two three four five six", "6 words; the limit is 5"),
        ('{"updates": []}', "talks about the game"),
        ("As an AI I can", "talks about the game"),
    ],
)
def test_reply_move_rules(text: str, problem: str) -> None:
    violation = reply_violation(text, words_per_message=5)
    assert violation is not None and problem in violation


def test_a_reply_that_only_echoes_the_partner_is_refused() -> None:
    violation = reply_violation("¿E que no llama?", 8, incoming="E que no llama?")
    assert violation == "the reply only repeats the partner's message"
    assert reply_violation("Que llama, amigo", 8, incoming="E que no llama?") is None


def test_a_good_reply_breaks_no_rule() -> None:
    assert reply_violation("Hola amigo, ¿qué tal?", words_per_message=5) is None
    assert cut_to_limit("a b c d e f g", 3) == "a b c"


def test_the_taught_word_is_offered_only_the_meanings_its_verdict_leaves() -> None:
    from llama_cpp import LlamaGrammar

    from dictgame.engine.games.dictionary.rules import update_schema

    schema = update_schema(1, ["pizu", "zeta"], ["a", "b", "c"], None, ("pizu", ["", "a", "c"]))
    taught, other = schema["properties"]["updates"]["items"]["anyOf"]
    assert taught["properties"]["word"] == {"enum": ["pizu"]}
    assert taught["properties"]["meaning"] == {"enum": ["", "a", "c"]}
    assert other["properties"]["word"] == {"enum": ["zeta"]}
    assert other["properties"]["meaning"] == {"enum": ["", "a", "b", "c"]}
    # llama.cpp compiles it to a grammar (the anyOf as alternatives).
    LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)
    plain = update_schema(1, ["pizu"], ["a"])
    assert "anyOf" not in plain["properties"]["updates"]["items"]

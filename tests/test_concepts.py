"""The concept bank: complete, unambiguous within each language, and read as package data."""

from __future__ import annotations

from collections import Counter

import pytest

from dictgame.engine.games.dictionary.concepts import (
    LANGUAGES,
    concept_bank,
    ground_form,
    is_word,
    language_code,
)


def test_the_bank_has_at_least_200_concepts_of_every_kind_the_game_needs() -> None:
    bank = concept_bank()
    assert len(bank) >= 200
    kinds = Counter(c.kind for c in bank.concepts)
    assert {"animal", "food", "colour", "number", "verb", "adjective"} <= set(kinds)
    assert kinds["number"] == 10
    assert len({c.id for c in bank.concepts}) == len(bank)


def test_every_concept_has_a_one_word_label_in_every_language() -> None:
    for concept in concept_bank().concepts:
        assert set(concept.labels) == set(LANGUAGES), concept.id
        for code, label in concept.labels.items():
            assert is_word(label), f"{concept.id} in {code}: {label!r}"
            assert ground_form(label, code) == label.casefold(), f"{concept.id} in {code}"


@pytest.mark.parametrize("code", sorted(LANGUAGES))
def test_no_label_names_two_concepts_within_a_language(code: str) -> None:
    counts = Counter(ground_form(c.label(code), code) for c in concept_bank().concepts)
    assert [label for label, n in counts.items() if n > 1] == []


def test_a_word_is_judged_without_case_punctuation_or_leading_article() -> None:
    bank = concept_bank()
    dog = bank.by_id["dog"]
    assert bank.concept_of("El perro!", "es") is dog
    assert bank.concept_of("der HUND", "de") is dog
    assert bank.concept_of("l'eau", "fr") is bank.by_id["water"]
    assert bank.concept_of("un", "fr") is bank.by_id["one"]  # a number, not an article
    assert bank.concept_of("perro", "en") is None
    assert bank.concept_of("el perro grande", "es") is None


def test_language_names_map_case_insensitively_and_unknown_ones_do_not() -> None:
    assert language_code("English") == language_code("ENGLISH") == "en"
    assert language_code("  español ") == language_code("Spanish") == "es"
    assert language_code("Deutsch") == "de" and language_code("pt") == "pt"
    assert language_code("Klingon") is None

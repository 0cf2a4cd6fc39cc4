"""Free talk judged fairly: words compared in their normal form (lemma, articles, "to",
punctuation), the players' meanings cleaned, and the optional topic both players share."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from test_tui_support import wait_until

from dictgame.engine.backend import GenerationRequest
from dictgame.engine.core.episode import GameMaster
from dictgame.engine.games.dictionary.concepts import concept_bank
from dictgame.engine.games.dictionary.dictionary import (
    Dictionary,
    Operation,
    OperationKind,
    Source,
    check_operation,
    common_pairs,
)
from dictgame.engine.games.dictionary.export import game_json
from dictgame.engine.games.dictionary.game import settings_for
from dictgame.engine.games.dictionary.rules import (
    message_words,
    parse_update,
    says,
    topic_violation,
)
from dictgame.engine.games.dictionary.scenes import draw_topic, label, language_codes
from dictgame.engine.games.dictionary.settings import GameSettings
from dictgame.engine.games.dictionary.state import GameState, GameStatus
from dictgame.engine.games.dictionary.truth import Judge
from dictgame.engine.games.dictionary.wordforms import normal_form
from dictgame.engine.scripted import ScriptedBackend
from dictgame.tui.screens.app import DictgameApp
from dictgame.tui.screens.game_screen import GameScreen
from dictgame.tui.screens.new_game_screen import NewGameScreen
from dictgame.tui.services.config import DictgameConfig


@pytest.mark.parametrize(
    ("written", "label", "code"),
    [
        ("comiendo", "comer", "es"),  # gerund
        ("bebemos", "beber", "es"),  # conjugated
        ("perros", "perro", "es"),  # plural
        ("¡Los gatos!", "gato", "es"),  # article, punctuation, plural
        ("vacas", "vaca", "es"),  # a label stays itself (simplemma alone reads "vaca" as "vaco")
        ("to eat", "eat", "en"),
        ("The dogs.", "dog", "en"),
        ("eating", "eat", "en"),
        ("Hunde", "Hund", "de"),
        ("die Katzen", "Katze", "de"),
        ("chiens", "chien", "fr"),
        ("l'arbre", "arbre", "fr"),
        ("mangé", "manger", "fr"),
        ("cavalli", "cavallo", "it"),
        ("cães", "cão", "pt"),
    ],
)
def test_an_inflected_word_has_the_normal_form_of_its_bank_label(written: str, label: str, code: str) -> None:
    assert any(c.label(code) == label for c in concept_bank().concepts)
    assert normal_form(written, code) == normal_form(label, code)


def test_no_two_labels_of_the_bank_share_a_normal_form() -> None:
    for code in ("en", "es", "fr", "de", "it", "pt"):
        forms = [normal_form(c.label(code), code) for c in concept_bank().concepts]
        assert len(set(forms)) == len(forms), code
    # A word of no bank language is only trimmed and case-folded.
    assert normal_form(" Pizu! ", None) == "pizu"
    assert normal_form("perros", None) == "perros"


def _dictionary(*entries: tuple[str, str]) -> Dictionary:
    dictionary = Dictionary()
    for foreign, meaning in entries:
        dictionary.apply(Operation(kind=OperationKind.ADD, foreign=foreign, meaning=meaning),
                         Source.PLAYER, 1)
    return dictionary


def test_inflected_pairs_meet_in_the_common_dictionary_and_are_judged_right() -> None:
    settings = GameSettings()  # Alice English, Bruno Spanish
    codes = language_codes(settings)
    alice = _dictionary(("entiendo", "to understand"), ("perros", "the dogs"))
    bruno = _dictionary(("understand", "Entender"), ("dog", "perro"), ("eating", "comer"))
    assert common_pairs(alice, bruno, codes) == {("understand", "entender"), ("dog", "perro")}
    judge = Judge(settings)
    assert judge.entry(0, "perros", "the dogs") == (True, "dog")
    assert judge.entry(1, "eating", "comer") == (True, "eat")
    common = judge.common(common_pairs(alice, bruno, codes), set())
    assert (common.entries, common.covered, common.right) == (2, 1, 1)  # "understand" is not in the bank


def test_the_common_dictionary_of_a_game_uses_its_languages() -> None:
    state = GameState(GameSettings())
    state.edit(0, Operation(kind=OperationKind.ADD, foreign="gatos", meaning="cats"))
    state.edit(1, Operation(kind=OperationKind.ADD, foreign="cat", meaning="el gato"))
    assert state.common == {("cat", "gato")}
    record = json.loads(game_json(1, state))
    assert record["common"] == [["cat", "gato"]] and record["scores"]["common"] == 1


@pytest.mark.parametrize(
    ("raw", "kept"),
    [
        ("Quién (0.8)", "Quién"),
        ("repetir (to repeat)", "repetir"),
        ("It means 'I don't know'", "I don't know"),
        ('means "yes"', "yes"),
        ("sí, 0.6", "sí"),
        ("casa (confidence 0.8)", "casa"),
        ("[link=x]hi[/link]", "[link=x]hi[/link]"),  # square brackets are the model's own text
        ("(to repeat)", "to repeat"),
        ("1", "1"),
        ("buenos días", "buenos días"),
    ],
)
def test_a_players_meaning_is_cleaned_when_parsed(raw: str, kept: str) -> None:
    document = {"updates": [{"op": "add", "word": "x", "meaning": raw, "confidence": 0.6}]}
    (operation,) = parse_update(json.dumps(document)).operations
    assert operation.meaning == kept


def test_a_meaning_that_explains_is_refused_for_players_but_a_persons_edit_is_kept() -> None:
    document = {"updates": [{"op": "add", "word": "hola", "meaning": "it means hello", "confidence": 0.6}]}
    (operation,) = parse_update(json.dumps(document)).operations
    reason = check_operation(operation, Dictionary(), "hola amigo")
    assert reason is not None and "explain" in reason
    state = GameState(GameSettings())
    edited = Operation(kind=OperationKind.ADD, foreign="hola", meaning="hello (0.8)")
    state.edit(0, edited)
    assert check_operation(operation, Dictionary(), None) is None
    entry = state.dictionaries[0].get("hola")
    assert entry is not None and entry.meaning == "hello (0.8)"


def _topic_game(
    rounds: int, on_topic: bool = True, **settings: object
) -> tuple[GameMaster, list[GenerationRequest]]:
    """A game whose players say their topic's word when asked to (`on_topic`), or never."""
    seen: list[GenerationRequest] = []

    def responder(request: GenerationRequest) -> str:
        seen.append(request)
        if request.json_schema:
            return json.dumps({"updates": []})
        topic = re.search(r'say the word "([^"]+)"', request.messages[-1].content)
        greeting = "Hola amigo" if "Spanish" in request.messages[0].content else "Hello friend"
        return f"{greeting} {topic.group(1)}" if topic and on_topic else greeting

    state = GameState(GameSettings(rounds=rounds, **settings))  # type: ignore[arg-type]
    backend = ScriptedBackend(responder)
    master = GameMaster(state, (backend.session(Path("a")), backend.session(Path("b"))))
    while master.state.status is GameStatus.PLAYING:
        master.play_next_move()
    return master, seen


def test_each_round_both_players_are_given_the_same_topic_in_their_own_words() -> None:
    master, seen = _topic_game(3, seed=5, topic=True)
    settings = master.state.settings
    topics = [draw_topic(settings, r) for r in (1, 2, 3)]
    assert all(topics) and len(set(topics)) > 1
    messages = [r for r in seen if not r.json_schema]
    updates = [r for r in seen if r.json_schema]
    assert len(messages) == 6 and len(updates) == 5
    for move, request in zip(master.state.moves, messages, strict=True):
        concept = topics[move.round - 1]
        assert concept is not None
        own, partners = label(settings, move.seat, concept), label(settings, 1 - move.seat, concept)
        prompt = request.messages[-1].content
        assert f'"{own}"' in prompt and (own == partners or f'"{partners}"' not in prompt)
    # The listener is told what the message it heard was about: its round's topic.
    for move, request in zip(master.state.moves[1:], updates, strict=True):
        heard = master.state.moves[move.move_index - 1]
        concept = topics[heard.round - 1]
        assert concept is not None
        own = label(settings, move.seat, concept)
        prompt = request.messages[-1].content
        assert f'what you call "{own}"' in prompt and f'"meaning": "{own}"' in prompt
        # The meaning is the topic, generated before the word, which is one of the heard
        # message's: the listener names the word of the message that means its topic.
        assert request.json_schema is not None
        item = request.json_schema["properties"]["updates"]["items"]
        assert list(item["properties"])[:3] == ["op", "meaning", "word"]
        assert item["properties"]["meaning"]["enum"] == ["", own]
        # Each word as said, and a capitalised one in lower case too, next to it: a listener
        # writing its lower-case topic word is not turned to another word by the grammar.
        offered, said = item["properties"]["word"]["enum"], message_words(heard.message)
        assert set(offered) == set(said) | {word.lower() for word in said}
        assert len(offered) == len(set(offered))
        for word in said:
            if word != word.lower():
                assert offered.index(word.lower()) == offered.index(word) + 1 or (
                    offered.index(word.lower()) < offered.index(word))
        assert prompt.index('"meaning": "') < prompt.index('"word": "')
    # A player's earlier prompts keep their own round's topic, so its history does not change.
    last = messages[-1].messages
    first_reply = next(m.content for m in last if m.role == "user" and "Hello friend" in m.content)
    assert f'"{label(settings, 1, topics[0] or "")}"' in first_reply


def test_a_message_that_does_not_say_its_topic_is_asked_again_and_teaches_no_topic() -> None:
    master, seen = _topic_game(2, on_topic=False, seed=5, topic=True)
    settings = master.state.settings
    # Every message is asked again, with why, and passed on as it is when it never says it.
    for move in master.state.moves:
        own = label(settings, move.seat, draw_topic(settings, move.round) or "")
        said = [a for a in move.attempts if a.step in ("opening", "reply")]
        assert len(said) > 1 and move.violated
        assert all(a.violation == f'the message does not say "{own}"' for a in said)
    # The listener is not told a topic the message it heard did not say: its update is
    # free talk's own, any word of the message with any meaning.
    updates = [r for r in seen if r.json_schema]
    assert updates and not any("was talking about" in r.messages[-1].content for r in updates)
    for request in updates:
        item = request.json_schema["properties"]["updates"]["items"]  # type: ignore[index]
        assert list(item["properties"])[:3] == ["op", "word", "meaning"]
        assert "enum" not in item["properties"]["meaning"]


def test_a_topic_is_said_in_the_normal_form_the_truth_compares_in() -> None:
    assert says("Las manzanas son rojas", "manzana", "es")
    assert says("I like to walk home", "to walk", "en")
    assert not says("I like the car", "cart", "en")
    assert topic_violation("Hello friend", "apple", "en") == 'the message does not say "apple"'
    assert topic_violation("Hello friend, an apple!", "apple", "en") is None


def test_phrasebook_players_learn_in_a_game_with_a_topic() -> None:
    state = GameState(GameSettings(rounds=6, seed=3, topic=True))
    backend = ScriptedBackend()
    master = GameMaster(state, (backend.session(Path("a")), backend.session(Path("b"))))
    while master.state.status is GameStatus.PLAYING:
        master.play_next_move()
    assert len(state.dictionaries[0]) > 0 and len(state.dictionaries[1]) > 0
    assert state.common


def test_without_the_option_no_topic_is_given() -> None:
    master, seen = _topic_game(2, seed=5)
    assert draw_topic(master.state.settings, 1) is None
    assert not any("talk about" in r.messages[-1].content for r in seen)
    updates = [r for r in seen if r.json_schema]
    assert all("enum" not in r.json_schema["properties"]["updates"]["items"]["properties"]["word"]  # type: ignore[index]
               for r in updates)


def test_a_new_free_game_between_bank_languages_has_a_topic_and_an_old_save_keeps_none() -> None:
    assert settings_for({}, {}).topic
    assert not settings_for({}, {"topic": False}).topic
    assert not settings_for({}, {"lang_b": "Klingon"}).topic
    saved_before = GameSettings().model_dump(mode="json")
    del saved_before["topic"]
    assert not GameSettings.model_validate(saved_before).topic


def test_a_topic_needs_languages_of_the_bank() -> None:
    with pytest.raises(ValueError, match="topic: language 'Klingon'"):
        GameSettings(players=[{"name": "A", "language": "Klingon"},  # type: ignore[list-item]
                              {"name": "B", "language": "Spanish"}], topic=True)
    assert draw_topic(GameSettings(mode="scenes", seed=1, topic=True), 1) is None


async def test_the_new_game_form_keeps_the_configured_topic(tmp_path: Path) -> None:
    config = DictgameConfig(db=tmp_path / "games.db", backend="scripted", seed=7,
                            games={"dictionary": {"rounds": 2, "topic": True}})
    app = DictgameApp(config, backend=ScriptedBackend())
    async with app.run_test(size=(140, 50)) as pilot:
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, NewGameScreen))
        await pilot.click("#start")
        await wait_until(pilot, lambda: isinstance(app.screen, GameScreen))
        assert app.screen.state.settings.topic  # type: ignore[attr-defined]

"""Grounded modes (scenes, invented) played whole through the game master, on scripted players."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dictgame.engine.backend import GenerationRequest
from dictgame.engine.core.episode import GameMaster
from dictgame.engine.games.dictionary.game import DICTIONARY
from dictgame.engine.games.dictionary.scenes import draw_scene, label, speaker_of
from dictgame.engine.games.dictionary.settings import GameSettings
from dictgame.engine.games.dictionary.state import GameState, GameStatus
from dictgame.engine.scripted import NAMED_TARGET, ScriptedBackend


def oracle(settings: GameSettings):  # noqa: ANN201 - a responder
    """A player that knows the ground truth: names the target, guesses right, learns right."""

    def seat_of(request: GenerationRequest) -> int:
        system = request.messages[0].content
        return next(s for s, p in enumerate(settings.players) if f"You are {p.name}." in system)

    def meaning(seat: int, foreign: str) -> str:
        word = foreign.strip("!.?")
        concept = next(c for c in settings.concepts if label(settings, 1 - seat, c) == word)
        return label(settings, seat, concept)

    def respond(request: GenerationRequest) -> str:
        instruction = request.messages[-1].content
        named = NAMED_TARGET.search(instruction)
        if named:
            return named.group(1)
        seat = seat_of(request)
        heard = re.search(r'(?:says:|said) "([^"]+)"', instruction)
        assert heard is not None
        own = meaning(seat, heard.group(1))
        schema = request.json_schema or {}
        if "enum" in schema:
            things = re.findall(r"^(\d+)\. (\S+)", instruction, re.MULTILINE)
            number = next(int(n) for n, word in things if word == own)
            return json.dumps(number if settings.choice == "number" else own, ensure_ascii=False)
        update = {"op": "add", "word": heard.group(1).strip("!.?"), "meaning": own, "confidence": 1.0}
        return json.dumps({"updates": [update]}, ensure_ascii=False)

    return respond


def play(settings: GameSettings, responder=None) -> GameMaster:  # noqa: ANN001
    backend = ScriptedBackend(responder or oracle(settings))
    master = GameMaster(GameState(settings), (backend.session(Path("a")), backend.session(Path("b"))))
    while not master.over:
        master.play_next_move()
    return master


@pytest.mark.parametrize(
    ("mode", "choice", "languages"),
    [("scenes", "word", ("English", "Spanish")), ("scenes", "number", ("german", "ITALIAN")),
     ("invented", "word", ("English", "English")), ("invented", "number", ("English", "English"))],
)
def test_a_player_that_knows_the_words_is_always_right(mode: str, choice: str, languages: tuple[str, str]) -> None:
    players = [{"name": n, "language": lang} for n, lang in zip(("Ada", "Ben"), languages, strict=True)]
    settings = GameSettings(mode=mode, choice=choice, rounds=8, seed=5, players=players)  # type: ignore[arg-type]
    master = play(settings)
    state = master.state
    assert state.status is GameStatus.FINISHED
    assert len(state.moves) == 9 and [m.seat for m in state.moves] == [0, 1] * 4 + [0]
    decided = [m for m in state.records if m.scene is not None]
    assert [m.round for m in decided] == list(range(1, 9))
    assert all(m.guessed_right for m in decided)
    assert all(not m.violated for m in state.moves)
    # Each round's speaker named the target of the scene its partner then guessed.
    for move in decided:
        said = state.moves[move.move_index - 1].message
        assert said == label(settings, speaker_of(move.round), move.scene.target)
    # A pair is common once each player has named its concept to the other.
    named_by = [{m.scene.target for m in decided if speaker_of(m.round) == s} for s in (0, 1)]
    assert len(state.common) == len(named_by[0] & named_by[1])
    assert state.moves[-1].message == ""
    scores = DICTIONARY.scores(state)
    assert [scores.rounds[r]["Round Success"] for r in range(1, 9)] == [1.0] * 8
    assert scores.episode["Success Rate"] == 1.0 and scores.episode["Chance"] == 0.25
    assert scores.episode["Precision A"] == scores.episode["Precision B"] == 1.0
    assert scores.episode["Precision Common"] == (1.0 if state.common else 0.0)


def wrong_guesser(settings: GameSettings):  # noqa: ANN201 - a responder
    """The oracle, except that every guess is the first thing that was not meant."""
    right = oracle(settings)

    def respond(request: GenerationRequest) -> str:
        if "Which of your things" not in request.messages[-1].content:
            return right(request)
        meant = json.loads(right(request))
        return json.dumps(next(t for t in (request.json_schema or {})["enum"] if t != meant))

    return respond


def test_the_listener_hears_what_was_meant_and_the_speaker_how_its_word_was_taken() -> None:
    settings = GameSettings(mode="scenes", rounds=4, seed=2, feedback="reveal")
    records = play(settings, wrong_guesser(settings)).state.records
    assert not any(m.guessed_right for m in records if m.scene is not None)
    update_asked = [a.instruction for a in records[1].attempts if a.step == "update"][0]
    meant = label(settings, 1, records[1].scene.target)
    guessed = label(settings, 1, records[1].pick)
    assert update_asked.endswith(f'The game master says: wrong; Alice meant "{meant}".')
    assert f'"{guessed}"' not in update_asked.splitlines()[-1]
    describe_asked = [a.instruction for a in records[2].attempts if a.step == "describe"][0]
    took = label(settings, 0, records[1].pick)
    assert describe_asked.splitlines()[0] == (
        f'Last round Bruno took your "{records[0].message}" for "{took}": wrong.'
    )


def test_with_outcome_feedback_the_listener_hears_right_or_wrong_only() -> None:
    settings = GameSettings(mode="invented", rounds=3, seed=2, feedback="outcome")
    right = play(settings).state.records
    wrong = play(settings, wrong_guesser(settings)).state.records
    asked = [a.instruction for a in right[1].attempts if a.step == "update"][0]
    assert asked.endswith(f'You guessed "{label(settings, 1, right[1].pick)}": right!')
    asked = [a.instruction for a in wrong[1].attempts if a.step == "update"][0]
    assert asked.endswith(f'You guessed "{label(settings, 1, wrong[1].pick)}": wrong.')
    assert "meant" not in asked
    said = [a.instruction for a in wrong[2].attempts if a.step == "describe"][0]
    assert said.splitlines()[0] == f'Last round Bruno understood your "{wrong[0].message}" wrong.'


def test_without_feedback_nobody_is_told_anything() -> None:
    settings = GameSettings(mode="invented", rounds=3, seed=2, feedback="none")
    records = play(settings).state.records
    asked = "\n".join(a.instruction for m in records for a in m.attempts)
    assert "game master says" not in asked and "Last round" not in asked


def test_the_listener_is_shown_the_words_of_the_message_its_dictionary_holds() -> None:
    settings = GameSettings(mode="invented", rounds=12, seed=9, concept_slice=4)
    records = play(settings).state.records
    # With four concepts, a word comes back; from then on the game master points at it.
    pointed = [
        (m, a.instruction) for m in records for a in m.attempts
        if a.step == "choose" and "<- your dictionary" in a.instruction
    ]
    assert pointed
    for move, instruction in pointed:
        line = next(line for line in instruction.splitlines() if "<- your dictionary" in line)
        assert label(settings, move.seat, move.scene.target) in line


def test_the_listeners_entry_is_said_as_its_dictionarys_answer_right_before_the_question() -> None:
    """SmolLM2 followed its right entry 78 times in 116 so, against 70 with the entry listed
    with its confidence and a question that did not name the heard word."""
    settings = GameSettings(mode="invented", rounds=12, seed=9, concept_slice=4)
    records = play(settings).state.records
    asked = [(m, a.instruction) for m in records for a in m.attempts if a.step == "choose"]
    known = [(m, i) for m, i in asked if "<- your dictionary" in i]
    assert known and len(known) < len(asked)
    for move, instruction in asked:
        heard = records[move.move_index - 1].message
        *_, said, question = instruction.splitlines()
        partner = settings.players[1 - move.seat].name
        assert question == f'Which of your things does {partner} mean by "{heard}"? Answer with the thing.'
        if "<- your dictionary" in instruction:
            meaning = label(settings, move.seat, move.scene.target)
            assert said == f'Your dictionary says "{heard}" means "{meaning}".'
        else:
            assert said == "No word of it is in your dictionary yet."


def test_names_guesses_and_updates_are_constrained_to_the_words_they_can_be() -> None:
    settings = GameSettings(mode="scenes", rounds=2, seed=1)
    seen: list[GenerationRequest] = []
    respond = oracle(settings)

    def recording(request: GenerationRequest) -> str:
        seen.append(request)
        return respond(request)

    master = play(settings, recording)
    scene = draw_scene(settings, 1)
    # The speaker says its word for one of the things of the scene.
    assert seen[0].json_schema == {"enum": [label(settings, 0, c) for c in scene.views[0]]}
    choose = next(r for r in seen if "Which of your things" in r.messages[-1].content)
    assert choose.json_schema == {"enum": [label(settings, 1, c) for c in scene.views[1]]}
    update = next(r for r in seen if r.json_schema and "properties" in r.json_schema)
    items = update.json_schema["properties"]["updates"]["items"]  # type: ignore[index]
    # After the reveal the heard word is offered with the thing revealed alone: the player's
    # own wrong guess cannot be written (no other word is held or heard yet).
    (taught,) = items["anyOf"]
    meant = label(settings, 1, scene.target)
    assert taught["properties"]["word"] == {"enum": [master.state.moves[0].message]}
    assert taught["properties"]["meaning"] == {"enum": [meant]}
    assert meant in choose.json_schema["enum"]


def test_names_and_guesses_are_asked_greedily_and_updates_at_the_games_temperature() -> None:
    """A choice among four given things is the player's best one: sampled at 0.7, SmolLM2
    followed the right entry its dictionary held 13 times in 23, greedily 16 in 25."""
    settings = GameSettings(mode="invented", rounds=3, seed=2, temperature=0.6)
    seen: list[GenerationRequest] = []
    respond = oracle(settings)

    def recording(request: GenerationRequest) -> str:
        seen.append(request)
        return respond(request)

    play(settings, recording)
    choices = [r for r in seen if r.json_schema and "enum" in r.json_schema]
    updates = [r for r in seen if r not in choices]
    assert len(choices) == 6 and len(updates) == 3  # three names, guesses and updates
    assert {r.temperature for r in choices} == {0.0}
    assert {r.temperature for r in updates} == {0.6}


def test_a_grounded_game_restores_to_the_same_state() -> None:
    settings = GameSettings(mode="invented", rounds=6, seed=4)
    state = play(settings).state
    saved = GameSettings.model_validate_json(settings.model_dump_json())
    restored = DICTIONARY.restore(saved, state.moves, state.edits)
    assert saved.lexicons == settings.lexicons and saved.concepts == settings.concepts
    assert restored.dictionaries == state.dictionaries
    assert [m.model_dump() for m in restored.moves] == [m.model_dump() for m in state.moves]
    assert DICTIONARY.scores(restored) == DICTIONARY.scores(state)


def test_a_game_stopped_midway_goes_on_as_if_never_stopped() -> None:
    settings = GameSettings(mode="scenes", rounds=6, seed=8)
    whole = play(settings).state
    backend = ScriptedBackend(oracle(settings))
    sessions = (backend.session(Path("a")), backend.session(Path("b")))
    first = GameMaster(GameState(settings), sessions)
    for _ in range(3):
        first.play_next_move()
    resumed = GameMaster(DICTIONARY.restore(settings, first.state.moves, ()), sessions)
    while not resumed.over:
        resumed.play_next_move()
    assert [m.message for m in resumed.state.moves] == [m.message for m in whole.moves]
    assert [m.scene for m in resumed.state.records] == [m.scene for m in whole.records]


def test_a_named_thing_in_plain_text_is_judged_by_the_move_rules() -> None:
    settings = GameSettings(mode="invented", rounds=1, seed=6)
    own = label(settings, 0, draw_scene(settings, 1).target)
    replies = iter(["It is a nice word", f"{own}!", json.dumps(own)])
    master = play(settings, lambda request: next(replies) if request.json_schema and "enum" in
                  request.json_schema and "Your target" in request.messages[1].content
                  else oracle(settings)(request))
    first = master.state.moves[0]
    assert first.message == f"{own}!" and not first.violated
    assert "'it' is not a word of your language" in str(first.attempts[0].violation)


def test_with_memory_the_listener_is_reminded_what_a_word_it_heard_before_meant() -> None:
    """Memory on in a grounded game: the guess prompt starts with the rounds the listener
    remembers of the word heard, each with the thing the game master revealed it meant."""
    settings = GameSettings(mode="invented", rounds=16, seed=3, feedback="reveal",
                            concept_slice=4, memory=True)
    records = play(settings, wrong_guesser(settings)).state.records
    reminded = 0
    for record in records[1:]:
        earlier = [r for r in records[1:record.move_index]
                   if r.seat == record.seat and r.incoming == record.incoming]
        asked = next(a.instruction for a in record.attempts if a.step == "choose")
        if not earlier:
            assert not asked.startswith("What you remember from earlier:")
            continue
        reminded += 1
        first = earlier[0]
        partner = settings.players[1 - record.seat].name
        meant = label(settings, record.seat, first.meant_thing)
        assert asked.startswith("What you remember from earlier:")
        assert (f'Round {first.round}: "{first.incoming}" was guessed wrong; {partner} meant '
                f'"{meant}"') in asked
        assert record.retrieved
    assert reminded >= 5

"""The part of the dictionary a move's prompt shows: within a token budget however big the
dictionary grows, and always with the entries of the words just heard."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

from dictgame.engine.core.episode import GameMaster
from dictgame.engine.core.memory import estimate_tokens
from dictgame.engine.games.dictionary.asks import prompt_book
from dictgame.engine.games.dictionary.concepts import LANGUAGES, concept_bank
from dictgame.engine.games.dictionary.dictionary import (
    Dictionary,
    Operation,
    OperationKind,
    Source,
)
from dictgame.engine.games.dictionary.game import next_turn
from dictgame.engine.games.dictionary.scenes import label
from dictgame.engine.games.dictionary.settings import GameSettings, PlayerSettings
from dictgame.engine.games.dictionary.shown import (
    FREE_TALK_TOKENS,
    SHOWN_TOKENS,
    shown_entries,
)
from dictgame.engine.games.dictionary.state import GameState
from dictgame.engine.scripted import ScriptedBackend

LISTED = re.compile(r"^- (.+) = (.+) \(confidence [0-9.]+\)$", re.MULTILINE)


def grown(state: GameState, seat: int, size: int) -> None:
    """Fill a player's dictionary with the concept bank's words, as the person's edits do."""
    own, partner = ("en", "es") if seat == 0 else ("es", "en")
    for concept in concept_bank().concepts:
        if len(state.dictionaries[seat]) >= size:
            return
        foreign = concept.label(partner)
        if foreign not in state.dictionaries[seat]:
            state.edit(seat, Operation(kind=OperationKind.ADD, foreign=foreign,
                                       meaning=concept.label(own), confidence=0.8))


def update_prompt_after(size: int) -> tuple[str, str, str]:
    """The update prompt of Alice's second move with `size` entries, one of them a word of
    Bruno's message (the phrasebook players speak and learn deterministically)."""
    backend = ScriptedBackend()
    state = GameState(GameSettings(rounds=4, seed=7))
    master = GameMaster(state, (backend.session(Path("a")), backend.session(Path("b"))))
    master.play_next_move()
    master.play_next_move()
    heard = state.moves[-1].message.split()[0].strip(".,!?")
    state.edit(0, Operation(kind=OperationKind.ADD, foreign=heard, meaning="heard-word",
                            confidence=0.4))
    grown(state, 0, size)
    turn = next_turn(state)
    assert turn is not None and turn.seat == 0
    update = next(ask for ask in turn.asks if ask.step == "update")
    return update.instruction, heard, state.moves[-1].message


def test_a_hundred_entry_update_prompt_stays_within_the_budget_and_shows_the_heard_word() -> None:
    instruction, heard, message = update_prompt_after(100)
    listed = LISTED.findall(instruction)
    lines = [match.group(0) for match in LISTED.finditer(instruction)]
    assert 0 < len(listed) < 100
    assert sum(estimate_tokens(line) for line in lines) <= FREE_TALK_TOKENS
    # The heard word's entry is on the line of the words heard, not listed again.
    assert f"Words of it in your dictionary: {heard} = heard-word (0.4)" in instruction
    assert heard not in [word for word, _ in listed]
    found = instruction.split("Words of it in your dictionary: ")[1].split("\n")[0].count(" = ")
    assert f"({len(listed)} of {100 - found} shown)" in instruction
    assert message in instruction


def test_the_update_prompt_no_longer_grows_with_the_dictionary() -> None:
    small, _, _ = update_prompt_after(120)
    large, _, _ = update_prompt_after(250)
    assert estimate_tokens(large) <= estimate_tokens(small) + 8


def test_a_small_dictionary_is_shown_whole_in_its_own_order() -> None:
    instruction, heard, _ = update_prompt_after(6)
    listed = LISTED.findall(instruction)
    found = instruction.split("Words of it in your dictionary: ")[1].split("\n")[0].count(" = ")
    assert len(listed) + found == 6 and heard not in [word for word, _ in listed]
    assert "shown)" not in instruction


def test_a_grounded_update_lists_the_heard_word_within_the_budget() -> None:
    dictionary = Dictionary()
    entry_ops(dictionary, [(f"word{i}", 0.6, i) for i in range(100)])
    entry_ops(dictionary, [("vuzami", 0.4, 0)])
    settings = GameSettings(mode="invented", seed=3)
    things = ["cat", "dog", "tree", "sun"]
    instruction = prompt_book(settings).scene_update(1, "vuzami", "You guessed wrong.",
                                                     dictionary, things)
    lines = [match.group(0) for match in LISTED.finditer(instruction)]
    assert "- vuzami = VUZAMI (confidence 0.4)" in lines
    assert sum(estimate_tokens(line) for line in lines) <= SHOWN_TOKENS
    assert f"({len(lines)} of 101 shown)" in instruction


def entry_ops(dictionary: Dictionary, words: list[tuple[str, float, int]]) -> None:
    for word, confidence, round_ in words:
        dictionary.apply(Operation(kind=OperationKind.ADD, foreign=word, meaning=word.upper(),
                                   confidence=confidence), Source.PLAYER, round_)


def test_beyond_the_budget_the_heard_the_newest_and_the_least_certain_are_shown() -> None:
    dictionary = Dictionary()
    entry_ops(dictionary, [(f"word{i}", 0.8, i) for i in range(60)])
    entry_ops(dictionary, [("doubt", 0.2, 1), ("heard", 1.0, 0)])
    heard = [entry for entry in dictionary if entry.foreign == "heard"]
    shown = shown_entries(dictionary, heard, budget=60)
    words = [entry.foreign for entry in shown]
    assert {"heard", "doubt", "word59"} <= set(words)
    assert "word0" not in words and len(words) < 10
    # The dictionary's own order: the same entries list the same way at every move.
    order = [entry.foreign for entry in dictionary]
    assert words == sorted(words, key=order.index)


def test_a_grounded_game_on_the_default_concepts_always_sees_its_whole_dictionary() -> None:
    """Every word heard names one of the partner's 12 things, so 12 entries at most: in an
    invented game, and in scenes between any two of the bank's languages."""
    games = [GameSettings(mode="invented", seed=seed) for seed in range(5)]
    games += [GameSettings(mode="scenes", seed=11, players=(
        PlayerSettings(name="Ada", language=a), PlayerSettings(name="Ben", language=b)))
        for a, b in itertools.permutations(LANGUAGES.values(), 2)]
    for settings in games:
        dictionary = Dictionary()
        for concept in settings.concepts:
            dictionary.apply(Operation(kind=OperationKind.ADD, foreign=label(settings, 1, concept),
                                       meaning=label(settings, 0, concept), confidence=0.6),
                             Source.PLAYER, 1)
        assert len(dictionary) == 12
        assert len(shown_entries(dictionary, [])) == 12


def test_a_grounded_update_may_show_only_the_entries_of_the_words_heard() -> None:
    dictionary = Dictionary()
    entry_ops(dictionary, [("kelo", 0.6, 1), ("vuzami", 0.4, 2), ("tamu", 0.8, 3)])
    things = ["cat", "dog", "tree", "sun"]
    whole = GameSettings(mode="invented", seed=3)
    heard = GameSettings(mode="invented", seed=3, update_shows="heard")

    def listed(settings: GameSettings, message: str) -> tuple[list[str], str]:
        instruction = prompt_book(settings).scene_update(1, message, "You guessed wrong.",
                                                         dictionary, things)
        return [word for word, _ in LISTED.findall(instruction)], instruction

    assert listed(whole, "tamu vuzami")[0] == ["kelo", "vuzami", "tamu"]
    words, instruction = listed(heard, "tamu vuzami")
    assert words == ["vuzami", "tamu"] and "(2 of 3 shown)" in instruction
    words, instruction = listed(heard, "pozo")
    assert words == [] and "(0 of 3 shown)" in instruction
    assert "(no entry for the words Alice said)" in instruction
    empty = prompt_book(heard).scene_update(1, "pozo", "You guessed wrong.", Dictionary(),
                                            things)
    assert "(empty)" in empty and "no entry" not in empty

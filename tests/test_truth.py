"""Ground-truth scores as plain functions, on hand-made dictionaries and games."""

from __future__ import annotations

import pytest

from dictgame.engine.games.dictionary.dictionary import (
    AppliedOperation,
    Operation,
    OperationKind,
    Source,
)
from dictgame.engine.games.dictionary.game import DICTIONARY
from dictgame.engine.games.dictionary.records import MoveRecord
from dictgame.engine.games.dictionary.scenes import draw_scene, label
from dictgame.engine.games.dictionary.settings import GameSettings
from dictgame.engine.games.dictionary.state import GameState
from dictgame.engine.games.dictionary.truth import Judge, Judged, truth_curve


def test_precision_recall_and_f1_of_a_judged_dictionary() -> None:
    judged = Judged(entries=5, covered=4, right=3, recalled=3, appeared=6)
    assert judged.precision == 0.75 and judged.recall == 0.5
    assert judged.f1 == pytest.approx(0.6) and judged.coverage == 0.8
    empty = Judged(entries=0, covered=0, right=0, recalled=0, appeared=4)
    assert (empty.precision, empty.recall, empty.f1, empty.coverage) == (0.0, 0.0, 0.0, 0.0)


def test_an_entry_is_right_when_word_and_meaning_name_the_same_concept() -> None:
    judge = Judge(GameSettings(mode="scenes", seed=1))  # Alice English, Bruno Spanish
    assert judge.entry(0, "perro", "dog") == (True, "dog")
    assert judge.entry(0, "El Perro!", "the dog") == (True, "dog")  # articles, case, punctuation
    assert judge.entry(1, "dog", "perro") == (True, "dog")
    assert judge.entry(0, "perro", "cat") == (True, None)
    assert judge.entry(0, "hola", "hello") == (True, None)  # grounded: every entry is judged
    assert judge.entry(1, "perro", "perro") == (True, None)  # the word must be the partner's


def test_free_mode_judges_only_the_entries_the_bank_covers() -> None:
    judge = Judge(GameSettings())
    assert judge.entry(0, "agua", "water") == (True, "water")
    assert judge.entry(0, "hola", "hello") == (False, None)
    assert not Judge(GameSettings(players=[{"name": "A", "language": "Klingon"},  # type: ignore[list-item]
                                           {"name": "B", "language": "Spanish"}])).judgeable


def test_invented_words_are_judged_against_the_games_lexicons() -> None:
    settings = GameSettings(mode="invented", seed=3)
    judge = Judge(settings)
    concept = settings.concepts[0]
    theirs, mine = label(settings, 1, concept), label(settings, 0, concept)
    assert judge.entry(0, theirs, mine) == (True, concept)
    assert judge.entry(0, mine, theirs) == (True, None)
    assert judge.entry(0, theirs, "dog") == (True, None)


def _added(owner: int, foreign: str, meaning: str, round_: int, after: int, source: Source = Source.PLAYER) -> AppliedOperation:
    operation = Operation(kind=OperationKind.ADD, foreign=foreign, meaning=meaning, confidence=0.8)
    return AppliedOperation(owner=owner, operation=operation, source=source, round=round_, after_move=after)


def test_the_curve_follows_each_round_and_counts_recall_over_what_appeared() -> None:
    settings = GameSettings(mode="scenes", seed=1, rounds=3)
    scenes = [draw_scene(settings, r) for r in (1, 2, 3)]

    def said(seat: int, scene_index: int) -> str:
        return label(settings, seat, scenes[scene_index].target)

    wrong = next(c for c in scenes[1].views[0] if c != scenes[1].target)
    moves = [
        MoveRecord(move_index=0, round=1, seat=0, message=said(0, 0)),
        MoveRecord(  # Bruno guesses round 1 right and learns the word right
            move_index=1, round=1, seat=1, incoming=said(0, 0), message=said(1, 1),
            scene=scenes[0], pick=scenes[0].target,
            applied=(_added(1, said(0, 0), said(1, 0), 1, 1),),
        ),
        MoveRecord(  # Alice guesses round 2 wrong and learns it wrong
            move_index=2, round=2, seat=0, incoming=said(1, 1), message=said(0, 2),
            scene=scenes[1], pick=wrong,
            applied=(_added(0, said(1, 1), label(settings, 0, wrong), 2, 2),),
        ),
    ]
    # The person fixes Alice's entry after round 2.
    edit = _added(0, said(1, 1), said(0, 1), 2, 3, Source.USER)
    edit = edit.model_copy(update={"operation": edit.operation.model_copy(update={"kind": OperationKind.REVISE})})
    state = GameState.restore(settings, moves, [edit])
    first, second = truth_curve(state)
    appeared_1 = len(set(scenes[0].views[0]))
    appeared_2 = len(set(scenes[0].views[0]) | set(scenes[1].views[0]))
    assert (first.round, first.success, first.success_rate, first.chance) == (1, True, 1.0, 0.25)
    assert (first.players[1].right, first.players[1].recalled, first.players[1].appeared) == (1, 1, appeared_1)
    assert first.players[0].entries == 0 and first.common.entries == 0
    assert (second.success, second.success_rate) == (False, 0.5)
    assert (second.players[0].entries, second.players[0].right) == (1, 0)  # the edit comes later
    assert second.players[1].recall == pytest.approx(1 / appeared_2)
    scores = DICTIONARY.scores(state)
    assert scores.rounds[2]["Round Success"] == 0.0 and scores.rounds[2]["Success Rate"] == 0.5
    assert scores.rounds[2]["Precision A"] == 0.0 and scores.rounds[1]["F1 B"] == pytest.approx(
        2 * 1.0 * (1 / appeared_1) / (1.0 + 1 / appeared_1), abs=1e-4)
    # At the end, the person's fix counts.
    assert scores.episode["Precision A"] == 1.0 and scores.episode["Success Rate"] == 0.5


def test_a_scripted_free_game_reports_covered_precision_per_round() -> None:
    from pathlib import Path

    from dictgame.engine.core.episode import GameMaster
    from dictgame.engine.scripted import ScriptedBackend

    backend = ScriptedBackend()
    state = GameState(GameSettings(rounds=3, seed=3))
    master = GameMaster(state, (backend.session(Path("a")), backend.session(Path("b"))))
    while not master.over:
        master.play_next_move()
    scores = DICTIONARY.scores(state)
    assert sorted(scores.rounds) == [1, 2, 3]
    last = scores.rounds[3]
    assert set(last) == {f"{what} {who}{tail}" for who in ("A", "B", "Common")
                         for what, tail in (("Precision", " (covered)"), ("Coverage", ""))}
    # The phrasebook players learn only right pairs, but say "hello", which the bank lacks.
    assert last["Precision B (covered)"] == 1.0 and 0 < last["Coverage B"] < 1
    assert "Success Rate" not in scores.episode

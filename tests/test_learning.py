"""Where learning is lost: a scripted grounded game with a mistake of each kind planted at a
known round, and every count of `learning.py` checked against the plan.

Seed 3 with four concepts draws these rounds (speaker: word said for the target):
r1 Ada noris (beach), r2 Ben banuru (take), r3 Ada nupe (salt), r4 Ben tubu (tiger),
r5 Ada nupe, r6 Ben tubu, r7 Ada noris, r8 Ben zabi (salt). A round is guessed in the move
numbered like it, by the player who did not speak.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dictgame.engine.backend import GenerationRequest
from dictgame.engine.core.episode import GameMaster
from dictgame.engine.games.dictionary.dictionary import Operation, OperationKind
from dictgame.engine.games.dictionary.export import game_markdown, game_record
from dictgame.engine.games.dictionary.game import scores
from dictgame.engine.games.dictionary.learning import learning_of, reason_kind, third_of
from dictgame.engine.games.dictionary.settings import GameSettings
from dictgame.engine.games.dictionary.state import GameState
from dictgame.engine.scripted import NAMED_TARGET, ScriptedBackend

PLAYERS = [{"name": "Ada", "language": "English"}, {"name": "Ben", "language": "English"}]


def settings() -> GameSettings:
    return GameSettings(mode="invented", rounds=8, concept_slice=4, scene_size=4, seed=3,
                        feedback="reveal", max_reprompts=1, players=PLAYERS)  # type: ignore[arg-type]


def test_the_seed_draws_the_rounds_the_plan_is_written_for() -> None:
    from dictgame.engine.games.dictionary.scenes import draw_scene, label

    game = settings()
    said = [label(game, (r - 1) % 2, draw_scene(game, r).target) for r in range(1, 9)]
    assert said == ["noris", "banuru", "nupe", "tubu", "nupe", "tubu", "noris", "zabi"]


class Planted:
    """Players that know the words but make the planted mistakes of each round."""

    def __init__(self, game: GameSettings) -> None:
        self.game = game
        self.state = GameState(game)
        # The thing guessed this round, in the guesser's concept ids.
        self.pick: str | None = None

    def word(self, seat: int, concept: str) -> str:
        assert self.game.lexicons is not None
        return self.game.lexicons[seat][self.game.concepts.index(concept)]

    def concept(self, seat: int, word: str) -> str:
        assert self.game.lexicons is not None
        return self.game.concepts[self.game.lexicons[seat].index(word)]

    def respond(self, request: GenerationRequest) -> str:
        instruction = request.messages[1].content
        retry = len(request.messages) > 2
        move = self.state.moves_played
        seat = move % 2
        if "Your target is thing" in instruction:
            return self.name(move + 1, seat, instruction, retry)
        heard = re.search(r'(?:says:|said) "([^"]+)"', instruction)
        assert heard is not None
        meant = self.concept(1 - seat, heard.group(1))
        if "Which of your things" in instruction:
            return json.dumps(self.guess(move, seat, instruction, meant))
        return json.dumps({"updates": self.update(move, seat, heard.group(1), meant, retry)})

    def name(self, round_: int, seat: int, instruction: str, retry: bool) -> str:
        target = NAMED_TARGET.search(instruction)
        assert target is not None
        others = [w for w in re.findall(r"^\d+\. (\S+)$", instruction, re.M) if w != target.group(1)]
        if round_ == 2:  # Ben names beach, on every try
            return self.word(1, "beach")
        if round_ == 3 and not retry:  # Ada names another thing, then her target
            return others[0]
        return target.group(1)

    def guess(self, round_: int, seat: int, instruction: str, meant: str) -> str:
        things = re.findall(r"^\d+\. (\S+)", instruction, re.M)
        entry = re.search(r'Your dictionary says "[^"]+" means "([^"]+)"', instruction)
        answer = next(t for t in things if t != self.word(seat, meant))
        if entry and round_ != 7:  # r7: Ben ignores his (right) entry
            answer = entry.group(1)
        self.pick = self.concept(seat, answer)
        return answer

    def update(self, round_: int, seat: int, heard: str, meant: str, retry: bool) -> list[dict]:
        right = {"op": "add", "word": heard, "meaning": self.word(seat, meant), "confidence": 1.0}
        assert self.pick is not None
        wrong = {**right, "meaning": self.word(seat, self.pick)}
        match round_:
            case 1:  # a revise of a word not held yet: the lesson must land
                return [{**right, "op": "revise"}]
            case 3 if not retry:  # the player's own wrong guess after the reveal, then right
                return [wrong]
            case 4:  # the wrong guess on every try: refused
                return [wrong]
            case 5:  # a confirm of the held, right entry
                return [{"op": "confirm", "word": heard, "meaning": "", "confidence": 1.0}]
            case 7:  # removes a right entry of another word
                return [{"op": "remove", "word": "nupe", "meaning": "", "confidence": 1.0}]
            case 8:  # a word the partner never said
                return [{**right, "word": "kiwi"}]
        return [right]


@pytest.fixture(scope="module")
def played() -> GameState:
    planted = Planted(settings())
    backend = ScriptedBackend(planted.respond)
    master = GameMaster(planted.state, (backend.session(Path("a")), backend.session(Path("b"))))
    while not master.over:
        if planted.state.moves_played == 6:  # the person gives Ada a wrong entry for tubu
            planted.state.edit(0, Operation(kind=OperationKind.ADD, foreign="tubu",
                                            meaning="noris", confidence=0.6))
        master.play_next_move()
    return planted.state


def test_each_planted_mistake_is_counted_where_it_was_made(played: GameState) -> None:
    learning = learning_of(played)
    assert learning is not None
    ada, ben = learning.seats
    # Using: Ada guessed r2, r4, r6, r8 (all wrong); Ben r1, r3, r5, r7 (r5 right).
    assert (ada.guesses, ada.right, ben.guesses, ben.right) == (4, 0, 4, 1)
    # The ceiling: a word revealed before is known (1.0), a new one a blind guess (0.25).
    # Ada: buko, tubu new, tubu known, zabi new. Ben: noris, nupe new, nupe, noris known.
    assert ada.ceiling == pytest.approx(1.75) and ben.ceiling == pytest.approx(2.5)
    assert [r.ceiling for r in learning.rounds] == [0.25, 0.25, 0.25, 0.25, 1.0, 1.0, 1.0, 0.25]
    # Hearing: Ada knew tubu at r6 from the person's wrong entry and followed it; Ben knew
    # nupe at r5 (followed, right) and noris at r7 (right, ignored).
    assert (ada.heard_known, ada.entry_right, ada.followed, ada.followed_right) == (1, 0, 1, 0)
    assert (ben.heard_known, ben.entry_right, ben.followed, ben.followed_right) == (2, 2, 1, 1)
    # Speaking: Ben named beach for take at r2 on both tries; Ada misnamed r3 once, then right.
    assert (ada.spoke, ada.named_target, ada.naming_reprompts) == (4, 4, 1)
    assert (ben.spoke, ben.named_target, ben.naming_reprompts) == (4, 3, 1)
    # Writing. Ada: r2 and r6 right, r4 (wrong guess twice) and r8 (a word never said)
    # refused. Ben: r1 (revise of a new word), r3 (right on the second try), r5 (confirm)
    # right, r7 removed a right entry.
    assert (ada.update_steps, ada.refused_steps, ada.update_reprompts) == (4, 2, 1)
    assert (ada.writes_right, ada.writes_wrong, ada.removed_right, ada.refused) == (2, 0, 0, 2)
    assert ada.refused_reasons == {
        "the game master said … means …, not …": 1,
        "… does not occur in the partner's messages": 1,
    }
    assert (ben.update_steps, ben.refused_steps, ben.update_reprompts) == (4, 0, 1)
    assert (ben.writes_right, ben.writes_wrong, ben.removed_right, ben.refused) == (3, 0, 1, 0)
    assert (ada.lessons, ada.lessons_kept, ben.lessons, ben.lessons_kept) == (4, 2, 4, 4)


def test_a_misnamed_target_is_judged_and_revealed_as_the_thing_named(played: GameState) -> None:
    second = played.records[2]  # Ada's guess of round 2, where Ben said his word for beach
    assert second.scene is not None and second.scene.target == "take"
    assert second.meant == "beach" and not second.guessed_right
    assert 'meant "noris"' in second.attempts[1].instruction  # the reveal, in Ada's words
    # So the lesson Ada wrote is a true pair: Ben's buko is her noris.
    assert played.dictionaries[0].get("buko").meaning == "noris"


def test_thirds_and_scores_read_the_same_figures(played: GameState) -> None:
    learning = learning_of(played)
    assert learning is not None
    assert [third_of(r, 8) for r in range(1, 9)] == [1, 1, 2, 2, 2, 3, 3, 3]
    assert learning.third(1) == (0.0, 0.25)
    assert learning.third(2) == (pytest.approx(1 / 3), pytest.approx(0.5))
    assert learning.third(3) == (0.0, pytest.approx(0.75))
    episode = scores(played).episode
    assert episode["Ceiling Third 3"] == 0.75 and episode["Success Third 2"] == 0.3333
    assert episode["Named Target B"] == 3.0 and episode["Refused Update Steps A"] == 2.0
    assert scores(played).rounds[5]["Ceiling"] == 1.0
    record = game_record(1, played)["learning"]
    assert record["players"][1]["removed_right"] == 1
    assert record["thirds"][0] == {"third": 1, "success": 0.0, "ceiling": 0.25}


def test_the_markdown_export_says_where_learning_is_lost_and_no_real_language(
    played: GameState,
) -> None:
    text = game_markdown(1, played)
    assert text.startswith("# dictgame 1: Ada (invented language) and Ben (invented language)")
    lost = text.split("Where learning is lost")[1]
    assert "Ada" in lost and "Ben" in lost and "ceiling" in lost


def test_a_restored_game_shows_the_same_figures(played: GameState) -> None:
    restored = GameState.restore(played.settings, played.records, played.edits)
    assert learning_of(restored) == learning_of(played)


def test_reasons_are_counted_without_the_words_they_quote() -> None:
    assert reason_kind("'pizu' is not in the dictionary") == "… is not in the dictionary"
    assert reason_kind('the game master said "a" means "b", not "c"') == (
        "the game master said … means …, not …")

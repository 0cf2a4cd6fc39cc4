"""Ground truth: how right each dictionary is, and how often a message got through.

An entry is right when its word is the partner's label of some concept and its meaning the
player's own label of the same concept (the concept bank's labels, or the game's invented
lexicons), compared in `wordforms.normal_form`, as the common dictionary compares. Per round, computed from the stored moves and the
dictionary history replayed up to the round's last move, so the figures of a resumed game
are those of the game that was never stopped:

- grounded modes: the round's success, the running success rate (chance is 1 / K), and the
  precision, recall and F1 of each dictionary and of the common one, where recall counts the
  concepts that have appeared in a scene so far;
- free mode with two bank languages: precision over the entries the bank covers, and that
  coverage (free talk has no set of concepts to recall).
An empty dictionary has precision 0.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .concepts import concept_bank
from .dictionary import Dictionary, DictionaryEntry, common_pairs
from .records import MoveRecord
from .scenes import label, language_codes
from .settings import GameSettings
from .state import GameState
from .wordforms import normal_form


@dataclass(frozen=True)
class Judged:
    """One dictionary (or the common one) against the ground truth."""

    entries: int
    # Entries the ground truth can judge (free mode: whose word the bank knows).
    covered: int
    right: int
    # Concepts with a right entry, of those that appeared (grounded modes).
    recalled: int
    appeared: int

    @property
    def precision(self) -> float:
        return self.right / self.covered if self.covered else 0.0

    @property
    def recall(self) -> float:
        return self.recalled / self.appeared if self.appeared else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def coverage(self) -> float:
        return self.covered / self.entries if self.entries else 0.0


@dataclass(frozen=True)
class RoundTruth:
    round: int
    # Grounded modes: whether this round's guess was right, and the rate so far.
    success: bool | None
    success_rate: float | None
    chance: float | None
    players: tuple[Judged, Judged]
    common: Judged


class Judge:
    """The words of each player's language, each mapped back to its concept."""

    def __init__(self, settings: GameSettings) -> None:
        self.settings = settings
        self.codes = language_codes(settings)
        concepts: Iterable[str] = settings.concepts
        if settings.mode != "invented":
            concepts = [c.id for c in concept_bank().concepts]
        self.judgeable = settings.mode != "free" or None not in self.codes
        self._words: tuple[dict[str, str], dict[str, str]] = ({}, {})
        if self.judgeable:
            for seat in (0, 1):
                self._words[seat].update(
                    {normal_form(label(settings, seat, c), self.codes[seat]): c for c in concepts}
                )

    def concept_of(self, seat: int, word: str) -> str | None:
        """The concept a word of this player's language names, if any."""
        return self._words[seat].get(normal_form(word, self.codes[seat]))

    def entry(self, owner: int, foreign: str, meaning: str) -> tuple[bool, str | None]:
        """(covered, the concept it rightly names or None) for an entry of `owner`."""
        concept = self.concept_of(1 - owner, foreign)
        if concept is None:
            return self.settings.grounded, None
        return True, concept if self.concept_of(owner, meaning) == concept else None

    def dictionary(self, owner: int, entries: Iterable[DictionaryEntry], appeared: set[str]) -> Judged:
        return self._judged([(e.foreign, e.meaning) for e in entries], owner, appeared)

    def common(self, pairs: Iterable[tuple[str, str]], appeared: set[str]) -> Judged:
        """The common dictionary's (word of A's language, word of B's) pairs, as A holds them."""
        return self._judged([(word_b, word_a) for word_a, word_b in pairs], 0, appeared)

    def _judged(self, entries: list[tuple[str, str]], owner: int, appeared: set[str]) -> Judged:
        covered = right = 0
        named: set[str] = set()
        for foreign, meaning in entries:
            is_covered, concept = self.entry(owner, foreign, meaning)
            covered += is_covered
            if concept is not None:
                right += 1
                named.add(concept)
        return Judged(len(entries), covered, right, len(named & appeared), len(appeared))


def round_ends(settings: GameSettings, move: MoveRecord) -> bool:
    """Whether a move is its round's last: grounded, every guess; free, the second player's."""
    return move.scene is not None if settings.grounded else move.seat == 1


def truth_curve(state: GameState) -> list[RoundTruth]:
    """The ground truth after each complete round, oldest first (empty if not judgeable)."""
    with state.lock:
        settings, moves, history = state.settings, list(state.records), list(state.history)
    judge = Judge(settings)
    if not judge.judgeable:
        return []
    dictionaries = (Dictionary(), Dictionary())
    appeared: set[str] = set()
    decided = right = applied = 0
    curve = []
    for move in moves:
        while applied < len(history) and history[applied].after_move <= move.move_index:
            step = history[applied]
            dictionaries[step.owner].apply(step.operation, step.source, step.round)
            applied += 1
        if move.scene is not None:
            appeared |= set(move.scene.views[0])
            decided += 1
            right += bool(move.guessed_right)
        if round_ends(settings, move):
            curve.append(_round_truth(judge, move, dictionaries, appeared, decided, right))
    return curve


def final_truth(state: GameState) -> RoundTruth | None:
    """The ground truth of the game as it stands (the person's latest edits included)."""
    curve = truth_curve(state)
    if not curve:
        return None
    with state.lock:
        dictionaries = (state.dictionaries[0].copy(), state.dictionaries[1].copy())
        settings = state.settings
        moves = list(state.records)
    appeared = {c for m in moves if m.scene is not None for c in m.scene.views[0]}
    judge = Judge(settings)
    last = curve[-1]
    return RoundTruth(
        round=last.round,
        success=last.success,
        success_rate=last.success_rate,
        chance=last.chance,
        players=(judge.dictionary(0, dictionaries[0], appeared),
                 judge.dictionary(1, dictionaries[1], appeared)),
        common=judge.common(common_pairs(*dictionaries, judge.codes), appeared),
    )


def _round_truth(
    judge: Judge, move: MoveRecord, dictionaries: tuple[Dictionary, Dictionary],
    appeared: set[str], decided: int, right: int,
) -> RoundTruth:
    settings = judge.settings
    grounded = settings.grounded
    return RoundTruth(
        round=move.round,
        success=move.guessed_right if grounded else None,
        success_rate=right / decided if grounded and decided else None,
        chance=1 / settings.scene_size if grounded else None,
        players=(judge.dictionary(0, dictionaries[0], appeared),
                 judge.dictionary(1, dictionaries[1], appeared)),
        common=judge.common(common_pairs(*dictionaries, judge.codes), appeared),
    )


def figures(truth: RoundTruth, grounded: bool) -> dict[str, float]:
    """The ground truth as named scores (clembench's round and episode scores)."""
    found: dict[str, float] = {}
    if grounded:
        found["Round Success"] = float(bool(truth.success))
        found["Success Rate"] = round(truth.success_rate or 0.0, 4)
        found["Chance"] = round(truth.chance or 0.0, 4)
    judged = (("A", truth.players[0]), ("B", truth.players[1]), ("Common", truth.common))
    for who, figure in judged:
        if grounded:
            found[f"Precision {who}"] = round(figure.precision, 4)
            found[f"Recall {who}"] = round(figure.recall, 4)
            found[f"F1 {who}"] = round(figure.f1, 4)
        else:
            found[f"Precision {who} (covered)"] = round(figure.precision, 4)
            found[f"Coverage {who}"] = round(figure.coverage, 4)
    return found

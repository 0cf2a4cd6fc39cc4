"""Where a grounded game's learning is lost, per player, read from its stored moves.

A game is read against its ceiling: the perfect learner on the same scenes and messages
writes down every pair the game master's verdict teaches it (the word heard, the thing
meant) and uses it; a word it was never taught is a blind guess (1 / K). Below the ceiling,
learning is lost at one of four steps (`../shared/GAME.md`, "The ceiling"), each counted per
player:

- speaking: did the speaker's message name its own target;
- hearing: was the heard word in the listener's dictionary, and was that entry right;
- using: did the guess follow the entry;
- writing: what the update after the verdict wrote (right, wrong, removed), what the game
  master refused and why, and whether the round's lesson was in the dictionary after it.

Everything is computed from the move records and the dictionary history, so a resumed game,
an old save and an export show the same figures.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from .dictionary import Dictionary, DictionaryEntry, OperationKind, Source, normalize
from .prompts import consult
from .records import MoveRecord
from .scenes import draw_scene, named_concept
from .state import GameState
from .truth import Judge


@dataclass(frozen=True)
class RoundLearning:
    """One decided round: who listened, whether it guessed right, and the chance the
    perfect learner had of guessing right on the same scene and message."""

    round: int
    listener: int
    success: bool
    ceiling: float


@dataclass
class SeatLearning:
    """One player's four steps, counted over the game."""

    seat: int
    # Using the dictionary, as the listener: rounds guessed, right, and the ceiling's
    # expected right guesses on the same rounds.
    guesses: int = 0
    right: int = 0
    ceiling: float = 0.0
    # Hearing: the heard word was in the dictionary; that entry was right; the guess
    # followed it; followed and right.
    heard_known: int = 0
    entry_right: int = 0
    followed: int = 0
    followed_right: int = 0
    # Speaking: messages that name a round's thing; those that named the target; namings
    # the game master asked again because they named another thing.
    spoke: int = 0
    named_target: int = 0
    naming_reprompts: int = 0
    # Writing: update steps; those whose every operation was refused; updates asked again
    # because they went against the verdict; operations written (right, wrong), entries
    # removed (right, wrong), operations refused with why.
    update_steps: int = 0
    refused_steps: int = 0
    update_reprompts: int = 0
    writes_right: int = 0
    writes_wrong: int = 0
    removed_right: int = 0
    removed_wrong: int = 0
    refused: int = 0
    refused_reasons: dict[str, int] = field(default_factory=dict)
    # Rounds whose verdict taught the meaning of the heard word, and those after which the
    # dictionary held exactly that entry.
    lessons: int = 0
    lessons_kept: int = 0


@dataclass(frozen=True)
class Learning:
    rounds: tuple[RoundLearning, ...]
    seats: tuple[SeatLearning, SeatLearning]
    total_rounds: int

    def third(self, part: int, seat: int | None = None) -> tuple[float | None, float | None]:
        """(success rate, ceiling rate) over one third of the game's rounds (1, 2 or 3), of
        one listener or both; None where no round of it was decided."""
        chosen = [r for r in self.rounds if third_of(r.round, self.total_rounds) == part
                  and (seat is None or r.listener == seat)]
        if not chosen:
            return None, None
        return (sum(r.success for r in chosen) / len(chosen),
                sum(r.ceiling for r in chosen) / len(chosen))


def third_of(round_: int, rounds: int) -> int:
    """Which third of a game of `rounds` rounds a round falls in: 1-10, 11-20, 21-30 of 30."""
    return 1 if 3 * round_ <= rounds else 2 if 3 * round_ <= 2 * rounds else 3


def reason_kind(reason: str) -> str:
    """A refusal's reason without the words it quotes, so refusals can be counted by kind."""
    return re.sub(r"(['\"“]).*?(\1|”)", "…", reason)


def learning_of(state: GameState) -> Learning | None:
    """The four steps of each player and the ceiling, round by round; None in free mode."""
    with state.lock:
        settings, moves, history = state.settings, list(state.records), list(state.history)
    if not settings.grounded:
        return None
    judge = Judge(settings)
    seats = (SeatLearning(0), SeatLearning(1))
    dictionaries = (Dictionary(), Dictionary())
    known: tuple[dict[str, float], dict[str, float]] = ({}, {})
    chance = 1 / settings.scene_size
    rounds: list[RoundLearning] = []
    applied = 0
    for move in moves:
        seat = seats[move.seat]
        # What the player held when it was asked: everything before its move, and the
        # person's edits up to it.
        while applied < len(history) and (
            history[applied].after_move < move.move_index
            or (history[applied].after_move == move.move_index
                and history[applied].source is Source.USER)
        ):
            step = history[applied]
            dictionaries[step.owner].apply(step.operation, step.source, step.round)
            applied += 1
        dictionary = dictionaries[move.seat]
        if move.scene is not None and move.incoming is not None:
            rounds.append(_heard(seat, judge, move, dictionary, known[move.seat], chance))
        _written(seat, judge, move, dictionary)
        while applied < len(history) and history[applied].after_move <= move.move_index:
            step = history[applied]
            dictionaries[step.owner].apply(step.operation, step.source, step.round)
            applied += 1
        _lesson_kept(seat, move, dictionaries[move.seat], judge, settings.feedback)
        _spoken(seat, move, state)
    return Learning(tuple(rounds), seats, settings.rounds)


def _heard(
    seat: SeatLearning, judge: Judge, move: MoveRecord, dictionary: Dictionary,
    known: dict[str, float], chance: float,
) -> RoundLearning:
    """The listener's side of a round, and the perfect learner's on the same message."""
    assert move.scene is not None and move.incoming is not None
    meant = move.meant_thing
    seat.guesses += 1
    seat.right += bool(move.guessed_right)
    found = consult(dictionary, move.incoming)
    if found:
        entry = found[0]
        seat.heard_known += 1
        seat.entry_right += judge.entry(move.seat, entry.foreign, entry.meaning)[1] is not None
        if move.pick is not None and judge.concept_of(move.seat, entry.meaning) == move.pick:
            seat.followed += 1
            seat.followed_right += move.pick == meant
    heard = normalize(move.incoming)
    taught = known.get(heard, 0.0)
    ceiling = taught + (1 - taught) * chance
    seat.ceiling += ceiling
    feedback = judge.settings.feedback
    if feedback == "reveal":
        known[heard] = 1.0
    elif feedback == "outcome":
        known[heard] = ceiling  # a right guess teaches it, and it guesses right this often
    return RoundLearning(move.round, move.seat, bool(move.guessed_right), ceiling)


def _written(seat: SeatLearning, judge: Judge, move: MoveRecord, dictionary: Dictionary) -> None:
    """The update step of a move, judged operation by operation against what was held."""
    updates = [a for a in move.attempts if a.step == "update"]
    if not updates:
        return
    seat.update_steps += 1
    seat.update_reprompts += sum(1 for a in updates[:-1] if a.violation)
    seat.refused_steps += bool(move.rejected) and not move.applied
    held = dictionary.copy()
    for applied in move.applied:
        operation = applied.operation
        before = held.get(operation.foreign)
        held.apply(operation, Source.PLAYER, applied.round)
        if operation.kind is OperationKind.REMOVE:
            if before is not None and _right(judge, move.seat, before):
                seat.removed_right += 1
            else:
                seat.removed_wrong += 1
            continue
        after = held.get(operation.foreign)
        if after is not None and _right(judge, move.seat, after):
            seat.writes_right += 1
        else:
            seat.writes_wrong += 1
    reasons = Counter(seat.refused_reasons)
    for refused in move.rejected:
        seat.refused += 1
        reasons[reason_kind(refused.reason)] += 1
    seat.refused_reasons = dict(reasons)


def _lesson_kept(
    seat: SeatLearning, move: MoveRecord, dictionary: Dictionary, judge: Judge, feedback: str
) -> None:
    """Whether the round's lesson (the heard word means the thing meant) was held after."""
    if move.scene is None or move.incoming is None:
        return
    if not (feedback == "reveal" or (feedback == "outcome" and move.guessed_right)):
        return
    seat.lessons += 1
    entry = dictionary.get(move.incoming)
    if entry is not None and judge.concept_of(move.seat, entry.meaning) == move.meant_thing:
        seat.lessons_kept += 1


def _spoken(seat: SeatLearning, move: MoveRecord, state: GameState) -> None:
    """Whether a move's message named the target of the round it opened."""
    settings = state.settings
    round_ = move.move_index + 1
    if not move.message or round_ > settings.rounds:
        return
    scene = draw_scene(settings, round_)
    seat.spoke += 1
    seat.named_target += named_concept(settings, scene, move.seat, move.message) == scene.target
    namings = [a for a in move.attempts if a.step == "describe"]
    seat.naming_reprompts += sum(
        1 for a in namings[:-1] if a.violation and "your target is thing" in a.violation)


def _right(judge: Judge, owner: int, entry: DictionaryEntry) -> bool:
    return judge.entry(owner, entry.foreign, entry.meaning)[1] is not None


def learning_figures(learning: Learning) -> dict[str, float]:
    """The figures as named scores (clembench episode scores): the ceiling beside the
    success of each third, and each player's four steps."""
    found: dict[str, float] = {}
    for part in (1, 2, 3):
        success, ceiling = learning.third(part)
        if success is not None and ceiling is not None:
            found[f"Success Third {part}"] = round(success, 4)
            found[f"Ceiling Third {part}"] = round(ceiling, 4)
    if learning.rounds:
        found["Ceiling Rate"] = round(
            sum(r.ceiling for r in learning.rounds) / len(learning.rounds), 4)
    for seat, who in zip(learning.seats, "AB"):
        for name, field_name in SCORED_COUNTS:
            found[f"{name} {who}"] = float(getattr(seat, field_name))
    return found


# Each player's counts as clembench episode scores: (score name, SeatLearning field).
SCORED_COUNTS = (
    ("Named Target", "named_target"), ("Spoke", "spoke"), ("Heard Known", "heard_known"),
    ("Entry Right", "entry_right"), ("Followed", "followed"), ("Writes Right", "writes_right"),
    ("Writes Wrong", "writes_wrong"), ("Removed Right", "removed_right"), ("Refused", "refused"),
    ("Refused Update Steps", "refused_steps"), ("Update Steps", "update_steps"),
    ("Lessons Kept", "lessons_kept"), ("Lessons", "lessons"),
)

"""firstlast on the core: two models take turns talking about a topic; the first and the last
word of each utterance begin with the turn's letter, which moves on through the alphabet.

A broken move rule (no `I SAY:`) is re-prompted, then aborts; a broken game rule (a wrong
letter) loses at once; all turns correct is a success.
"""

from __future__ import annotations

import functools
import random
import time
from typing import Any

from ...backend import ChatMessage
from ...core.game import (
    PLAYING,
    Answer,
    Ask,
    Experiment,
    Game,
    Outcome,
    Result,
    Scores,
    Turn,
    drawn_instance,
)
from ...core.records import MoveRecord
from ...core.settings import PlayerSettings, split_given
from .prompts import PromptBook
from .rules import TAG, parse_utterance
from .settings import FirstLastSettings
from .state import FirstLastState

# Enough for one sentence.
UTTERANCE_TOKENS = 48


@functools.lru_cache(maxsize=16)
def prompt_book(settings: FirstLastSettings) -> PromptBook:
    return PromptBook(settings)


def new_state(settings: FirstLastSettings) -> FirstLastState:
    return FirstLastState(settings)


def next_turn(state: FirstLastState) -> Turn | None:
    if outcome(state).over:
        return None
    prompts = prompt_book(state.settings)
    seat, move_index = state.next_seat, state.moves_played
    # The player sees its own earlier turns: what it was told (with the partner's words)
    # and what it said, tag included, as the pattern to keep.
    history = tuple(
        (
            ChatMessage("user", prompts.turn(seat, state.letter(m.move_index), m.incoming)),
            ChatMessage("assistant", f"{TAG} {m.message}"),
        )
        for m in state.moves
        if m.seat == seat
    )
    incoming = state.moves[-1].message if state.moves else None
    instruction = prompts.turn(seat, state.letter(move_index), incoming)
    say = Ask(
        step="say",
        instruction=instruction,
        parse=parse_utterance,
        max_tokens=UTTERANCE_TOKENS,
        feedback=lambda violation: prompts.reprompt(seat, violation, instruction),
    )
    return Turn(seat, state.current_round, prompts.system(seat), history, (say,), incoming)


def apply(
    state: FirstLastState, turn: Turn, answers: tuple[Answer, ...], started_at: float
) -> tuple[MoveRecord, list[Any]]:
    (said,) = answers
    record = MoveRecord(
        move_index=state.moves_played,
        round=turn.round,
        seat=turn.seat,
        incoming=turn.incoming,
        attempts=said.attempts,
        message=said.value,
        violated=said.violated,
        started_at=started_at,
        finished_at=time.time(),
    )
    state.apply_move(record)
    return record, []


def outcome(state: FirstLastState) -> Outcome:
    if state.aborted:
        return Outcome(Result.ABORTED, state.aborted)
    for verdict in state.track[: state.moves_played]:
        if verdict.broken:
            name = state.settings.players[verdict.seat].name
            return Outcome(Result.LOSE, f"{name}: {verdict.broken}")
    if state.moves_played >= state.settings.turns:
        return Outcome(Result.SUCCESS, f"all {state.settings.turns} turns kept their letters")
    return PLAYING


def scores(state: FirstLastState) -> Scores:
    """Main Score: the share of the episode's turns played correctly (a game lost late
    scores more than one lost at the first turn)."""
    track = state.track
    correct = sum(1 for verdict in track if verdict.correct)
    rounds: dict[int, dict[str, float]] = {}
    for verdict in track[: state.moves_played]:
        figures = rounds.setdefault(verdict.move_index // 2 + 1, {"Correct Turns": 0.0})
        figures["Correct Turns"] += float(verdict.correct)
    return Scores(
        episode={"Correct Turns": float(correct), "Turns": float(state.settings.turns)},
        rounds=rounds,
        main=round(100 * correct / state.settings.turns, 2),
    )


TOPICS = ("the weather", "cooking", "animals", "music")
# First letters with many common words, so that the letters after them are fair too.
FIRST_LETTERS = "abcdfhlmprst"
TURN_COUNTS = (2, 4, 6)


def experiments(seed: int) -> list[Experiment]:
    """One experiment per topic: two first letters drawn from the seed, times each number of
    turns."""
    rng = random.Random(seed)
    found = []
    for topic in TOPICS:
        letters = rng.sample(FIRST_LETTERS, 2)
        instances = tuple(
            {"topic": topic, "first_letter": letter, "turns": turns, "seed": rng.randrange(2**31)}
            for letter in letters
            for turns in TURN_COUNTS
        )
        found.append(Experiment(topic.removeprefix("the ").replace(" ", "-"), instances))
    return found


def settings_for(instance: dict[str, Any], given: dict[str, Any]) -> FirstLastSettings:
    """An instance's topic, letter, turns and seed, with the caller's models, names and
    settings."""
    models, names, values = split_given(instance, given, ("topic", "first_letter", "turns", "seed"))
    players = (
        PlayerSettings(name=names[0] or "Player A", model=models[0]),
        PlayerSettings(name=names[1] or "Player B", model=models[1]),
    )
    return FirstLastSettings(players=players, **values)



def summary(settings: FirstLastSettings) -> str:
    return f"{settings.topic}, from {settings.first_letter.upper()}, {settings.turns} turns"


FIRSTLAST: Game[FirstLastState] = Game(
    name="firstlast",
    title="First and Last",
    description="Two players talk about a topic; each utterance's first and last words begin "
    "with the turn's letter, moving on through the alphabet (clembench's tutorial game).",
    settings_type=FirstLastSettings,
    record_type=MoveRecord,
    seats=("model", "model"),
    new_state=new_state,
    next_turn=next_turn,
    apply=apply,
    outcome=outcome,
    scores=scores,
    experiments=experiments,
    settings_for=settings_for,
    summary=summary,
    play_instance=lambda seed: drawn_instance(experiments, seed),
)

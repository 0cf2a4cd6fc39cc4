"""hellogame on the core: the greeter (a model) greets and welcomes a guest by name, and the
guest (the game's own code) answers. One round, two moves."""

from __future__ import annotations

import functools
import random
import time
from typing import Any

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
from .rules import missing_words, parse_greeting
from .settings import LANGUAGES, HelloSettings
from .state import TOTAL_MOVES, HelloState

GREETER, GUEST = 0, 1
# Enough for a sentence of greeting, too few for a speech.
GREETING_TOKENS = 48


@functools.lru_cache(maxsize=16)
def prompt_book(settings: HelloSettings) -> PromptBook:
    return PromptBook(settings)


def new_state(settings: HelloSettings) -> HelloState:
    return HelloState(settings)


def next_turn(state: HelloState) -> Turn | None:
    if state.aborted or state.moves_played >= TOTAL_MOVES:
        return None
    prompts = prompt_book(state.settings)
    if state.greeting is None:
        instruction = prompts.greet()
        greet = Ask(
            step="greet",
            instruction=instruction,
            parse=parse_greeting,
            max_tokens=GREETING_TOKENS,
            feedback=lambda violation: prompts.reprompt(violation, instruction),
        )
        return Turn(GREETER, 1, prompts.system(), (), (greet,))
    heard = state.greeting.message
    answer = Ask(step="answer", instruction=heard, parse=lambda text: (text, None), max_tokens=0)
    return Turn(GUEST, 1, "", (), (answer,), incoming=heard)


def programmatic(state: HelloState, seat: int, ask: Ask) -> str:
    """The guest thanks the host, whatever was said."""
    return prompt_book(state.settings).guest()


def apply(
    state: HelloState, turn: Turn, answers: tuple[Answer, ...], started_at: float
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


def missing(state: HelloState) -> list[str] | None:
    """What the greeting failed to say (None before the greeting)."""
    greeting = state.greeting
    if greeting is None or greeting.violated:
        return None
    settings = state.settings
    return missing_words(greeting.message, settings.target_name, settings.language)


def outcome(state: HelloState) -> Outcome:
    if state.aborted:
        return Outcome(Result.ABORTED, state.aborted)
    if state.moves_played < TOTAL_MOVES:
        return PLAYING
    lacking = missing(state) or []
    if lacking:
        return Outcome(Result.LOSE, "the greeting lacks " + ", ".join(map(repr, lacking)))
    return Outcome(Result.SUCCESS, f"{state.settings.target_name} was greeted and welcomed")


def scores(state: HelloState) -> Scores:
    return Scores(episode={}, main=100.0 if outcome(state).result is Result.SUCCESS else 0.0)


TARGET_NAMES: dict[str, tuple[str, ...]] = {
    "en": ("Ted", "Alice", "Mary", "Bob", "Sophie", "James", "Emma", "Oliver"),
    "de": ("Jürgen", "Anna", "Lukas", "Greta", "Moritz", "Lena", "Felix", "Hanna"),
}


def experiments(seed: int) -> list[Experiment]:
    """One experiment per prompt language, five target names each, drawn from the seed."""
    rng = random.Random(seed)
    found = []
    for language in LANGUAGES:
        names = rng.sample(TARGET_NAMES[language], 5)
        instances = tuple(
            {"language": language, "target_name": name, "seed": rng.randrange(2**31)}
            for name in names
        )
        found.append(Experiment(language, instances))
    return found


def settings_for(instance: dict[str, Any], given: dict[str, Any]) -> HelloSettings:
    """An instance's guest, language and seed, with the caller's greeter model, name and
    settings (the guest is the instance's: greeting that name is the game)."""
    models, names, values = split_given(instance, given, ("language", "seed"))
    players = (
        PlayerSettings(name=names[0] or "Greeter", model=models[0]),
        PlayerSettings(name=instance["target_name"]),
    )
    return HelloSettings(players=players, **values)



def summary(settings: HelloSettings) -> str:
    return f"{settings.target_name} ({settings.language})"


HELLOGAME: Game[HelloState] = Game(
    name="hellogame",
    title="Hello Game",
    description="A model greets and welcomes a guest by name (clembench's first example).",
    settings_type=HelloSettings,
    record_type=MoveRecord,
    seats=("model", "programmatic"),
    new_state=new_state,
    next_turn=next_turn,
    apply=apply,
    outcome=outcome,
    scores=scores,
    experiments=experiments,
    settings_for=settings_for,
    programmatic=programmatic,
    summary=summary,
    play_instance=lambda seed: drawn_instance(experiments, seed),
)

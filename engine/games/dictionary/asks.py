"""What the game master asks a player, with how the answer is read and bounded: a message
(under the move rules: form, then language or lexicon), a dictionary update (under a JSON
schema), and in grounded modes a guess among the listener's things.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from dataclasses import replace

from ...core.game import Ask
from .dictionary import Dictionary
from .language_rule import language_violation
from .prompts import PromptBook
from .rules import (
    ParsedUpdate,
    UpdateParseError,
    choice_schema,
    clean_reply,
    lexicon_violation,
    message_words,
    parse_choice,
    parse_update,
    reply_violation,
    update_schema,
    update_token_budget,
)
from .scenes import lexicon_words
from .settings import GameSettings

# A guess is one word of at most a dictionary entry's length, or a number.
CHOICE_TOKENS = 24


@functools.lru_cache(maxsize=16)
def prompt_book(settings: GameSettings) -> PromptBook:
    return PromptBook(settings)


def parse_update_answer(raw: str) -> tuple[ParsedUpdate | None, str | None]:
    try:
        return parse_update(raw), None
    except UpdateParseError as error:
        return None, str(error)


def speech_rule(settings: GameSettings, seat: int) -> Callable[[str], str | None]:
    """The move rule on what a player may say: its own real language, or its lexicon."""
    if settings.mode == "invented":
        lexicon = lexicon_words(settings, seat)
        return lambda text: lexicon_violation(text, lexicon)
    me, partner = settings.players[seat], settings.players[1 - seat]
    return lambda text: language_violation(text, me.language, partner.language)


def message_ask(
    settings: GameSettings, seat: int, step: str, instruction: str, incoming: str | None
) -> Ask:
    """A message to the partner: form first (empty, too long, an echo, talk about the game),
    then the language it is in."""
    words = settings.words_per_message
    names = tuple(player.name for player in settings.players)
    in_language = speech_rule(settings, seat)
    prompts = prompt_book(settings)

    def parse(raw: str) -> tuple[str, str | None]:
        text = clean_reply(raw, names)
        return text, reply_violation(text, words, incoming) or in_language(text)

    return Ask(
        step=step,
        instruction=instruction,
        parse=parse,
        max_tokens=6 * words + 16,
        feedback=lambda violation: prompts.reprompt(seat, violation, instruction),
    )


def naming_ask(settings: GameSettings, seat: int, instruction: str, vocabulary: list[str]) -> Ask:
    """The speaker's message in a grounded round: its word for one of the scene's things,
    under a JSON-schema enum, so even a small model names a thing rather than talking about
    the game. The answer may also be plain text (a person's, or a backend's
    without grammars): then the move rules judge it as any message."""
    message = message_ask(settings, seat, "describe", instruction, None)

    def parse(raw: str) -> tuple[str, str | None]:
        try:
            word = json.loads(raw)
        except json.JSONDecodeError:
            word = None
        return message.parse(word if isinstance(word, str) else raw)

    return replace(message, parse=parse, max_tokens=CHOICE_TOKENS,
                   json_schema={"enum": vocabulary})


def update_ask(
    settings: GameSettings, instruction: str, words: list[str] | None = None,
    meanings: list[str] | None = None,
) -> Ask:
    return Ask(
        step="update",
        instruction=instruction,
        parse=parse_update_answer,
        max_tokens=update_token_budget(settings.max_operations),
        json_schema=update_schema(settings.max_operations, words, meanings),
    )


def choose_ask(
    settings: GameSettings, seat: int, incoming: str, things: list[str], dictionary: Dictionary
) -> Ask:
    """The listener's guess, constrained to its things (their words, or their numbers)."""
    by_number = settings.choice == "number"
    return Ask(
        step="choose",
        instruction=prompt_book(settings).choose(seat, incoming, things, dictionary),
        parse=lambda raw: parse_choice(raw, things),
        max_tokens=CHOICE_TOKENS,
        json_schema=choice_schema(things, by_number),
    )


def scene_update_ask(
    settings: GameSettings, seat: int, incoming: str, verdict: str, dictionary: Dictionary,
    things: list[str],
) -> Ask:
    """The update after a guess: one operation (a scene teaches one word), whose word is of
    the partner's message (or one already held) and whose meaning is one of the listener's
    things. Extra operations were mostly duplicates or wrong on SmolLM2-135M."""
    instruction = prompt_book(settings).scene_update(seat, incoming, verdict, dictionary, things)
    words = message_words(incoming) + [entry.foreign for entry in dictionary]
    return replace(
        update_ask(settings, instruction, words, things),
        max_tokens=update_token_budget(1),
        json_schema=update_schema(1, words, things),
    )

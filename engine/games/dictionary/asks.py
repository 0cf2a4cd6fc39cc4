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
from .dictionary import Dictionary, OperationKind, normalize
from .language_rule import language_violation
from .lessons import Lesson
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
    topic_violation,
    update_schema,
    update_token_budget,
)
from .scenes import language_codes, lexicon_words
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
    settings: GameSettings, seat: int, step: str, instruction: str, incoming: str | None,
    topic: str | None = None,
) -> Ask:
    """A message to the partner: form first (empty, too long, an echo, talk about the game),
    then the language it is in, then, in free talk with a topic, that it says the topic's
    word (`topic`, in the speaker's words)."""
    words = settings.words_per_message
    names = tuple(player.name for player in settings.players)
    in_language = speech_rule(settings, seat)
    prompts = prompt_book(settings)
    code = language_codes(settings)[seat]

    def parse(raw: str) -> tuple[str, str | None]:
        text = clean_reply(raw, names)
        violation = reply_violation(text, words, incoming) or in_language(text)
        if violation is None and topic is not None:
            violation = topic_violation(text, topic, code)
        return text, violation

    return Ask(
        step=step,
        instruction=instruction,
        parse=parse,
        max_tokens=6 * words + 16,
        feedback=lambda violation: prompts.reprompt(seat, violation, instruction),
    )


# A choice among the scene's words (the speaker's name for its target, the listener's guess)
# is asked greedily, the player's best answer: sampled at the game's 0.7, SmolLM2 followed the
# right entry its dictionary held (marked in the list of things) 13 times in 23 (invented,
# seed 101), greedily 16 in 25. A re-prompt still samples warmer.
CHOICE_TEMPERATURE = 0.0


def naming_ask(
    settings: GameSettings, seat: int, instruction: str, vocabulary: list[str], target: int
) -> Ask:
    """The speaker's message in a grounded round: its word for one of the scene's things,
    under a JSON-schema enum, so even a small model names a thing rather than talking about
    the game. The answer may also be plain text (a person's, or a backend's
    without grammars): then the move rules judge it as any message. Naming another thing of
    the scene than the target (`target`, numbered from 1) breaks a move rule: measured on
    the 1.5B Qwen and on SmolLM2, 6 of 30 messages did, and each taught the listener a pair
    the game never meant."""
    message = message_ask(settings, seat, "describe", instruction, None)
    words = [normalize(word) for word in vocabulary]
    meant = vocabulary[target - 1]

    def parse(raw: str) -> tuple[str, str | None]:
        try:
            word = json.loads(raw)
        except json.JSONDecodeError:
            word = None
        text, violation = message.parse(word if isinstance(word, str) else raw)
        said = normalize(text)
        if violation is None and said in words and said != normalize(meant):
            number = words.index(said) + 1
            violation = (f'"{text}" is your word for thing {number}; your target is '
                         f'thing {target}, "{meant}"')
        return text, violation

    return replace(message, parse=parse, max_tokens=CHOICE_TOKENS,
                   json_schema={"enum": vocabulary}, always_feedback=True,
                   temperature=CHOICE_TEMPERATURE)


def update_ask(
    settings: GameSettings, instruction: str, words: list[str] | None = None,
    meanings: list[str] | None = None, meaning_first: bool = False,
) -> Ask:
    return Ask(
        step="update",
        instruction=instruction,
        parse=parse_update_answer,
        max_tokens=update_token_budget(settings.max_operations),
        json_schema=update_schema(settings.max_operations, words, meanings,
                                  meaning_first=meaning_first),
    )


def heard_or_held(incoming: str, dictionary: Dictionary) -> list[str]:
    """The words an entry of a grounded update may be about: the message's, or one held."""
    return message_words(incoming) + [entry.foreign for entry in dictionary]


def topic_update_ask(settings: GameSettings, instruction: str, incoming: str, topic: str) -> Ask:
    """The update in free talk with a topic: the listener writes which word of the message
    means the topic, its meaning (the topic, in the listener's words) generated first.

    With the words of the message and those held offered, each with any meaning, the 1.5B
    Qwen wrote the heard topic word right 52 times in 81 (5 games, 10 rounds): 14 misses
    wrote again an entry held and not heard, 14 another word of the message with its own
    translation as the meaning. Its first 30 of those updates asked again greedily
    (`bench.free_steps --variants`): 18 right with 16 other writes as the game asked them,
    22 with 8 so. In play, with the topic rule (five games at 9652f84): 74 right of 93, the
    misses all another word of the message.

    Each capitalised word is offered in lower case too (`lower_case_too`): on another
    llama.cpp build the Spanish listener wrote 20 of 46 right, most misses the kind in a
    definition ("Four is a number." -> number = cuatro) where the topic word was the
    sentence's capitalised first word (right 7 times in 33 so, 7 in 13 otherwise). The 90
    updates of those five games asked again greedily: 62 right with 29 other writes as
    played, 84 with 6 with lower case offered (only lower case: 84 with 6; the word asked as
    the thing's own, not its kind's: 56 with 35). In play (ten games at 551409d): 168 right
    of 183, 7.0 right common pairs a game against 4.0 before on five of those seeds."""
    return update_ask(settings, instruction, lower_case_too(message_words(incoming)),
                      [topic], meaning_first=True)


def lower_case_too(words: list[str]) -> list[str]:
    """The words, each capitalised one followed by its lower case: a listener whose meaning
    is lower case writes the word so, and a grammar that offers it only capitalised turns it
    to another word of the message."""
    found: list[str] = []
    for word in words:
        found += [form for form in (word, word.lower()) if form not in found]
    return found


def choose_ask(
    settings: GameSettings, seat: int, incoming: str, things: list[str], dictionary: Dictionary
) -> Ask:
    """The listener's guess, constrained to its things (their words, or their numbers).

    The prompt (`choose.j2`) ends on what the dictionary says the heard word means, then
    asks what the partner meant by that word. Re-asked on the choose steps of three
    invented games of SmolLM2-135M (seeds 201-203) with the heard word's right entry (48
    steps where the game held it, 68 where it was planted), it followed the entry 78 times in
    116, against 70 with the entry listed with its confidence and a question that did not
    name the word; a planted wrong entry was followed as often (43 of 68). On the 48,
    answering by number (10), the message before the things (22) and a JSON answer that
    first copies the dictionary's meaning (26) followed it less than the old prompt (27)."""
    by_number = settings.choice == "number"
    return Ask(
        step="choose",
        instruction=prompt_book(settings).choose(seat, incoming, things, dictionary),
        parse=lambda raw: parse_choice(raw, things),
        max_tokens=CHOICE_TOKENS,
        json_schema=choice_schema(things, by_number),
        temperature=CHOICE_TEMPERATURE,
    )


def _taught(
    lesson: Lesson | None, words: list[str], things: list[str]
) -> tuple[str, list[str]] | None:
    """The heard word and the meanings its verdict leaves it, for the update's schema. With
    the meanings of every thing offered for the heard word, SmolLM2 went against the reveal
    in 33 of 200 updates (invented, 40 rounds, 5 seeds) and 16 stayed refused after the
    re-prompts, each losing the round's lesson."""
    if lesson is None:
        return None
    heard = next((w for w in words if normalize(w) == normalize(lesson.word)), None)
    if heard is None:
        return None
    if lesson.means is not None:
        return heard, [lesson.means]
    left = [t for t in things if normalize(t) != normalize(lesson.not_means or "")]
    return heard, ["", *left]


def scene_update_ask(
    settings: GameSettings, seat: int, incoming: str, verdict: str, dictionary: Dictionary,
    things: list[str], lesson: Lesson | None = None,
) -> Ask:
    """The update after a guess: one operation (a scene teaches one word), whose word is of
    the partner's message (or one already held) and whose meaning is one of the listener's
    things. Extra operations were mostly duplicates or wrong on SmolLM2-135M.

    The schema offers the heard word only the meanings the verdict leaves it (`_taught`);
    an update that still goes against the verdict (from a person, or a backend without
    grammars: the player's own wrong guess written after the game master revealed the meant
    thing, or the heard word removed) breaks a move rule and is asked again, with why. After
    a reveal `remove` is not offered: the lesson always has a meaning to write, and a removal
    only lost right entries (2 of 30 updates on Qwen)."""
    prompts = prompt_book(settings)
    instruction = prompts.scene_update(seat, incoming, verdict, dictionary, things)
    words = heard_or_held(incoming, dictionary)
    kinds: list[OperationKind] | None = None if settings.feedback != "reveal" else [
        kind for kind in OperationKind if kind is not OperationKind.REMOVE]
    taught = _taught(lesson, words, things)

    def parse(raw: str) -> tuple[ParsedUpdate | None, str | None]:
        update, violation = parse_update_answer(raw)
        if update is not None and lesson is not None:
            violation = next(
                (why for op in update.operations if (why := lesson.contradiction(op))), None)
        return update, violation

    return replace(
        update_ask(settings, instruction, words, things),
        parse=parse,
        max_tokens=update_token_budget(1),
        json_schema=update_schema(1, words, things, kinds, taught),
        feedback=lambda violation: prompts.update_reprompt(seat, violation, instruction),
        always_feedback=True,
    )

"""The move rules of Dictionary Discovery as plain functions: parse, then say what is wrong.

Move rules are about form (an empty reply, one over the word limit, JSON that does not
parse); breaking one gets a re-prompt. Game rules are about content (an `add` must quote the
partner) and are checked per operation in `dictionary.check_operation`.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from .dictionary import MAX_WORD_CHARS, Operation, OperationKind, clean_meaning
from .wordforms import normal_form

# Talk about the game rather than in it: the model explaining itself, JSON, translations.
_META_TALK = re.compile(
    r"[{}]|\bjson\b|\bdictionary\b|\btranslat|\bas an ai\b|\blanguage model\b|\bi cannot\b",
    re.IGNORECASE,
)
_ROLE_PREFIX = re.compile(r"^\s*(assistant|user|system|you|me)\s*:\s*", re.IGNORECASE)


# The confidences a player may give: an enum, so the grammar itself keeps them in range.
CONFIDENCE_LEVELS = (0.2, 0.4, 0.6, 0.8, 1.0)


def update_schema(
    max_operations: int,
    words: list[str] | None = None,
    meanings: list[str] | None = None,
    kinds: list[OperationKind] | None = None,
    taught: tuple[str, list[str]] | None = None,
    meaning_first: bool = False,
) -> dict[str, Any]:
    """The bounded JSON schema a dictionary update is generated under.

    Bounds on the number of operations and on string lengths make every update end
    within a known token budget, so it always parses. In grounded modes the game master
    knows what an entry can be: a word the partner used (or one already held) and, as its
    meaning, one of the listener's things; `words` and `meanings` bound them so, and `kinds`
    the operations offered (None: all). `taught`: a word of `words` and the meanings the
    round's verdict leaves it (the thing revealed; the things but the one judged wrong),
    offered for that word alone. `meaning_first`: an item's meaning is generated before its
    word, so the word is chosen for a meaning already written (free talk with a topic).
    """
    word: dict[str, Any] = {"type": "string", "minLength": 1, "maxLength": MAX_WORD_CHARS}
    meaning: dict[str, Any] = {"type": "string", "maxLength": MAX_WORD_CHARS}
    if words:
        word = {"enum": _bounded(words)}
    if meanings:
        meaning = {"enum": ["", *_bounded(meanings)]}
    ops: dict[str, Any] = {"enum": [k.value for k in (kinds or OperationKind)]}
    items: dict[str, Any] = _item(ops, word, meaning, meaning_first)
    if taught is not None and words and taught[0] in word["enum"]:
        others = [w for w in word["enum"] if w != taught[0]]
        items = {"anyOf": [
            _item(ops, {"enum": [taught[0]]},
                  {"enum": [""] * ("" in taught[1]) + _bounded(taught[1])}, meaning_first),
            *([_item(ops, {"enum": others}, meaning, meaning_first)] if others else []),
        ]}
    return {
        "type": "object",
        "properties": {
            "updates": {"type": "array", "maxItems": max_operations, "items": items}
        },
        "required": ["updates"],
    }


def _item(
    ops: dict[str, Any], word: dict[str, Any], meaning: dict[str, Any], meaning_first: bool
) -> dict[str, Any]:
    """One operation; the grammar generates its keys in this order."""
    keys = ("op", "meaning", "word") if meaning_first else ("op", "word", "meaning")
    properties = {"op": ops, "word": word, "meaning": meaning}
    return {
        "type": "object",
        "properties": {
            **{key: properties[key] for key in keys},
            "confidence": {"enum": list(CONFIDENCE_LEVELS)},
        },
        "required": [*keys, "confidence"],
    }


def _bounded(words: list[str]) -> list[str]:
    """Distinct, non-empty words no longer than a dictionary entry allows, in order."""
    kept: list[str] = []
    for word in words:
        if word and len(word) <= MAX_WORD_CHARS and word not in kept:
            kept.append(word)
    return kept


def message_words(text: str) -> list[str]:
    """The words of a message a listener may quote in an entry, without punctuation."""
    return re.findall(r"[^\W_]+(?:[-'][^\W_]+)*", text)


def says(message: str, word: str, code: str | None) -> bool:
    """Whether a message says a word (a phrase as a whole), both in the normal form the
    truth compares in (`code`: the language's, in the bank)."""
    wanted = normal_form(word, code).split()
    said = [normal_form(w, code) for w in message_words(message)]
    return any(said[i:i + len(wanted)] == wanted for i in range(len(said)))


def topic_violation(text: str, topic: str, code: str | None) -> str | None:
    """Free talk with a topic: a message must say the speaker's word for its round's topic,
    or the listener, told what the message was about, learns a false pair."""
    return None if says(text, topic, code) else f'the message does not say "{topic}"'


def choice_schema(things: list[str], by_number: bool) -> dict[str, Any]:
    """The listener's guess: one of its things, by word or by number, and nothing else."""
    return {"enum": list(range(1, len(things) + 1)) if by_number else list(things)}


def parse_choice(raw: str, things: list[str]) -> tuple[int | None, str | None]:
    """The index of the thing guessed (from 0), from a JSON word or number, or a bare one."""
    text = raw.strip()
    try:
        value: object = json.loads(text)
    except json.JSONDecodeError:
        value = text.strip("\"'.").strip()
    if isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= len(things):
        return value - 1, None
    if isinstance(value, str):
        if value.isdigit() and 1 <= int(value) <= len(things):
            return int(value) - 1, None
        folded = [thing.casefold() for thing in things]
        if value.casefold() in folded:
            return folded.index(value.casefold()), None
    return None, f"the guess is not one of the things: {', '.join(things)}"


def lexicon_violation(text: str, lexicon: tuple[str, ...]) -> str | None:
    """Which words of a message are not of the player's invented language, if any."""
    known = {word.casefold() for word in lexicon}
    foreign = [w for w in re.findall(r"\w+", text.casefold()) if w not in known]
    if foreign:
        return f"{foreign[0]!r} is not a word of your language; say only your own words"
    return None


def update_token_budget(max_operations: int) -> int:
    """Enough tokens for the longest update the schema allows (at worst a token a character)."""
    per_operation = 2 * MAX_WORD_CHARS + 60
    return 24 + max_operations * per_operation


class UpdateParseError(ValueError):
    """The update broke a move rule: it is not the JSON the schema asks for."""


@dataclass(frozen=True)
class ParsedUpdate:
    operations: tuple[Operation, ...]
    # Items that were not operations at all, each with why.
    malformed: tuple[str, ...]


def parse_update(raw: str) -> ParsedUpdate:
    try:
        document = json.loads(raw)
    except json.JSONDecodeError as error:
        raise UpdateParseError(f"the update is not valid JSON ({error.msg})") from None
    if not isinstance(document, dict) or not isinstance(document.get("updates"), list):
        raise UpdateParseError('the update is not an object with an "updates" list')
    operations: list[Operation] = []
    malformed: list[str] = []
    for item in document["updates"]:
        try:
            operations.append(_operation_from(item))
        except ValueError as problem:
            malformed.append(f"{item!r}: {problem}")
    return ParsedUpdate(tuple(operations), tuple(malformed))


def _operation_from(item: object) -> Operation:
    if not isinstance(item, dict):
        raise ValueError("not an object")
    kind = item.get("op")
    if kind not in {k.value for k in OperationKind}:
        raise ValueError(f"unknown op {kind!r}")
    word, meaning, confidence = item.get("word"), item.get("meaning", ""), item.get("confidence")
    if not isinstance(word, str) or not isinstance(meaning, str):
        raise ValueError("word and meaning must be strings")
    if isinstance(confidence, bool) or not isinstance(confidence, int | float):
        raise ValueError("confidence must be a number")
    if not math.isfinite(confidence):  # json.loads accepts NaN and Infinity; JSON cannot store them
        raise ValueError("confidence must be a finite number")
    return Operation(
        kind=OperationKind(kind), foreign=word, meaning=clean_meaning(meaning),
        confidence=float(confidence),
    )


def clean_reply(raw: str, names: tuple[str, ...]) -> str:
    """The message as the partner will read it: one line, no role or player label, no quotes.

    Models often copy the game master's "Name: message" layout, with either player's name.
    """
    lines = [line.strip() for line in raw.strip().splitlines() if line.strip()]
    text = lines[0] if lines else ""
    text = _ROLE_PREFIX.sub("", text)
    labels = "|".join(re.escape(name) for name in names)
    text = re.sub(rf"^\s*({labels})\s*:\s*", "", text, flags=re.IGNORECASE)
    text = text.strip().strip("\"'“”«»*").strip()
    return " ".join(text.split())


def reply_violation(text: str, words_per_message: int, incoming: str | None = None) -> str | None:
    """Which move rule a cleaned reply breaks, or None."""
    if not text or not re.search(r"\w", text):
        return "the reply is empty"
    if incoming is not None and _words_only(text) == _words_only(incoming):
        return "the reply only repeats the partner's message"
    word_count = len(text.split())
    if word_count > words_per_message:
        return f"the reply has {word_count} words; the limit is {words_per_message}"
    if _META_TALK.search(text):
        return "the reply talks about the game instead of speaking to the partner"
    return None


def _words_only(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def cut_to_limit(text: str, words_per_message: int) -> str:
    """What is passed on after the last re-prompt failed: at most the allowed words."""
    return " ".join(text.split()[:words_per_message])

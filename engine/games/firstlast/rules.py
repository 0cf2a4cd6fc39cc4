"""firstlast's rules as plain functions: the move rule (the `I SAY:` tag) and the game rule
(the first and the last word begin with the turn's letter)."""

from __future__ import annotations

import re
import string
import unicodedata

TAG = "I SAY:"

# A word: letters, with inner apostrophes ("don't"); digits and punctuation are not words.
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")


def letter_of(first_letter: str, move_index: int) -> str:
    """The letter of a turn: the first turn's, then on through the alphabet (z wraps to a)."""
    alphabet = string.ascii_lowercase
    return alphabet[(alphabet.index(first_letter) + move_index) % len(alphabet)]


def parse_utterance(raw: str) -> tuple[str, str | None]:
    """The utterance after its tag (its first line: a small model tends to go on with the
    partner's lines), and the move rule it broke (None if none)."""
    text = raw.strip()
    if not text.startswith(TAG):
        return text, f"the answer does not start with {TAG}"
    said = text[len(TAG) :].strip().split("\n", 1)[0].strip()
    if not said:
        return said, f"nothing was said after {TAG}"
    return said, None


def first_and_last(utterance: str) -> tuple[str, str] | None:
    """The first and the last word, lower-cased (None if the utterance has no word)."""
    found = _WORD.findall(utterance.lower())
    return (found[0], found[-1]) if found else None


def begins_with(word: str, letter: str) -> bool:
    """Whether a word begins with the letter, accents aside ("école" begins with e)."""
    base = unicodedata.normalize("NFKD", word[:1])[:1]
    return base.lower() == letter


def check_utterance(utterance: str, letter: str) -> str | None:
    """Which game rule the utterance broke (None if it kept them)."""
    words = first_and_last(utterance)
    if words is None:
        return "the utterance has no words"
    first, last = words
    if not begins_with(first, letter):
        return f"the first word {first!r} does not begin with {letter.upper()}"
    if not begins_with(last, letter):
        return f"the last word {last!r} does not begin with {letter.upper()}"
    return None

"""hellogame's rules as plain functions: the move rule (the `GREET:` tag) and the game rule
(the greeting says hello, welcome and the guest's name)."""

from __future__ import annotations

import string

GREET = "GREET:"

# The words a greeting must contain, in the language it was asked for.
REQUIRED_WORDS: dict[str, tuple[str, ...]] = {
    "en": ("hello", "welcome"),
    "de": ("hallo", "willkommen"),
}

# Punctuation becomes a space, so "Hello,Ted!" still holds the words "hello" and "ted".
_NO_PUNCTUATION = str.maketrans({c: " " for c in string.punctuation + "¡¿«»„“”‘’…–—"})


def parse_greeting(raw: str) -> tuple[str, str | None]:
    """The greeting after its tag (its first line: a small model tends to go on with the
    guest's lines), and the move rule it broke (None if none)."""
    text = raw.strip()
    if not text.startswith(GREET):
        return text, f"the answer does not start with {GREET}"
    return text[len(GREET) :].strip().split("\n", 1)[0].strip(), None


def words(text: str) -> list[str]:
    """The words of a text, lower-cased, without punctuation."""
    return text.lower().translate(_NO_PUNCTUATION).split()


def missing_words(greeting: str, name: str, language: str) -> list[str]:
    """What the greeting fails to say of the required words and the guest's name."""
    said = words(greeting)
    missing = [word for word in REQUIRED_WORDS[language] if word not in said]
    if not _says(said, words(name)):
        missing.append(name)
    return missing


def _says(said: list[str], name: list[str]) -> bool:
    """Whether the name's words come one after the other in what was said (not as part of
    a longer word: "Ted" is not in "united")."""
    size = len(name)
    return size > 0 and any(said[i : i + size] == name for i in range(len(said) - size + 1))

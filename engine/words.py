"""How counts and messages read: "1 round", "2 rounds"; a message shown alone as a sentence."""

from __future__ import annotations


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """`count` and the noun that agrees with it: plural(1, "entry", "entries") == "1 entry"."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"


def sentence(message: str) -> str:
    """A message shown on its own line, as a sentence: capital first letter, closing stop.

    Errors are written as clauses ("there is no saved game 4") so they can be joined into
    other messages; where one is shown alone it becomes "There is no saved game 4.".
    """
    message = message.strip()
    if not message:
        return message
    message = message[0].upper() + message[1:]
    return message if message[-1] in ".!?" else message + "."

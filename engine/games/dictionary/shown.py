"""The part of a player's dictionary that a prompt shows.

The listing sits in the move's own ask, after the history, so a change in it never costs the
history a player has cached; but every entry listed is evaluated again at every move, so a
listing that grows with the dictionary makes each move dearer as the game goes on. Measured
on SmolLM2-135M: 16 tokens an entry, 14 more for a word heard (on its own line as well), an
update prompt of 142 tokens on an empty dictionary and 312 with six entries. So the whole
dictionary is shown while it fits a token budget, and beyond it the entries that matter for
this move: those of the words heard, then the most recently changed and the least certain,
in turn.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from ...core.memory import estimate_tokens
from .dictionary import Dictionary, DictionaryEntry, normalize

# What the listing may cost, in estimated tokens: a grounded game on the default 12 concepts
# never holds more than 12 entries (each word heard names one of the partner's 12 things),
# 140-170 estimated tokens, so such a game is always shown its whole dictionary.
SHOWN_TOKENS = 180
# Free talk's update shows the words heard on a line of their own, and the other entries
# within this: four or five lines. Its update prompt then evaluates 230-310 tokens with 100
# entries at any round, against 140-170 with the two or three of round 2 (bench/long_cost.py).
FREE_TALK_TOKENS = 64


def entry_line(entry: DictionaryEntry) -> str:
    """An entry as the update prompts (update.j2, scene_update.j2) list it."""
    return f"- {entry.foreign} = {entry.meaning} (confidence {entry.confidence:.1f})"


def shown_entries(
    dictionary: Dictionary, heard: Iterable[DictionaryEntry], budget: int = SHOWN_TOKENS
) -> list[DictionaryEntry]:
    """The entries a prompt lists, in the dictionary's own order (so an entry keeps its place
    from one move to the next). The entries of the words heard are always shown: a message
    has only a few words, and they are what the move is about."""
    entries = list(dictionary)
    cost = {normalize(e.foreign): estimate_tokens(entry_line(e)) for e in entries}
    if sum(cost.values()) <= budget:
        return entries
    chosen = {normalize(e.foreign) for e in heard} & cost.keys()
    spent = sum(cost[key] for key in chosen)
    # Newest first among equals: what was written last is likelier to be about this talk.
    newest = list(reversed(entries))
    recent = sorted(newest, key=lambda e: -e.updated_round)
    uncertain = sorted(newest, key=lambda e: (e.confidence, -e.updated_round))
    for entry in _in_turn(recent, uncertain):
        key = normalize(entry.foreign)
        if key in chosen:
            continue
        if spent + cost[key] > budget:
            break
        chosen.add(key)
        spent += cost[key]
    return [e for e in entries if normalize(e.foreign) in chosen]


def _in_turn(
    first: list[DictionaryEntry], second: list[DictionaryEntry]
) -> Iterator[DictionaryEntry]:
    for pair in zip(first, second):
        yield from pair

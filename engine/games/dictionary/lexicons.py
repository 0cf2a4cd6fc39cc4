"""Invented languages: each player's own pronounceable pseudo-word for every concept of the
game, made from a seed. Nothing of a real language helps a listener here: what it knows of
the partner's words, it learned in the game.
"""

from __future__ import annotations

import random
import re

from .concepts import LANGUAGES, concept_bank, ground_form

# Open syllables of common consonants and the five plain vowels, with a final consonant now
# and then: every word can be read aloud in any of the bank's languages.
CONSONANTS = "bdfgklmnprstvz"
VOWELS = "aeiou"
FINALS = "nrsl"
PRONOUNCEABLE = re.compile(rf"^(?:[{CONSONANTS}][{VOWELS}]){{2,3}}[{FINALS}]?$")


def _pseudo_word(rng: random.Random) -> str:
    syllables = rng.choice((2, 2, 3))
    word = "".join(rng.choice(CONSONANTS) + rng.choice(VOWELS) for _ in range(syllables))
    return word + (rng.choice(FINALS) if rng.random() < 0.3 else "")


def _real_words() -> set[str]:
    bank = concept_bank()
    return {ground_form(c.label(code)) for c in bank.concepts for code in LANGUAGES}


def invent_lexicons(count: int, seed: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Two lexicons of `count` words each, one per player, aligned with the game's concepts:
    all words distinct across both, and none a label of the concept bank."""
    rng = random.Random(f"lexicons-{seed}")
    taken = _real_words()
    lexicons: list[tuple[str, ...]] = []
    for _ in range(2):
        words: list[str] = []
        while len(words) < count:
            word = _pseudo_word(rng)
            if word not in taken:
                taken.add(word)
                words.append(word)
        lexicons.append(tuple(words))
    return lexicons[0], lexicons[1]

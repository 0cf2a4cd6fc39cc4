"""The normal form words are compared in, by the common dictionary and by the ground truth
alike: "entiendo" and "Entender" meet, and so do "to understand" and "understand".

A word is trimmed of punctuation, of a leading article of its language (and English's
infinitive "to"), then each word is brought to its lemma by simplemma (offline, maintained,
all six bank languages) before case folding: lemmatizers read German nouns by their
capital. A word that is a label of the concept bank is its own lemma, so no label is moved
onto another ("vaca" stays a cow, "Wein" does not become "weinen"). Measured on the bank's
labels and their inflected forms by `python -m bench.lemmatizers`; see that module for the
figures against no lemmatizer, lemmagen3 and the Snowball stemmer.

A language the bank does not know (an invented one) is compared trimmed and case-folded only.
"""

from __future__ import annotations

import functools
import unicodedata
from typing import TYPE_CHECKING

from .concepts import ARTICLES, LANGUAGES, concept_bank

if TYPE_CHECKING:
    from simplemma import Lemmatizer

PUNCTUATION = " .,;:!?¡¿\"'«»“”()[]*-…"
# A leading word that is not part of the word compared, per language: articles, and the
# English infinitive's "to".
_LEADING = {code: (*ARTICLES.get(code, ()), *(("to",) if code == "en" else ())) for code in LANGUAGES}


def words_of(text: str, code: str | None) -> list[str]:
    """The words compared, with their case: punctuation and a leading article (or "to")
    trimmed, if the language (`code`, the bank's) has them and a word is left."""
    text = unicodedata.normalize("NFC", text).replace("’", "'")
    text = " ".join(text.split()).strip(PUNCTUATION)
    for lead in sorted(_LEADING.get(code or "", ()), key=len, reverse=True):
        head = text[: len(lead)].casefold()
        if lead.endswith("'") and head == lead and len(text) > len(lead):
            text = text[len(lead):]
            break
        if head == lead and text[len(lead): len(lead) + 1] == " ":
            text = text[len(lead) + 1:]
            break
    return [word for word in (w.strip(PUNCTUATION) for w in text.split()) if word]


@functools.lru_cache(maxsize=8192)
def normal_form(text: str, code: str | None) -> str:
    """The form two words are compared in: each word's lemma, case-folded (see the module)."""
    words = words_of(text, code)
    if code not in LANGUAGES:
        return " ".join(words).casefold()
    labels = _labels(code)
    whole = " ".join(words).casefold()
    if whole in labels:
        return whole
    return " ".join(_lemma(word, code) for word in words)


def _lemma(word: str, code: str) -> str:
    folded = word.casefold()
    if folded in _labels(code):
        return folded
    return str(_lemmatizer().lemmatize(word, lang=code)).casefold()


@functools.cache
def _lemmatizer() -> "Lemmatizer":
    """simplemma reading its dictionaries as streams: the same lemmas as its default (all
    10,872 words of the bank's labels, the short messages and their inflections), about 13 MiB
    for English and Spanish instead of the 117 its default dictionaries take (issue 25)."""
    from simplemma import Lemmatizer
    from simplemma.strategies import DefaultStrategy
    from simplemma.strategies.dictionaries.stream_dictionary_factory import (
        StreamDictionaryFactory,
    )

    return Lemmatizer(
        lemmatization_strategy=DefaultStrategy(dictionary_factory=StreamDictionaryFactory())
    )


@functools.cache
def _labels(code: str) -> frozenset[str]:
    """The bank's labels of a language, as compared (trimmed, case-folded)."""
    return frozenset(" ".join(words_of(c.label(code), code)).casefold() for c in concept_bank().concepts)

"""The concept bank: things, colours, numbers, verbs and adjectives, each with its label in
every language the bank knows. Grounded games draw their scenes from it, and it is the
ground truth a dictionary entry is judged against.

The bank is data (`data/concepts.tsv`), so a label can be fixed or a language added without
touching code.
"""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources

# The languages of the bank, by the code its columns use.
LANGUAGES = {
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "de": "German",
    "it": "Italian",
    "pt": "Portuguese",
}
# What a person may type for a language: its English name, its own name, its code.
_NAMES = {
    "en": ("english", "inglés", "anglais", "englisch", "inglese", "inglês"),
    "es": ("spanish", "español", "espanol", "castellano", "espagnol", "spanisch", "spagnolo"),
    "fr": ("french", "français", "francais", "francés", "französisch", "francese"),
    "de": ("german", "deutsch", "alemán", "allemand", "tedesco", "alemão"),
    "it": ("italian", "italiano", "italien", "italienisch"),
    "pt": ("portuguese", "português", "portugues", "portugués", "portugais", "portugiesisch",
           "portoghese"),
}
# Leading articles a player may write before a word ("el perro"); judged without them.
ARTICLES = {
    "en": ("the", "a", "an"),
    "es": ("el", "la", "los", "las", "un", "una", "unos", "unas"),
    "fr": ("le", "la", "les", "l'", "un", "une", "des", "du"),
    "de": ("der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "einer"),
    "it": ("il", "lo", "la", "i", "gli", "le", "l'", "un", "uno", "una", "un'"),
    "pt": ("o", "a", "os", "as", "um", "uma", "uns", "umas"),
}


@dataclass(frozen=True)
class Concept:
    id: str
    kind: str
    # Label per language code.
    labels: dict[str, str]

    def label(self, code: str) -> str:
        return self.labels[code]


def language_code(name: str) -> str | None:
    """The bank's code for a language name, case-insensitively; None if the bank lacks it."""
    wanted = unicodedata.normalize("NFC", " ".join(name.split())).casefold()
    for code, names in _NAMES.items():
        if wanted == code or wanted in names:
            return code
    return None


def known_languages() -> str:
    return ", ".join(LANGUAGES.values())


def ground_form(text: str, code: str | None = None) -> str:
    """The form a word is judged in: case-folded, trimmed of punctuation, without a leading
    article of the language (`code`; None: no article is dropped)."""
    folded = unicodedata.normalize("NFC", text).casefold().replace("’", "'")
    folded = " ".join(folded.split()).strip(" .,;:!?¡¿\"'«»“”()[]*-")
    if code is None:
        return folded
    for article in sorted(ARTICLES.get(code, ()), key=len, reverse=True):
        if article.endswith("'") and folded.startswith(article) and len(folded) > len(article):
            return folded[len(article):].strip()
        if folded.startswith(article + " ") and len(folded) > len(article) + 1:
            return folded[len(article) + 1:].strip()
    return folded


class ConceptBank:
    """The concepts in file order, and each language's labels back to their concept."""

    def __init__(self, concepts: list[Concept]) -> None:
        self.concepts = tuple(concepts)
        self.by_id = {concept.id: concept for concept in concepts}
        self._by_label: dict[str, dict[str, Concept]] = {
            code: {ground_form(c.label(code), code): c for c in concepts} for code in LANGUAGES
        }

    def __len__(self) -> int:
        return len(self.concepts)

    def concept_of(self, word: str, code: str) -> Concept | None:
        """The concept a word of this language names, if the bank has it."""
        return self._by_label[code].get(ground_form(word, code))


_WORD = re.compile(r"^[^\W\d_]+(?:[-'][^\W\d_]+)*$")


def _read_bank() -> list[Concept]:
    text = resources.files(__package__).joinpath("data/concepts.tsv").read_text("utf-8")
    rows = list(csv.DictReader(text.splitlines(), delimiter="\t"))
    return [
        Concept(
            id=row["id"],
            kind=row["kind"],
            labels={code: unicodedata.normalize("NFC", row[code].strip()) for code in LANGUAGES},
        )
        for row in rows
    ]


@functools.cache
def concept_bank() -> ConceptBank:
    return ConceptBank(_read_bank())


def is_word(label: str) -> bool:
    """A label is one word (hyphens and apostrophes inside allowed), no digits or spaces."""
    return bool(_WORD.match(label))

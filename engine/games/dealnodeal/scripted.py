"""A scripted negotiator for the scripted backend (tests and demos without a model): it reads
its items and values from its rules, states a split, agrees to its partner's, and proposes
what was agreed, so two of them make a valid deal through the real prompts."""

from __future__ import annotations

import json
import re

from ...backend import GenerationRequest
from .items import ITEMS, Counts, Values, complement, describe, points

_ITEMS = re.compile(r"divide (\d+) books?, (\d+) hats? and (\d+) balls?")
_VALUES = re.compile(r"a book is worth (\d+), a hat is worth (\d+) and a ball is worth (\d+)")
_SPLIT = re.compile(r"I take \((\d+) books?, (\d+) hats?, (\d+) balls?\)")
AGREED = "Agreed"


def is_deal_prompt(request: GenerationRequest) -> bool:
    return bool(request.messages) and _VALUES.search(request.messages[0].content) is not None


def _three(match: re.Match[str]) -> tuple[int, int, int]:
    a, b, c = (int(n) for n in match.groups())
    return a, b, c


def wanted(counts: Counts, values: Values) -> Counts:
    """The items worth most to this player, one at a time, until it has at least half its
    total; the rest is left to the partner."""
    take = [0, 0, 0]
    order = sorted(range(3), key=lambda i: -values[i])
    for i in order:
        while take[i] < counts[i] and points(values, (take[0], take[1], take[2])) < 5:
            take[i] += 1
    return take[0], take[1], take[2]


def negotiator(request: GenerationRequest) -> str:
    system = request.messages[0].content
    counts_match, values_match = _ITEMS.search(system), _VALUES.search(system)
    assert counts_match and values_match, "not a Deal or No Deal prompt"
    counts, values = _three(counts_match), _three(values_match)
    heard = " ".join(m.content for m in request.messages[1:] if m.role == "user")
    said = " ".join(m.content for m in request.messages[1:] if m.role == "assistant")
    mine, theirs = _SPLIT.search(said), _SPLIT.search(heard)
    schema = request.json_schema or {}
    if schema.get("type") == "object":
        if mine:
            take = _three(mine)
        elif theirs:
            take = complement(counts, _three(theirs))
        else:
            take = wanted(counts, values)
        return json.dumps(dict(zip(ITEMS, take, strict=True)))
    reply = _reply(counts, values, heard, said)
    # Guided replies come back as a JSON string.
    return json.dumps(reply) if schema.get("type") == "string" else reply


def _reply(counts: Counts, values: Values, heard: str, said: str) -> str:
    mine, theirs = _SPLIT.search(said), _SPLIT.search(heard)
    if theirs and AGREED not in said:
        return f"[message] {AGREED}: you take {describe(_three(theirs))}, I take the rest."
    if mine and AGREED in heard:
        return "[propose]"
    if not mine and not theirs:
        return f"[message] I take {describe(wanted(counts, values))} and you take the rest."
    return "[message] Shall we propose?"

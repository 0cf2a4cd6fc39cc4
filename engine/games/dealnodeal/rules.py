"""Deal or No Deal's move rules as plain functions: a reply is `[message] <text>` or
`[propose]`; a proposal is what the proposer takes, asked under a JSON schema so that a model's
answer always parses, and read leniently from a person ("1 2 0", "(1 books, 2 hats, 0 balls)")."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from .items import ITEMS, Counts

MESSAGE, PROPOSE = "[message]", "[propose]"
# What ends a reply early: a model going on with the next turn, or the original's end mark.
_CUT = re.compile(r"\[(message|propose|end)\]", re.IGNORECASE)


@dataclass(frozen=True)
class Reply:
    kind: Literal["message", "propose"]
    text: str = ""

    @property
    def said(self) -> str:
        """The reply as the players see it."""
        return f"{MESSAGE} {self.text}" if self.kind == "message" else PROPOSE


def reply_schema(may_propose: bool) -> dict[str, Any]:
    """Guided replies: the reply as a JSON string whose tag is fixed by the schema."""
    message = r'\[message\] [^"\\\n]+'
    pattern = f"^({message}|\\[propose\\])$" if may_propose else f"^{message}$"
    return {"type": "string", "pattern": pattern}


def _unquoted(text: str) -> str:
    """A reply given as a JSON string (guided replies), read as plain text; a string cut
    short by the token limit still says what it says."""
    if not text.startswith('"'):
        return text
    try:
        value = json.loads(text)
    except ValueError:
        return text.strip('"')
    return value if isinstance(value, str) else text


def parse_reply(raw: str, may_propose: bool) -> tuple[Reply | None, str | None]:
    """A message or the wish to propose, and the move rule it broke (None if none)."""
    text = _unquoted(raw.strip()).strip()
    lowered = text.lower()
    if lowered.startswith(PROPOSE):
        if not may_propose:
            return None, "discuss how to divide the items before you propose"
        return Reply("propose"), None
    if not lowered.startswith(MESSAGE):
        return None, f"a reply must start with {MESSAGE} or {PROPOSE}"
    body = text[len(MESSAGE) :]
    cut = _CUT.search(body)
    if cut:
        body = body[: cut.start()]
    body = " ".join(body.split())
    if not body:
        return None, f"the message after {MESSAGE} is empty"
    return Reply("message", body), None


def take_schema(counts: Counts) -> dict[str, Any]:
    """The JSON a proposal is generated under: each count from 0 to what there is."""
    return {
        "type": "object",
        "properties": {
            item: {"type": "integer", "enum": list(range(total + 1))}
            for item, total in zip(ITEMS, counts, strict=True)
        },
        "required": list(ITEMS),
        "additionalProperties": False,
    }


def take_json(take: Counts) -> str:
    """A proposal as the schema writes it."""
    return json.dumps(dict(zip(ITEMS, take, strict=True)))


def parse_take(raw: str, counts: Counts) -> tuple[Counts | None, str | None]:
    """The items the proposer takes, and the move rule it broke (None if none)."""
    found: list[int] | None = None
    try:
        data = json.loads(raw)
        if isinstance(data, dict):
            found = [data[item] for item in ITEMS]
    except (ValueError, KeyError):
        pass
    if found is None:
        numbers = re.findall(r"-?\d+", raw)
        if len(numbers) != 3:
            return None, "a proposal needs three counts: books, hats and balls"
        found = [int(n) for n in numbers]
    if any(not isinstance(n, int) or isinstance(n, bool) for n in found):
        return None, "a proposal's counts must be whole numbers"
    a, b, c = found
    for item, n, total in zip(ITEMS, (a, b, c), counts, strict=True):
        if not 0 <= n <= total:
            return None, f"you can take 0 to {total} {item if total != 1 else item[:-1]}, not {n}"
    return (a, b, c), None

"""Deal or No Deal's own key: on a person's reply, a proposal instead of a message. The id is
the one people remap (`[ui] keys`)."""

from __future__ import annotations

from ...services.keys import ALWAYS, Key

KEYS: tuple[Key, ...] = (
    Key("person.propose", "ctrl+t", "propose", "Propose",
        "your turn in Deal or No Deal: propose a division now instead of a message", ALWAYS),
)

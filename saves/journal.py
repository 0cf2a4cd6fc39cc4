"""The journal of a game: who sent what to whom, and what the game master made of it.

These are the rows of the `events` table, derived from a move's record or a user's edit and
appended in order (`append_events`, inside the store's transaction of that change). They are
for reading and exporting; a game is restored from its moves and history, never from the
journal.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from sqlite_utils import Database

from ..engine.core.records import MoveRecord

GAME_MASTER = "game master"


@dataclass(frozen=True)
class Event:
    kind: str
    data: dict[str, Any]
    move_index: int | None = None
    seat: int | None = None


def operation_data(operation: Any) -> dict[str, Any]:
    return {
        "kind": operation.kind.value,
        "foreign": operation.foreign,
        "meaning": operation.meaning,
        "confidence": operation.confidence,
    }


def move_events(record: MoveRecord) -> list[Event]:
    """A move as the exchange it was: each request, each raw answer, each change, the message."""
    seat, move = record.seat, record.move_index
    events: list[Event] = []
    for number, attempt in enumerate(record.attempts):
        events.append(
            Event(
                "game_master_asked",
                {
                    "from": GAME_MASTER,
                    "to": seat,
                    "step": attempt.step,
                    "attempt": number,
                    "text": attempt.instruction,
                },
                move,
                seat,
            )
        )
        events.append(
            Event(
                "player_answered",
                {
                    "from": seat,
                    "to": GAME_MASTER,
                    "step": attempt.step,
                    "attempt": number,
                    "text": attempt.raw_output,
                    "violation": attempt.violation,
                    "finish_reason": attempt.finish_reason,
                    "prompt_tokens": attempt.prompt_tokens,
                    "cached_tokens": attempt.cached_tokens,
                    "completion_tokens": attempt.completion_tokens,
                    "seconds": attempt.seconds,
                },
                move,
                seat,
            )
        )
    # Dictionary Discovery's moves also change a dictionary: journaled as they happened.
    for applied in getattr(record, "applied", ()):
        events.append(Event("operation_applied", applied_data(applied), move, seat))
    for rejected in getattr(record, "rejected", ()):
        events.append(
            Event(
                "operation_rejected",
                {**operation_data(rejected.operation), "reason": rejected.reason},
                move,
                seat,
            )
        )
    events.append(
        Event(
            "message_sent",
            {"from": seat, "to": 1 - seat, "text": record.message, "violated": record.violated},
            move,
            seat,
        )
    )
    return events


def applied_data(applied: Any) -> dict[str, Any]:
    return {
        "owner": applied.owner,
        "source": applied.source.value,
        "round": applied.round,
        "after_move": applied.after_move,
        **operation_data(applied.operation),
    }


def edit_event(edit: BaseModel) -> Event:
    return Event("user_edited", edit.model_dump(mode="json"), None, getattr(edit, "owner", None))


def status_event(previous: str, status: str) -> Event:
    return Event("status_changed", {"from": previous, "to": status})


def next_seq(db: Database, table: str, game_id: int) -> int:
    """The next number in a game's ordered rows of `table` (events, edits)."""
    rows = db.execute(f"select coalesce(max(seq) + 1, 0) from {table} where game_id = ?", [game_id])
    return int(rows.fetchone()[0])


def append_events(db: Database, game_id: int, events: Iterable[Event], at: str) -> None:
    seq = next_seq(db, "events", game_id)
    db.table("events").insert_all(
        {
            "game_id": game_id,
            "seq": seq + offset,
            "at": at,
            "move_index": event.move_index,
            "seat": event.seat,
            "kind": event.kind,
            "data": json.dumps(event.data, ensure_ascii=False),
        }
        for offset, event in enumerate(events)
    )

"""Who plays each seat as a person, and what a person must not see before they answer.

Deal or No Deal's proposals stay hidden until both are in: a model's proposal is not shown
to the person in the other seat (not streamed, not in the panes) until the game is over.
Watching two models, nothing is hidden.
"""

from __future__ import annotations

from typing import Any

from ...engine.core.records import MoveRecord
from ...engine.games import game_of

# Steps whose answer the partner must not read before giving their own.
PRIVATE_STEPS = frozenset({"take"})


def people(settings: Any) -> tuple[bool, bool]:
    """Which seats a person plays."""
    first, second = (bool(getattr(player, "human", False)) for player in settings.players)
    return first, second


def private_step(settings: Any, seat: int, step: str) -> bool:
    """A model's answer that the person in the other seat must not see yet."""
    playing = people(settings)
    return step in PRIVATE_STEPS and playing[1 - seat] and not playing[seat]


def hidden_move(state: Any, record: MoveRecord) -> bool:
    """A committed move shown only as 'a private proposal' until the game is over."""
    private = any(private_step(state.settings, record.seat, a.step) for a in record.attempts)
    return private and not game_of(state).outcome(state).over

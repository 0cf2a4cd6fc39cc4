"""Where a game screen stands (loading, playing, stopping, paused...), and which of the
person's actions each mode allows: True shown and enabled, None shown dimmed, False hidden."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from ...engine.backend import CancelToken, GenerationRequest
from ...engine.core.events import GameEvent


class Mode(StrEnum):
    LOADING = "loading models"
    PLAYING = "playing"
    STEPPING = "playing one move"
    # Paused or leaving, until the worker has dropped the move it was writing.
    STOPPING = "stopping…"
    PAUSED = "paused"
    FINISHED = "finished"
    READ_ONLY = "read-only"


@dataclass(frozen=True)
class PlayEnded:
    """The worker's last notice: why it stopped. `token` tells a stale run from the current."""

    token: CancelToken
    reason: Literal["cancelled", "stepped", "finished", "failed"]
    error: str | None = None


@dataclass(frozen=True)
class PersonAsked:
    """The game master asks the person in `seat` (told by their `HumanSession`, from the
    worker): the screen shows where they answer."""

    seat: int
    request: GenerationRequest


Notice = GameEvent | PlayEnded | PersonAsked

EDITS = ("edit_entry", "add_entry", "remove_entry")
RUNNING = (Mode.PLAYING, Mode.STEPPING)


def allowed(
    action: str, mode: Mode, play_when_seated: bool, editable: bool, game_id: int | None,
    views: bool = False, sides: bool = False,
) -> bool | None:
    """Whether the game screen offers `action` now (Textual's `check_action`)."""
    loading = mode is Mode.LOADING
    if action == "pause":
        return mode in RUNNING or (loading and play_when_seated)
    if action == "resume":
        if mode is Mode.STOPPING:
            return None
        return mode is Mode.PAUSED or (loading and not play_when_seated)
    if action == "step":
        if mode in (Mode.FINISHED, Mode.READ_ONLY):
            return False
        return True if mode is Mode.PAUSED else None
    if action == "next_view":
        return views
    if action == "next_side":
        return sides
    if action == "toggle_truth":
        return editable
    if action in EDITS:
        if not editable:
            return False
        # A new game has no save to hold an edit until its players are seated.
        return None if mode is Mode.READ_ONLY or game_id is None else True
    if action == "export":
        return None if game_id is None else True
    return True

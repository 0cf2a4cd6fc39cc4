"""The state of one game: settings, messages, both dictionaries and their history.

The state changes in two ways only: a completed move is applied, or the user edits a
dictionary. Both happen under one lock, because the UI edits while a worker thread plays.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from .dictionary import (
    AppliedOperation,
    Dictionary,
    Operation,
    Source,
    check_operation,
    common_pairs,
    replay,
)
from .records import MoveRecord
from .settings import GameSettings


class GameStatus(StrEnum):
    PLAYING = "playing"
    FINISHED = "finished"
    ABORTED = "aborted"


@dataclass(frozen=True)
class Message:
    move_index: int
    round: int
    seat: int
    text: str


class InvalidEdit(ValueError):
    """A user's edit the game master refuses (empty word, confidence out of range...)."""


class GameState:
    def __init__(self, settings: GameSettings) -> None:
        self.settings = settings
        self.dictionaries: tuple[Dictionary, Dictionary] = (Dictionary(), Dictionary())
        self.history: list[AppliedOperation] = []
        self.moves: list[MoveRecord] = []
        self.aborted = False
        self.lock = threading.RLock()

    @classmethod
    def restore(
        cls,
        settings: GameSettings,
        moves: Iterable[MoveRecord],
        history: Iterable[AppliedOperation],
        aborted: bool = False,
    ) -> GameState:
        """Rebuild a saved game: dictionaries are the replay of the stored history."""
        state = cls(settings)
        state.moves = sorted(moves, key=lambda m: m.move_index)
        if [m.move_index for m in state.moves] != list(range(len(state.moves))):
            raise ValueError("the stored moves are not contiguous")
        state.history = list(history)
        state.dictionaries = (replay(state.history, 0), replay(state.history, 1))
        state.aborted = aborted
        return state

    # -- where the game stands ---------------------------------------------------

    @property
    def moves_played(self) -> int:
        return len(self.moves)

    @property
    def next_seat(self) -> int:
        return self.moves_played % 2

    @property
    def current_round(self) -> int:
        """The round the next move belongs to (the last round once finished)."""
        return min(self.moves_played // 2 + 1, self.settings.rounds)

    @property
    def rounds_played(self) -> int:
        return self.moves_played // 2

    @property
    def messages(self) -> list[Message]:
        return [Message(m.move_index, m.round, m.seat, m.message) for m in self.moves]

    @property
    def common(self) -> set[tuple[str, str]]:
        return common_pairs(*self.dictionaries)

    @property
    def status(self) -> GameStatus:
        if self.aborted:
            return GameStatus.ABORTED
        if self.moves_played >= self.settings.total_moves:
            return GameStatus.FINISHED
        target = self.settings.target_common
        if target and len(self.common) >= target:
            return GameStatus.FINISHED
        return GameStatus.PLAYING

    def said_by(self, seat: int) -> str:
        """Everything one player has said, which the partner's `add`s must quote."""
        return "\n".join(m.message for m in self.moves if m.seat == seat)

    # -- the two ways the state changes --------------------------------------------

    def apply_move(self, record: MoveRecord) -> None:
        with self.lock:
            if record.move_index != self.moves_played:
                raise ValueError(
                    f"move {record.move_index} applied after {self.moves_played} moves"
                )
            dictionary = self.dictionaries[record.seat]
            for applied in record.applied:
                dictionary.apply(applied.operation, applied.source, applied.round)
                self.history.append(applied)
            self.moves.append(record)
            if record.violated and self.settings.on_violation == "abort":
                self.aborted = True

    def edit(self, owner: int, operation: Operation) -> AppliedOperation:
        """Apply the user's change to a player's dictionary; the player sees it next move."""
        with self.lock:
            dictionary = self.dictionaries[owner]
            reason = check_operation(operation, dictionary, partner_text=None)
            if reason:
                raise InvalidEdit(reason)
            applied = AppliedOperation(
                owner=owner,
                operation=operation,
                source=Source.USER,
                round=self.current_round,
                after_move=self.moves_played,
            )
            dictionary.apply(operation, Source.USER, applied.round)
            self.history.append(applied)
            return applied

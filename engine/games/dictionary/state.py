"""The state of one Dictionary Discovery game: settings, messages, both dictionaries and their
history.

The state changes in two ways only: a completed move is applied, or the person edits a
dictionary. Both happen under the state's lock, because the UI edits while a worker plays.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import cast

from ...core.game import EpisodeState, GameStatus
from ...core.records import Message, messages_of
from .dictionary import (
    AppliedOperation,
    Dictionary,
    Operation,
    Source,
    check_operation,
    common_pairs,
    replay,
)
from .memory import new_streams, observe_edit, observe_move
from .records import MoveRecord
from .scenes import language_codes
from .settings import GameSettings

__all__ = ["GameState", "GameStatus", "InvalidEdit", "Message"]


class InvalidEdit(ValueError):
    """A person's edit the game master refuses (empty word, confidence out of range...)."""


class GameState(EpisodeState[GameSettings]):
    game_name = "dictionary"

    def __init__(self, settings: GameSettings) -> None:
        super().__init__(settings)
        self.dictionaries: tuple[Dictionary, Dictionary] = (Dictionary(), Dictionary())
        self.history: list[AppliedOperation] = []
        # Each player's memory stream, where the settings turn memory on.
        self.memories = new_streams(settings)

    @property
    def records(self) -> list[MoveRecord]:
        return cast(list[MoveRecord], self.moves)

    @classmethod
    def restore(
        cls,
        settings: GameSettings,
        moves: Iterable[MoveRecord],
        edits: Iterable[AppliedOperation] = (),
    ) -> GameState:
        """Rebuild a saved game: its moves, and the person's edits between them, replayed."""
        state = cls(settings)
        edits = list(edits)
        state.moves = sorted(moves, key=lambda m: m.move_index)
        state.check_contiguous()
        # The order things happened in: the person's edits made after `after_move` moves
        # come before the operations of the move that completed next.
        steps: list[tuple[int, int, int, AppliedOperation]] = []
        for number, applied in enumerate(edits):
            steps.append((applied.after_move, 0, number, applied))
        for move in state.records:
            for number, applied in enumerate(move.applied):
                steps.append((applied.after_move, 1, number, applied))
        state.history = [applied for *_, applied in sorted(steps, key=lambda s: s[:3])]
        state.dictionaries = (replay(state.history, 0), replay(state.history, 1))
        if state.memories is not None:
            state._remember(edits)
        return state

    def _remember(self, edits: Iterable[AppliedOperation]) -> None:
        """Rebuild the memory streams in the order things happened: the person's edits made
        after `after_move` moves come before the move that completed next."""
        assert self.memories is not None
        pending = sorted(edits, key=lambda e: e.after_move)
        for move in self.records:
            while pending and pending[0].after_move <= move.move_index:
                observe_edit(self.memories, pending.pop(0))
            observe_move(self.memories, self.settings, move)
        for edit in pending:
            observe_edit(self.memories, edit)

    # -- where the game stands ---------------------------------------------------

    @property
    def next_seat(self) -> int:
        return self.moves_played % 2

    @property
    def current_round(self) -> int:
        """The round the next move belongs to (the last round once finished). Grounded: move
        0 opens round 1, and move k decides round k."""
        if self.settings.grounded:
            return min(max(self.moves_played, 1), self.settings.rounds)
        return min(self.moves_played // 2 + 1, self.settings.rounds)

    @property
    def rounds_played(self) -> int:
        if self.settings.grounded:
            return max(self.moves_played - 1, 0)
        return self.moves_played // 2

    @property
    def messages(self) -> list[Message]:
        return messages_of(self.moves)

    @property
    def common(self) -> set[tuple[str, str]]:
        return common_pairs(*self.dictionaries, language_codes(self.settings))

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
            if self.memories is not None:
                observe_move(self.memories, self.settings, record)
            if record.violated and self.settings.on_violation == "abort":
                self.aborted = "a move rule was broken after every re-prompt"

    def edit(self, owner: int, operation: Operation) -> AppliedOperation:
        """Apply the person's change to a player's dictionary; the player sees it next move."""
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
            if self.memories is not None:
                observe_edit(self.memories, applied)
            return applied

    @property
    def edits(self) -> list[AppliedOperation]:
        return [a for a in self.history if a.source is Source.USER]

"""THE loop: every caller (the headless command, the TUI's worker, the benchmarks, batch runs)
plays a game through `GameMaster.play_next_move` and `play`; they differ only in who listens
to the events and where moves are saved.

A move is computed from the game's `Turn` and the referee's answers, and applied to the state
only once complete, so a cancelled move leaves nothing behind.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, Literal, Protocol

from ..backend import CancelToken, GenerationCancelled, PlayerSession
from .events import EventCallback, MoveFinished, MoveStarted
from .game import Ask, EpisodeState, Game, Outcome, Turn
from .records import MoveRecord
from .referee import Referee
from .registry import game_of


class GameOver(Exception):
    """`play_next_move` was called on a game that has ended."""


class GameMaster:
    """Plays one episode of a game, a move at a time, over its state."""

    def __init__(
        self,
        state: EpisodeState[Any],
        sessions: Sequence[PlayerSession | None],
        game: Game[Any] | None = None,
    ) -> None:
        self.game: Game[Any] = game or game_of(state)
        self.state = state
        seats = tuple(
            None if kind == "programmatic" else sessions[seat]
            for seat, kind in enumerate(self.game.seats)
        )
        self.referee = Referee(state.settings, (seats[0], seats[1]), self._programmatic)
        self._last_turn: dict[int, Turn] = {}

    @property
    def outcome(self) -> Outcome:
        with self.state.lock:
            return self.game.outcome(self.state)

    @property
    def over(self) -> bool:
        return self.outcome.over

    def play_next_move(
        self, on_event: EventCallback | None = None, cancel: CancelToken | None = None
    ) -> MoveRecord:
        """Play one move to its end and apply it; on cancellation the state is untouched."""
        emit = on_event or (lambda event: None)
        cancel = cancel or CancelToken()
        with self.state.lock:
            outcome = self.game.outcome(self.state)
            turn = None if outcome.over else self.game.next_turn(self.state)
            move_index = self.state.moves_played
        if turn is None:
            raise GameOver(f"the game is {outcome.status.value}")
        self._last_turn[turn.seat] = turn
        started_at = time.time()
        emit(MoveStarted(move_index, turn.round, turn.seat))
        answers = self.referee.play(turn, move_index, emit, cancel)
        cancel.raise_if_cancelled()
        with self.state.lock:
            if self.state.moves_played != move_index:
                raise RuntimeError(f"move {move_index} was played twice")
            record, notices = self.game.apply(self.state, turn, answers, started_at)
        for notice in notices:
            emit(notice)
        emit(MoveFinished(record))
        return record

    def conversation(self, seat: int) -> tuple[Any, ...]:
        """What the player was shown before its latest ask (empty before its first turn)."""
        turn = self._last_turn.get(seat)
        return self.referee.conversation(turn) if turn is not None else ()

    def _programmatic(self, seat: int, ask: Ask) -> str:
        if self.game.programmatic is None:
            raise ValueError(f"{self.game.name} has no programmatic player")
        return self.game.programmatic(self.state, seat, ask)


class Saver(Protocol):
    """Where the loop keeps what happens: the store, or nothing at all (benchmarks)."""

    def save_move(self, state: Any, record: MoveRecord) -> None: ...

    def save_outcome(self, state: Any, outcome: Outcome) -> None: ...

    def save_error(self, state: Any, error: BaseException) -> None: ...


class NoSaver:
    """Keeps nothing: for benchmarks and throwaway games."""

    def save_move(self, state: Any, record: MoveRecord) -> None:
        """Nothing to keep."""

    def save_outcome(self, state: Any, outcome: Outcome) -> None:
        """Nothing to keep."""

    def save_error(self, state: Any, error: BaseException) -> None:
        """Nothing to keep."""


Stop = Literal["finished", "cancelled", "stepped"]


def play(
    master: GameMaster,
    saver: Saver,
    *,
    on_event: EventCallback | None = None,
    cancel: CancelToken | None = None,
    moves: int | None = None,
) -> Stop:
    """Play move after move, saving each as it completes, until the game ends, `moves` have
    been played, or `cancel` is set. An error is journaled with the saver, then raised."""
    cancel = cancel or CancelToken()
    played = 0
    try:
        while not cancel.cancelled and not master.over:
            if moves is not None and played >= moves:
                return "stepped"
            record = master.play_next_move(on_event=on_event, cancel=cancel)
            saver.save_move(master.state, record)
            played += 1
    except GenerationCancelled:
        return "cancelled"
    except Exception as error:
        saver.save_error(master.state, error)
        raise
    if master.over:
        saver.save_outcome(master.state, master.outcome)
        return "finished"
    return "cancelled"

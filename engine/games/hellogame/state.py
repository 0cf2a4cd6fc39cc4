"""The state of one hellogame episode: the greeting, then the guest's answer.

The state changes in one way only, a completed move applied under the state's lock.
"""

from __future__ import annotations

from ...core.game import EpisodeState
from ...core.records import MoveRecord
from .rules import GREET
from .settings import HelloSettings

# One round: the greeter greets, the guest answers.
TOTAL_MOVES = 2


class HelloState(EpisodeState[HelloSettings]):
    game_name = "hellogame"

    @property
    def greeting(self) -> MoveRecord | None:
        return self.moves[0] if self.moves else None

    def apply_move(self, record: MoveRecord) -> None:
        """Count a move; a greeting that broke the move rule after every re-prompt aborts,
        as in clembench (the guest has nothing to answer)."""
        with self.lock:
            if record.move_index != self.moves_played:
                raise ValueError(f"move {record.move_index} applied after {self.moves_played} moves")
            self.moves.append(record)
            if record.violated:
                self.aborted = f"the greeting did not start with {GREET}"

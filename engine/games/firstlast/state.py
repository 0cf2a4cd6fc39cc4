"""The state of one firstlast episode: the utterances so far, each judged by the rules.

The state changes in one way only, a completed move applied under the state's lock.
"""

from __future__ import annotations

from dataclasses import dataclass

from ...core.game import EpisodeState
from ...core.records import MoveRecord
from .rules import TAG, check_utterance, first_and_last, letter_of
from .settings import FirstLastSettings


@dataclass(frozen=True)
class Verdict:
    """One turn of the letter track: the letter it asked for and what the utterance did."""

    move_index: int
    seat: int
    letter: str
    # The utterance's first and last words ("" before it is played, or if it has none).
    first: str = ""
    last: str = ""
    played: bool = False
    # The game rule the utterance broke, or the move rule for a broken answer.
    broken: str | None = None

    @property
    def correct(self) -> bool:
        return self.played and self.broken is None


class FirstLastState(EpisodeState[FirstLastSettings]):
    game_name = "firstlast"

    @property
    def next_seat(self) -> int:
        return self.moves_played % 2

    @property
    def current_round(self) -> int:
        """A round is player A's utterance and player B's answer."""
        return self.moves_played // 2 + 1

    def letter(self, move_index: int) -> str:
        return letter_of(self.settings.first_letter, move_index)

    def verdict(self, move_index: int) -> Verdict:
        """How the turn went by the rules (a turn not yet played has only its letter)."""
        letter = self.letter(move_index)
        seat = move_index % 2
        if move_index >= self.moves_played:
            return Verdict(move_index, seat, letter)
        move = self.moves[move_index]
        first, last = first_and_last(move.message) or ("", "")
        if move.violated:
            broken: str | None = f"the answer did not start with {TAG}"
        else:
            broken = check_utterance(move.message, letter)
        return Verdict(move_index, seat, letter, first, last, True, broken)

    @property
    def track(self) -> list[Verdict]:
        """Every turn of the episode, played or not."""
        return [self.verdict(i) for i in range(self.settings.turns)]

    def apply_move(self, record: MoveRecord) -> None:
        """Count a move; an utterance without its tag after every re-prompt aborts."""
        with self.lock:
            if record.move_index != self.moves_played:
                raise ValueError(f"move {record.move_index} applied after {self.moves_played} moves")
            self.moves.append(record)
            if record.violated:
                self.aborted = f"{self.settings.players[record.seat].name} did not start with {TAG}"

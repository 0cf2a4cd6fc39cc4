"""The state of one Deal or No Deal episode: the moves, and what follows from them (whose
turn, the proposals, whether the game is over).

The state changes in one way only, a completed move applied under the state's lock.
"""

from __future__ import annotations

from ...core.game import EpisodeState
from .items import Counts, adds_up, points
from .records import DealMoveRecord
from .settings import DealSettings


class DealState(EpisodeState[DealSettings]):
    game_name = "dealnodeal"
    moves: list[DealMoveRecord]  # type: ignore[assignment]

    @property
    def proposals(self) -> dict[int, Counts]:
        """What each player who has proposed takes, by seat."""
        return {m.seat: m.take for m in self.moves if m.kind == "take" and m.take is not None}

    @property
    def messages_sent(self) -> int:
        """Messages and proposals so far: what the message cap counts, as the original does."""
        return sum(1 for m in self.moves if m.kind in ("message", "take"))

    @property
    def proposing(self) -> int | None:
        """The seat that said `[propose]` and owes its proposal, if any."""
        last = self.moves[-1] if self.moves else None
        return last.seat if last is not None and last.kind == "propose" else None

    @property
    def next_seat(self) -> int:
        """A proposer gives its proposal next; then the partner must propose; otherwise the
        players take turns, the first speaker first."""
        if self.proposing is not None:
            return self.proposing
        proposed = self.proposals
        if len(proposed) == 1:
            return 1 - next(iter(proposed))
        if not self.moves:
            return self.settings.first
        return 1 - self.moves[-1].seat

    @property
    def current_round(self) -> int:
        """A round is a message (or proposal) from each player."""
        return self.messages_sent // 2 + 1

    @property
    def both_proposed(self) -> bool:
        return len(self.proposals) == 2

    @property
    def capped(self) -> bool:
        """The message cap ended the game before both proposals were in."""
        return not self.both_proposed and self.messages_sent >= self.settings.max_messages

    @property
    def over(self) -> bool:
        return bool(self.aborted) or self.both_proposed or self.capped

    @property
    def deal(self) -> bool:
        """Both proposals are in and add up to the items."""
        proposed = self.proposals
        return self.both_proposed and adds_up(self.settings.counts, proposed[0], proposed[1])

    @property
    def points(self) -> tuple[int, int]:
        """What each player's share is worth to it; nothing without a valid deal."""
        if not self.deal:
            return 0, 0
        proposed, values = self.proposals, self.settings.values
        return points(values[0], proposed[0]), points(values[1], proposed[1])

    def apply_move(self, record: DealMoveRecord) -> None:
        """Count a move; a move whose rules stayed broken in every try aborts the game."""
        with self.lock:
            if record.move_index != self.moves_played:
                raise ValueError(f"move {record.move_index} applied after {self.moves_played} moves")
            if self.over:
                raise ValueError(f"move {record.move_index} applied after the game ended")
            if record.seat != self.next_seat:
                raise ValueError(f"move {record.move_index} by seat {record.seat} out of turn")
            self.moves.append(record)
            if record.violated:
                name = self.settings.players[record.seat].name
                self.aborted = f"{name} gave {self.settings.max_invalid} invalid replies in a row"

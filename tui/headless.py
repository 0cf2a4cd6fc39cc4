"""Play a game without the terminal UI: stream it to stdout and save after every move."""

from __future__ import annotations

from typing import TextIO

from ..engine.events import (
    AttemptFinished,
    GameEvent,
    MoveFinished,
    OperationApplied,
    OperationRejected,
    StepStarted,
    TextStreamed,
)
from ..engine.export import scores_lines
from ..engine.game_master import GameMaster
from ..engine.scores import score
from ..engine.state import GameState, GameStatus
from ..engine.words import plural
from ..saves import GameStore
from .signals import held_signals


class TranscriptPrinter:
    """Prints what happens in a move as it happens: streamed words, learned words, re-prompts."""

    def __init__(self, state: GameState, out: TextIO) -> None:
        self.state = state
        self.out = out
        # Trailing white space of the text streamed so far: printed only if more text follows,
        # so a reply ending in a newline does not leave a blank line.
        self._held = ""

    def __call__(self, event: GameEvent) -> None:
        players = self.state.settings.players
        match event:
            case StepStarted(seat=seat, step=step, attempt=attempt) if step != "update":
                retry = f" (try {attempt + 1})" if attempt else ""
                round_ = self.state.current_round
                self._write(f"[round {round_}] {players[seat].name}{retry}: ")
            case TextStreamed(step=step, text=text) if step != "update":
                stripped = text.rstrip()
                if stripped:
                    self._write(self._held + stripped)
                    self._held = text[len(stripped) :]
                else:
                    self._held += text
            case AttemptFinished(attempt=attempt) if attempt.step != "update":
                self._held = ""
                self._write("\n")
                if attempt.violation:
                    self._write(f"    ! move rule: {attempt.violation}\n")
            case AttemptFinished(seat=seat, attempt=attempt) if attempt.violation:
                self._write(f"    ! {players[seat].name}'s update: {attempt.violation}\n")
            case OperationApplied(seat=seat, applied=applied):
                op = applied.operation
                self._write(
                    f"    {players[seat].name} {op.kind.value}s {op.foreign} = {op.meaning} "
                    f"({op.confidence:.2f})\n"
                )
            case OperationRejected(seat=seat, rejected=rejected):
                self._write(f"    {players[seat].name} refused: {rejected.reason}\n")
            case MoveFinished(record=record):
                if record.incoming is None and not record.attempts:
                    name = players[record.seat].name
                    self._write(f"[round {record.round}] {name}: {record.message}\n")
            case _:
                pass

    def _write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()


def play_to_end(store: GameStore, game_id: int, master: GameMaster, out: TextIO) -> GameStatus:
    """Play move after move, committing each as it completes, until the game ends."""
    state = master.state
    printer = TranscriptPrinter(state, out)
    try:
        while state.status is GameStatus.PLAYING:
            record = master.play_next_move(on_event=printer)
            with held_signals():  # a finished move is saved before Ctrl+C or SIGTERM stops
                store.save_move(game_id, state, record)
    except Exception as error:
        store.record_error(game_id, error, state.moves_played)
        raise
    store.set_status(game_id, state.status)
    out.write(f"\nGame {game_id} {state.status.value} after {plural(state.rounds_played, 'round')}.\n")
    for line in scores_lines(score(state), state):
        out.write(f"  {line}\n")
    return state.status

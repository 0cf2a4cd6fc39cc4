"""Play a game without the terminal UI: stream it to stdout and save after every move."""

from __future__ import annotations

from typing import Any, TextIO

from ...engine.core.episode import GameMaster, Saver, play
from ...engine.core.events import (
    AttemptFinished,
    GameEvent,
    MoveFinished,
    StepStarted,
    TextStreamed,
)
from ...engine.core.game import GameStatus
from ...engine.core.records import MoveRecord
from ...engine.games.dictionary.events import OperationApplied, OperationRejected, ScenePicked
from ...engine.games.dictionary.scenes import label
from ...engine.words import plural
from .people import private_step
from .signals import held_signals


class TranscriptPrinter:
    """Prints what happens in a move as it happens: streamed words, learned words, re-prompts.

    Steps whose answers are structured data (a dictionary update) are not streamed; what
    they did is printed when the move is applied.
    """

    QUIET_STEPS = frozenset({"update", "choose"})

    def __init__(self, state: Any, out: TextIO) -> None:
        self.state = state
        self.out = out
        self._round = 1
        # Trailing white space of the text streamed so far: printed only if more text follows,
        # so a reply ending in a newline does not leave a blank line.
        self._held = ""

    def _name(self, seat: int) -> str:
        return str(self.state.settings.players[seat].name)

    def _person(self, seat: int) -> bool:
        return bool(getattr(self.state.settings.players[seat], "human", False))

    def _private(self, seat: int, step: str) -> bool:
        """A model's answer hidden from the person playing the other seat (Deal or No Deal's
        proposal, until both are in): the game's report shows it at the end."""
        return private_step(self.state.settings, seat, step)

    def __call__(self, event: GameEvent) -> None:
        quiet = self.QUIET_STEPS
        match event:
            case StepStarted(seat=seat, step=step, attempt=0) if self._private(seat, step):
                round_ = getattr(self.state, "current_round", self._round)
                self._write(f"[round {round_}] {self._name(seat)}: (a private proposal)\n")
            case StepStarted(seat=seat, step=step) | TextStreamed(seat=seat, step=step) if self._private(seat, step):
                pass
            case AttemptFinished(seat=seat, attempt=attempt) if self._private(seat, attempt.step):
                pass
            # A person's answer is printed once they have given it, after their prompt.
            case StepStarted(seat=seat) | TextStreamed(seat=seat) if self._person(seat):
                pass
            case AttemptFinished(seat=seat, attempt=attempt) if self._person(seat):
                round_ = getattr(self.state, "current_round", self._round)
                self._write(f"[round {round_}] {self._name(seat)}: {attempt.raw_output}\n")
                if attempt.violation:
                    self._write(f"    ! move rule: {attempt.violation}\n")
            case MoveFinished(record=record) if not record.attempts:
                self._write(f"[round {record.round}] {self._name(record.seat)}: {record.message}\n")
            case MoveFinished(record=record):
                self._round = record.round + (1 if record.seat == 1 else 0)
            case StepStarted(seat=seat, step=step, attempt=attempt) if step not in quiet:
                retry = f" (try {attempt + 1})" if attempt else ""
                round_ = getattr(self.state, "current_round", self._round)
                if step == "describe":  # a grounded move names the next round's target
                    round_, retry = self.state.moves_played + 1, f" names{retry}"
                self._write(f"[round {round_}] {self._name(seat)}{retry}: ")
            case TextStreamed(step=step, text=text) if step not in quiet:
                stripped = text.rstrip()
                if stripped:
                    self._write(self._held + stripped)
                    self._held = text[len(stripped) :]
                else:
                    self._held += text
            case AttemptFinished(attempt=attempt) if attempt.step not in quiet:
                self._held = ""
                self._write("\n")
                if attempt.violation:
                    self._write(f"    ! move rule: {attempt.violation}\n")
            case AttemptFinished(seat=seat, attempt=attempt) if attempt.violation:
                self._write(f"    ! {self._name(seat)}'s {attempt.step}: {attempt.violation}\n")
            case OperationApplied(seat=seat, applied=applied):
                op = applied.operation
                self._write(
                    f"    {self._name(seat)} {op.kind.value}s {op.foreign} = {op.meaning} "
                    f"({op.confidence:.2f})\n"
                )
            case ScenePicked(seat=seat, scene=scene, pick=pick, meant=meant):
                settings = self.state.settings
                guess = label(settings, seat, pick) if pick else "nothing"
                verdict = "right" if pick == meant else (
                    f"wrong, meant {label(settings, seat, meant)}"
                )
                self._write(
                    f"    {self._name(seat)} guessed round {scene.round}: {guess}, {verdict}\n"
                )
            case OperationRejected(seat=seat, rejected=rejected):
                self._write(f"    {self._name(seat)} refused: {rejected.reason}\n")
            case _:
                pass

    def _write(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()


class SavedBeforeStopping:
    """A saver whose commit of a finished move is never cut short by Ctrl+C or SIGTERM: the
    stop waits for the commit, then stops."""

    def __init__(self, saver: Saver) -> None:
        self.saver = saver

    def save_move(self, state: Any, record: MoveRecord) -> None:
        with held_signals():
            self.saver.save_move(state, record)

    def save_outcome(self, state: Any, outcome: Any) -> None:
        with held_signals():
            self.saver.save_outcome(state, outcome)

    def save_error(self, state: Any, error: BaseException) -> None:
        self.saver.save_error(state, error)


def play_to_end(master: GameMaster, saver: Saver, game_id: int, out: TextIO) -> GameStatus:
    """Play move after move, saving each as it completes, until the game ends."""
    play(master, SavedBeforeStopping(saver), on_event=TranscriptPrinter(master.state, out))
    outcome = master.outcome
    if not outcome.over:
        # A person's input ended before their answer: nothing of the move was kept.
        out.write(f"\nGame {game_id} paused: no more input. Resume it with: "
                  f"dictgame resume {game_id} --headless\n")
        return outcome.status
    rounds = master.state.moves[-1].round if master.state.moves else 0
    how = outcome.result.value + (f": {outcome.reason}" if outcome.reason else "")
    out.write(
        f"\nGame {game_id} {outcome.status.value} after {plural(rounds, 'round')}.\n"
        f"  Outcome: {how}.\n"
    )
    for line in master.game.report(master.state):
        out.write(f"  {line}\n")
    return outcome.status

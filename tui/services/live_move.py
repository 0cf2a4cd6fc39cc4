"""The move being written, as far as the game master's notices have told: who, which step,
which try, the text so far, the move rules it broke on the way. Shown in the speaker's pane
and gone when the move is committed or cancelled.

A step whose answer is data (Dictionary Discovery's dictionary update) is shown as it is
written too, dimmed and cut to its last lines, so a person sees the player learn."""

from __future__ import annotations

from rich.text import Text

from ...engine.core.events import AttemptFinished, GameEvent, MoveStarted, StepStarted, TextStreamed
from ...engine.words import plural

# Steps whose answer is data, not a message: shown dimmed, with what they are for.
DATA_STEPS = {"update": "updates its dictionary"}
# How much of a data step's text stays in view while it is written.
DATA_TAIL_CHARS = 160


class LiveMove:
    def __init__(self) -> None:
        self.speaker: int | None = None
        self.end()

    def end(self) -> None:
        """Forget the move in progress: committed, or cancelled and gone."""
        self.speaker = None
        self.notes: list[str] = []
        # The move rules broken on the way, latest last (a person is told why they are asked again).
        self.violations: list[str] = []
        self.stream = Text()
        self.step: tuple[str, int] = ("reply", 0)
        self.pieces = 0
        self.step_started = self.last_piece = 0.0

    def hear(self, notice: GameEvent, stamp: float) -> None:
        match notice:
            case MoveStarted(seat=seat):
                self.end()
                self.speaker = seat
            case StepStarted(step=step, attempt=attempt):
                self.stream = Text()
                self.pieces, self.step_started, self.last_piece = 0, stamp, stamp
                self.step = step, attempt
            case TextStreamed(text=text):
                self.stream.append(text)
                self.pieces += 1
                self.last_piece = stamp
            case AttemptFinished(attempt=attempt) if attempt.violation:
                self.notes.append(f"move rule broken ({attempt.violation}); asked again")
                self.violations.append(attempt.violation)

    @property
    def tokens_per_second(self) -> float | None:
        if self.pieces <= 1:
            return None
        return (self.pieces - 1) / max(self.last_piece - self.step_started, 1e-6)

    def view(self, name: str) -> Text:
        """The step being written, word by word; a data step dimmed, its last lines only."""
        step, attempt = self.step
        view = Text()
        view.append(name, style="bold")
        retry = f" (try {attempt + 1})" if attempt else ""
        doing = DATA_STEPS.get(step)
        if doing is not None:
            view.append(f"  {doing}{retry}… {plural(self.pieces, 'token')}", style="dim")
        else:
            view.append(f"  writes{retry}…", style="dim")
        for note in self.notes:
            view.append(f"\n{note}", style="italic")
        view.append("\n")
        if doing is not None:
            text = self.stream.plain
            cut = "…" if len(text) > DATA_TAIL_CHARS else ""
            view.append(cut + text[-DATA_TAIL_CHARS:], style="dim")
        else:
            view.append_text(self.stream)
        return view

"""How a Dictionary Discovery move reads in the players' panes.

Every mode: what the mover learned from the message it heard (each operation applied, each
refused with the game master's reason). Grounded modes read round by round, as the scene
does: move k decides round k (the listener heard the message, guessed, was told right or
wrong, updated its dictionary) and then names the target of round k+1, so a pane reads
"round 3 ... guessed", then "round 4 · said", and the partner's pane the same rounds.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text

from ....engine.core.records import MoveRecord
from ....engine.games.dictionary.dictionary import Operation, OperationKind
from ....engine.games.dictionary.records import MoveRecord as DictionaryMove
from ....engine.games.dictionary.scenes import label
from ....engine.games.dictionary.settings import GameSettings
from ...services.move_view import own

# How each kind of operation reads in a player's pane.
MARKS = {
    OperationKind.ADD: "+",
    OperationKind.REVISE: "~",
    OperationKind.CONFIRM: "=",
    OperationKind.REMOVE: "-",
}


def move_lines(record: MoveRecord) -> list[Text]:
    """What the mover learned from the message it heard: each operation applied, each refused
    with the game master's reason."""
    if not isinstance(record, DictionaryMove):
        return []
    lines = []
    for change in record.applied:
        lines.append(_operation_line("learned ", change.operation, "green"))
    for refused in record.rejected:
        line = _operation_line("refused ", refused.operation, "red")
        line.append(f": {refused.reason}", style="italic")
        lines.append(line)
    updated = any(a.step == "update" for a in record.attempts)
    if updated and not record.applied and not record.rejected:
        lines.append(Text("learned nothing from this message", style="dim"))
    return lines


def _operation_line(label: str, operation: Operation, style: str) -> Text:
    line = Text(label, style="dim")
    line.append(f"{MARKS[operation.kind]} {operation.foreign}", style=style)
    if operation.kind is not OperationKind.REMOVE:
        meaning = f" = {operation.meaning}" if operation.meaning else ""
        line.append(f"{meaning} ({operation.confidence:.2f})", style=style)
    return line


@dataclass(frozen=True)
class GroundedViews:
    """A grounded move in the panes, by round: the guess in the listener's pane, the verdict
    in the speaker's (as the game master tells it), and the message under the round it names."""

    settings: GameSettings

    def own(self, record: MoveRecord, names: tuple[str, str]) -> Text:
        if not isinstance(record, DictionaryMove):
            return own(record, names, move_lines)
        view = Text()
        view.append(names[record.seat], style="bold")
        view.append(f"  round {record.round}", style="dim")
        if record.scene is not None:
            view.append("\n")
            view.append_text(self._guess(record, names))
        for attempt in record.attempts:
            if attempt.violation:
                view.append(f"\nbroke a move rule ({attempt.step}): {attempt.violation}", style="italic")
        for line in move_lines(record):
            view.append("\n")
            view.append_text(line)
        if record.message:
            named = "" if record.scene is None else f"round {self._named_round(record)} · "
            view.append(f"\n{named}said ", style="dim")
            view.append(record.message)
        if record.violated:
            view.append("\n(the move rule stayed broken after the last try)", style="dim italic")
        return view

    def heard(self, record: MoveRecord, names: tuple[str, str]) -> Text:
        view = Text()
        if not isinstance(record, DictionaryMove):
            return view
        if record.scene is not None:
            view.append(names[record.seat], style="bold")
            view.append(f"  round {record.round}", style="dim")
            view.append("\n")
            view.append_text(self._taken(record, names))
        if record.message:
            if view:
                view.append("\n")
            view.append(f"heard from {names[record.seat]}", style="bold")
            view.append(f"  round {self._named_round(record)}", style="dim")
            view.append("\n")
            view.append(record.message)
        return view

    @staticmethod
    def _named_round(record: DictionaryMove) -> int:
        """The round whose target a move's message names: the opening names round 1, the
        move deciding round k names round k+1."""
        return record.round if record.scene is None else record.round + 1

    def _guess(self, record: DictionaryMove, names: tuple[str, str]) -> Text:
        """The listener's round: what it heard, what it guessed, the verdict."""
        seat = record.seat
        line = Text(f'heard "{record.incoming}" · ', style="dim")
        guess = f'guessed "{label(self.settings, seat, record.pick)}"' if record.pick else "guessed nothing"
        line.append(f"{guess}: ")
        if record.guessed_right:
            line.append("right", style="bold green")
        else:
            line.append("wrong", style="bold red")
            meant = record.meant_thing
            if meant is not None:
                line.append(f', {names[1 - seat]} meant "{label(self.settings, seat, meant)}"')
        return line

    def _taken(self, record: DictionaryMove, names: tuple[str, str]) -> Text:
        """The speaker's side of the same round: how the partner took its message, in the
        speaker's own words."""
        speaker = 1 - record.seat
        if record.pick is None:
            line = Text(f'guessed nothing for your "{record.incoming}": ')
        else:
            taken = label(self.settings, speaker, record.pick)
            line = Text(f'took your "{record.incoming}" for "{taken}": ')
        if record.guessed_right:
            line.append("right", style="bold green")
        else:
            line.append("wrong", style="bold red")
        return line

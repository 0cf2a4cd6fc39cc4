"""The lesson of a grounded round: what the game master's verdict told the listener about
the word it heard, which its dictionary update may not go against."""

from __future__ import annotations

from dataclasses import dataclass

from .dictionary import Operation, OperationKind, normalize
from .scenes import Scene, label, meant_concept
from .settings import GameSettings


@dataclass(frozen=True)
class Lesson:
    """What the game master's verdict told the listener about the word it heard: what it
    means (a reveal, or a right guess), or what it does not mean (a wrong guess, outcome
    only), in the listener's own words."""

    word: str
    means: str | None = None
    not_means: str | None = None

    def contradiction(self, operation: Operation) -> str | None:
        """Why an operation on the heard word goes against the verdict, or None."""
        if normalize(operation.foreign) != normalize(self.word):
            return None
        if self.means is not None:
            if operation.kind is OperationKind.REMOVE:
                return f'the game master said "{self.word}" means "{self.means}": keep it'
            if operation.meaning and normalize(operation.meaning) != normalize(self.means):
                return (f'the game master said "{self.word}" means "{self.means}", '
                        f'not "{operation.meaning}"')
        if self.not_means is not None and normalize(operation.meaning) == normalize(self.not_means):
            return f'the game master said "{self.word}" does not mean "{self.not_means}"'
        return None


def lesson_of(
    settings: GameSettings, seat: int, scene: Scene, pick: str | None, incoming: str
) -> Lesson | None:
    """The lesson of a round for its listener, per the `feedback` setting."""
    meant = meant_concept(settings, scene, 1 - seat, incoming)
    if settings.feedback == "reveal" or (settings.feedback == "outcome" and pick == meant):
        return Lesson(incoming, means=label(settings, seat, meant))
    if settings.feedback == "outcome" and pick is not None:
        return Lesson(incoming, not_means=label(settings, seat, pick))
    return None

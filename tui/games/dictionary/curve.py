"""The learning curve. Grounded modes: the success of the last few rounds beside the
perfect learner's on the same rounds (its ceiling, `learning.py`), the common dictionary's
F1, and chance. Free mode: the precision of the entries the concept bank covers.

A round's success is right or wrong, so the curve is a mean over a trailing window of
rounds: a running mean over the whole game would hide a late rise or fall.
"""

from __future__ import annotations

from textual_plotext import PlotextPlot

from ....engine.games.dictionary.learning import RoundLearning, learning_of
from ....engine.games.dictionary.state import GameState
from ....engine.games.dictionary.truth import RoundTruth, truth_curve

# Rounds in the trailing mean of success and ceiling.
WINDOW = 5


def windowed(values: list[float], window: int = WINDOW) -> list[float]:
    """Each value's mean with the ones before it, `window` in all (fewer at the start)."""
    return [
        sum(values[max(0, i - window + 1): i + 1]) / (i + 1 - max(0, i - window + 1))
        for i in range(len(values))
    ]


def learning_series(rounds: tuple[RoundLearning, ...]) -> dict[str, tuple[list[int], list[float]]]:
    """Success and ceiling per decided round, each a trailing mean: (rounds, values)."""
    numbers = [r.round for r in rounds]
    return {
        f"success (last {WINDOW})": (numbers, windowed([float(r.success) for r in rounds])),
        "ceiling": (numbers, windowed([r.ceiling for r in rounds])),
    }


def curve_series(curve: list[RoundTruth], grounded: bool) -> dict[str, list[float]]:
    """The ground truth's lines, by legend label."""
    if grounded:
        return {"F1 common": [t.common.f1 for t in curve]}
    return {
        "precision A": [t.players[0].precision for t in curve],
        "precision B": [t.players[1].precision for t in curve],
        "precision common": [t.common.precision for t in curve],
    }


class LearningCurve(PlotextPlot):
    DEFAULT_CSS = """
    LearningCurve { height: 1fr; min-height: 8; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        # The lines last drawn, by legend label: (rounds, values).
        self.series: dict[str, tuple[list[int], list[float]]] = {}

    def show(self, state: GameState) -> None:
        curve = truth_curve(state)
        grounded = state.settings.grounded
        plot = self.plt
        plot.clear_data()
        plot.title("learning curve")
        plot.ylim(0, 1)
        plot.xlabel("round")
        lines: dict[str, tuple[list[int], list[float]]] = {}
        learning = learning_of(state)
        if learning is not None and learning.rounds:
            lines.update(learning_series(learning.rounds))
        rounds = [t.round for t in curve]
        if rounds:
            lines.update({name: (rounds, values) for name, values in curve_series(curve, grounded).items()})
        for name, (xs, ys) in lines.items():
            plot.plot(xs, ys, label=name, marker="braille")
        if grounded and curve and curve[-1].chance:
            plot.hline(curve[-1].chance)
        self.series = lines
        self.refresh()

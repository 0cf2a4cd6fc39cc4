"""The learning curve: per round, the success rate and the dictionaries' F1 (grounded modes),
or the precision of the entries the concept bank covers (free mode), as a plot."""

from __future__ import annotations

from textual_plotext import PlotextPlot

from ...engine.games.dictionary.state import GameState
from ...engine.games.dictionary.truth import RoundTruth, truth_curve


def curve_series(curve: list[RoundTruth], grounded: bool) -> dict[str, list[float]]:
    """The lines of the plot, by legend label."""
    if grounded:
        return {
            "success rate": [t.success_rate or 0.0 for t in curve],
            "F1 common": [t.common.f1 for t in curve],
            "F1 A": [t.players[0].f1 for t in curve],
            "F1 B": [t.players[1].f1 for t in curve],
        }
    return {
        "precision A": [t.players[0].precision for t in curve],
        "precision B": [t.players[1].precision for t in curve],
        "precision common": [t.common.precision for t in curve],
    }


class LearningCurve(PlotextPlot):
    DEFAULT_CSS = """
    LearningCurve { height: 12; min-height: 8; }
    """

    def show(self, state: GameState) -> None:
        curve = truth_curve(state)
        grounded = state.settings.grounded
        plot = self.plt
        plot.clear_data()
        plot.title("learning curve")
        plot.ylim(0, 1)
        plot.xlabel("round")
        rounds = [t.round for t in curve]
        if rounds:
            for name, values in curve_series(curve, grounded).items():
                plot.plot(rounds, values, label=name, marker="braille")
            if grounded and curve[-1].chance:
                plot.hline(curve[-1].chance)
        self.refresh()

"""Deal or No Deal's scores: each player's points, its score under the objective, and the
game's Main Score for clembench."""

from __future__ import annotations

from ...core.game import Reward, Scores
from .items import best_joint, pareto_optimal
from .settings import Objective
from .state import DealState


def objective_scores(objective: Objective, points: tuple[int, int]) -> tuple[int, int]:
    """Each player's score: its own points (self), the sum of both (coop), or its own minus
    the other's (comp)."""
    first, second = points
    if objective == "coop":
        return first + second, first + second
    if objective == "comp":
        return first - second, second - first
    return first, second


def scores(state: DealState) -> Scores:
    """Main Score: the share of the best joint points any division would give that the deal
    reached (0 without a deal), the same measure under every objective."""
    settings = state.settings
    points = state.points
    score_a, score_b = objective_scores(settings.objective, points)
    deal = state.deal
    optimal = deal and pareto_optimal(settings.counts, settings.values, state.proposals[0])
    best = best_joint(settings.counts, settings.values)
    return Scores(
        episode={
            "Deal": float(deal),
            "Points A": float(points[0]),
            "Points B": float(points[1]),
            "Joint Points": float(sum(points)),
            "Score A": float(score_a),
            "Score B": float(score_b),
            "Pareto Optimal": float(optimal),
            "Messages": float(state.messages_sent),
        },
        main=round(100 * sum(points) / best, 2),
    )


def reward(state: DealState) -> Reward:
    """Each player's score under the objective, as the self-play study keeps transcripts by
    (an aborted game earns no points and counts in the mean); under `comp`, a valid deal
    where both score 0 is kept too."""
    objective = state.settings.objective
    first, second = objective_scores(objective, state.points)
    zero_deal = objective == "comp" and state.deal and (first, second) == (0, 0)
    return Reward((float(first), float(second)), group=objective, kept=zero_deal)

"""Scores in clembench's vocabulary: request metrics, Aborted / Lose / Success, Main Score.

The key strings and constant names are clemcore's own (`clemcore/clemgame/metrics.py`, checked
against clemcore 3.7.2), so records we write are read by its `clem eval`, which needs only
Aborted and Main Score. A game adds its own figures through its `scores` function.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from .game import EpisodeState, Game, Result
from .records import Attempt, MoveRecord

METRIC_ABORTED = "Aborted"
METRIC_LOSE = "Lose"
METRIC_SUCCESS = "Success"
METRIC_REQUEST_COUNT = "Request Count"
METRIC_REQUEST_COUNT_PARSED = "Parsed Request Count"
METRIC_REQUEST_COUNT_VIOLATED = "Violated Request Count"
METRIC_REQUEST_SUCCESS_RATIO = "Request Success Ratio"
BENCH_SCORE = "Main Score"


def mean_se(values: Sequence[float]) -> tuple[float, float]:
    """The mean and its standard error (0 for a single value)."""
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return mean, 0.0
    variance = sum((v - mean) ** 2 for v in values) / (n - 1)
    return mean, math.sqrt(variance / n)


def request_metrics(attempts: Iterable[Attempt]) -> dict[str, float]:
    """Requests to models (a programmatic player's answers are not requests), and how many
    passed the move rules."""
    asked = [a for a in attempts if a.model]
    parsed = sum(1 for a in asked if a.violation is None)
    return {
        METRIC_REQUEST_COUNT: len(asked),
        METRIC_REQUEST_COUNT_PARSED: parsed,
        METRIC_REQUEST_COUNT_VIOLATED: len(asked) - parsed,
        METRIC_REQUEST_SUCCESS_RATIO: round(parsed / len(asked), 4) if asked else 0.0,
    }


def attempts_of(moves: Iterable[MoveRecord]) -> list[Attempt]:
    return [attempt for move in moves for attempt in move.attempts]


def episode_scores(game: Game[Any], state: EpisodeState[Any]) -> dict[str, float]:
    """clembench's episode scores, then the game's own: Main Score is NaN when aborted."""
    with state.lock:
        outcome = game.outcome(state)
        own = game.scores(state)
        moves = list(state.moves)
    aborted = outcome.result is Result.ABORTED
    scores: dict[str, float] = {
        **request_metrics(attempts_of(moves)),
        METRIC_ABORTED: int(aborted),
        METRIC_LOSE: int(outcome.result is Result.LOSE),
        METRIC_SUCCESS: int(outcome.result is Result.SUCCESS),
        BENCH_SCORE: math.nan if aborted else float(own.main),
    }
    scores.update(own.episode)
    return scores


def round_scores(game: Game[Any], state: EpisodeState[Any]) -> dict[int, dict[str, float]]:
    """Request metrics per round, with the game's own per-round figures."""
    with state.lock:
        moves = list(state.moves)
        own = game.scores(state).rounds
    rounds: dict[int, dict[str, float]] = {}
    for number in sorted({m.round for m in moves} | set(own)):
        in_round = [m for m in moves if m.round == number]
        rounds[number] = {**request_metrics(attempts_of(in_round)), **own.get(number, {})}
    return rounds

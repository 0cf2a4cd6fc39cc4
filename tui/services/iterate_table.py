"""`dictgame iterate`'s table: each model's figures on the held-out games. Deal or No Deal
shows the self-play study's (joint points, agreement, aborts, Pareto-optimal deals) and the
share of proposals that claimed every item; every
other game clembench's (Main Score, success, aborts)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ...engine.words import plural


@dataclass(frozen=True)
class Evaluation:
    """One model's figures on the held-out games, formatted in the order of `headers`."""

    iteration: int
    model: str
    games: int
    headers: tuple[str, ...]
    figures: tuple[str, ...]
    examples: int | None  # examples the model was trained on (None: the base)


def mean_se(values: list[float]) -> tuple[float, float]:
    """The mean and its standard error."""
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return mean, 0.0
    variance = sum((v - mean) ** 2 for v in values) / (n - 1)
    return mean, math.sqrt(variance / n)


def evaluation(game_name: str, iteration: int, model: str, states: list[Any], examples: int | None) -> Evaluation:
    if not states:
        raise ValueError(f"no held-out game of {model} was played to the end")
    if game_name == "dealnodeal":
        headers, figures = _deal_figures(states, model)
    else:
        headers, figures = _main_figures(game_name, states)
    return Evaluation(iteration, model, len(states), headers, figures, examples)


def _deal_figures(states: list[Any], model: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """`dictgame analyze`'s figures of the games (one objective, one model: one row), with
    the standard errors of joint points and agreement."""
    from ...engine.games.dealnodeal.analysis import analyze, played_game

    games = [played_game(state, model) for state in states]
    (row,) = analyze(games)
    _, joint_se = mean_se([float(sum(g.points)) for g in games])
    _, agreement_se = mean_se([float(g.deal) for g in games])
    return (
        ("joint points", "agreement", "aborted", "Pareto-optimal", "took all"),
        (f"{row.joint_points:.2f} ± {joint_se:.2f}", f"{row.agreement:.0%} ± {agreement_se:.0%}", f"{row.aborts:.0%}",
         f"{row.pareto:.0%}", f"{row.took_all:.0%}"),
    )


def _main_figures(game_name: str, states: list[Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """clembench's: the Main Score of the games not aborted (mean ± standard error; "-" if
    every one was), the success rate, the abort rate."""
    from ...engine.core.scores import BENCH_SCORE, METRIC_ABORTED, METRIC_SUCCESS, episode_scores
    from ...engine.games import get_game

    game = get_game(game_name)
    scores = [episode_scores(game, state) for state in states]
    played = [s[BENCH_SCORE] for s in scores if not s[METRIC_ABORTED]]
    main = "-"
    if played:
        mean, se = mean_se(played)
        main = f"{mean:.1f} ± {se:.1f}"
    success = sum(s[METRIC_SUCCESS] for s in scores) / len(scores)
    aborted = sum(s[METRIC_ABORTED] for s in scores) / len(scores)
    return ("main score", "success", "aborted"), (main, f"{success:.0%}", f"{aborted:.0%}")


def table_text(rows: list[Evaluation]) -> str:
    headers = ("iteration", "model", "games", *rows[0].headers, "trained on")
    body = [
        [str(r.iteration), r.model, str(r.games), *r.figures,
         "-" if r.examples is None else plural(r.examples, "example")]
        for r in rows
    ]
    widths = [max(len(c) for c in column) for column in zip(headers, *body)]
    lines = [list(headers), ["-" * w for w in widths], *body]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in lines)

"""`dictgame iterate`'s table: each model's figures on the held-out games: a game's own
where it has them (Deal or No Deal: the self-play study's, engine/games/dealnodeal/analysis.py),
else clembench's (Main Score, success, aborts). Every model after the first also
shows its gain over the first on the same held-out games (paired, with its standard error),
and every model its decoding speed and what it was trained on."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...engine.core.game import Game
from ...engine.core.scores import (
    BENCH_SCORE,
    METRIC_ABORTED,
    METRIC_SUCCESS,
    episode_scores,
    mean_se,
)
from ...engine.games import get_game
from ...engine.words import plural


@dataclass(frozen=True)
class Evaluation:
    """One model's figures on the held-out games, formatted in the order of `headers`."""

    iteration: int
    model: str
    games: int
    headers: tuple[str, ...]
    figures: tuple[str, ...]
    # Each held-out game's score (joint points for Deal or No Deal, else the Main Score, 0
    # for an aborted game), by its instance: the pairs the gain is measured on.
    scores: dict[tuple[str, int], float]
    tokens_per_second: float | None  # the model's decoding speed in these games
    trained: Training | None = None  # None: the model the loop started from


@dataclass(frozen=True)
class Training:
    """What a model was fine-tuned on, as its file records it."""

    examples: int
    filter: str
    loss_first: float | None = None
    loss_last: float | None = None

    def text(self) -> str:
        loss = "" if self.loss_first is None or self.loss_last is None else (
            f", loss {self.loss_first:.2f} -> {self.loss_last:.2f}")
        return f"{plural(self.examples, 'example')} ({self.filter}){loss}"


def paired_gain(before: dict[tuple[str, int], float], after: dict[tuple[str, int], float]) -> tuple[float, float, int]:
    """The mean of after - before over the instances both played, its standard error and
    the number of pairs: the same games, so the games' own difficulty cancels out."""
    shared = sorted(before.keys() & after.keys())
    if not shared:
        return 0.0, 0.0, 0
    mean, se = mean_se([after[k] - before[k] for k in shared])
    return mean, se, len(shared)


def evaluation(
    game_name: str, iteration: int, model: str, played: list[Any], trained: Training | None,
) -> Evaluation:
    """A model's row from its played held-out episodes (services.runs.played_episodes)."""
    if not played:
        raise ValueError(f"no held-out game of {model} was played to the end")
    states = [episode.state for episode in played]
    game = get_game(game_name)
    if game.held_out_figures is not None:  # the game's own, as Deal or No Deal's study reads it
        own = game.held_out_figures(states)
        headers, figures, each = own.headers, own.cells, list(own.scores)
    else:
        headers, figures, each = _main_figures(game, states)
    scores = {(e.experiment, int(e.instance.get("game_id", n))): score
              for n, (e, score) in enumerate(zip(played, each))}
    return Evaluation(iteration, model, len(states), headers, figures, scores,
                      tokens_per_second(states), trained)


def tokens_per_second(states: list[Any]) -> float | None:
    """Tokens the model wrote over the seconds it took, across every request of the games."""
    tokens = seconds = 0.0
    for state in states:
        with state.lock:
            attempts = [a for move in state.moves for a in move.attempts if a.model]
        tokens += sum(a.completion_tokens for a in attempts)
        seconds += sum(a.seconds for a in attempts)
    return tokens / seconds if seconds > 0 and tokens > 0 else None


def _main_figures(game: Game[Any], states: list[Any]) -> tuple[tuple[str, ...], tuple[str, ...], list[float]]:
    """clembench's: the Main Score of the games not aborted (mean ± standard error; "-" if
    every one was), the success rate, the abort rate."""
    scores = [episode_scores(game, state) for state in states]
    played = [s[BENCH_SCORE] for s in scores if not s[METRIC_ABORTED]]
    main = "-"
    if played:
        mean, se = mean_se(played)
        main = f"{mean:.1f} ± {se:.1f}"
    success = sum(s[METRIC_SUCCESS] for s in scores) / len(scores)
    aborted = sum(s[METRIC_ABORTED] for s in scores) / len(scores)
    each = [0.0 if s[METRIC_ABORTED] else float(s[BENCH_SCORE]) for s in scores]
    return ("main score", "success", "aborted"), (main, f"{success:.0%}", f"{aborted:.0%}"), each


def table_text(rows: list[Evaluation]) -> str:
    headers = ("iteration", "model", "games", *rows[0].headers, "gain (paired)", "tok/s", "trained on")
    body = [
        [str(r.iteration), r.model, str(r.games), *r.figures, _gain(rows[0], r),
         "-" if r.tokens_per_second is None else f"{r.tokens_per_second:.1f}",
         "-" if r.trained is None else r.trained.text()]
        for r in rows
    ]
    widths = [max(len(c) for c in column) for column in zip(headers, *body)]
    lines = [list(headers), ["-" * w for w in widths], *body]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in lines)


def _gain(first: Evaluation, row: Evaluation) -> str:
    """The row's gain over the first model on the games both played, with its standard
    error; "+x ± y (z SE)" says how far outside the noise it is."""
    if row is first:
        return "-"
    mean, se, pairs = paired_gain(first.scores, row.scores)
    if not pairs:
        return "no shared games"
    ratio = f", {mean / se:+.1f} SE" if se > 0 else ""
    return f"{mean:+.2f} ± {se:.2f}{ratio}"

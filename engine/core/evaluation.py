"""clembench's evaluation of played episodes: the figures `clem eval` prints, computed its way.

Per game and model pair: % played (the share of episodes not aborted), the quality score (the
mean Main Score of the played episodes) and clemscore = % played / 100 x quality. A pair that
played several games also gets an "all" row: clemcore's clemscore of a model is the mean
% played over its games / 100 x their mean quality. Each figure is rounded to two decimals
where clemcore rounds it, so the numbers match its `results.csv` exactly.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from .clembench import PlayedEpisode
from .game import Result
from .scores import BENCH_SCORE, METRIC_ABORTED, episode_scores

ALL_GAMES = "all"


@dataclass(frozen=True)
class Row:
    game: str
    model: str
    episodes: int
    played: float
    # NaN when no episode was played to its end (all aborted).
    quality: float
    clemscore: float
    # The means of the game's own episode figures over the played episodes.
    figures: dict[str, float] = field(default_factory=dict)


def evaluate(episodes: Iterable[PlayedEpisode]) -> list[Row]:
    """One row per (model pair, game), then an "all" row per pair that played several games.

    Unfinished episodes are not counted, as `clem eval` never sees them.
    """
    groups: dict[tuple[str, str], list[PlayedEpisode]] = {}
    for episode in episodes:
        if episode.finished:
            groups.setdefault((episode.pair, episode.game.name), []).append(episode)
    rows: list[Row] = []
    for pair in sorted({pair for pair, _ in groups}):
        per_game = [_row(game, pair, groups[pair, game]) for p, game in sorted(groups) if p == pair]
        rows.extend(per_game)
        if len(per_game) > 1:
            rows.append(_overall(pair, per_game))
    return rows


def _row(game: str, pair: str, episodes: list[PlayedEpisode]) -> Row:
    scores = [episode_scores(e.game, e.state) for e in episodes]
    played = _round2(100 * _mean([1 - s[METRIC_ABORTED] for s in scores]))
    quality = _round2(_mean([s[BENCH_SCORE] for s in scores]))
    own = [
        e.game.scores(e.state).episode for e in episodes if e.outcome.result is not Result.ABORTED
    ]
    names = list(dict.fromkeys(name for figures in own for name in figures))
    figures = {name: round(_mean([f.get(name, math.nan) for f in own]), 4) for name in names}
    return Row(game, pair, len(episodes), played, quality, _clemscore(played, quality), figures)


def _overall(pair: str, rows: list[Row]) -> Row:
    played = _round2(_mean([row.played for row in rows]))
    quality = _round2(_mean([row.quality for row in rows]))
    episodes = sum(row.episodes for row in rows)
    return Row(ALL_GAMES, pair, episodes, played, quality, _clemscore(played, quality))


def _clemscore(played: float, quality: float) -> float:
    return _round2(played / 100 * quality)


def _mean(values: Sequence[float]) -> float:
    """The mean of the numbers that are not NaN, as pandas takes it; NaN if there are none."""
    kept = [v for v in values if not math.isnan(v)]
    return sum(kept) / len(kept) if kept else math.nan


def _round2(value: float) -> float:
    """Two decimals as pandas (numpy) rounds: scale, round half to even, scale back."""
    return value if math.isnan(value) else round(value * 100) / 100


HEADERS = ("game", "model", "episodes", "% played", "quality score", "clemscore")


def _columns(
    rows: Sequence[Row], number: Callable[[float, int], str]
) -> tuple[list[str], list[list[str]]]:
    own = list(dict.fromkeys(name for row in rows for name in row.figures))
    body = [
        [
            row.game,
            row.model,
            str(row.episodes),
            *(number(v, 2) for v in (row.played, row.quality, row.clemscore)),
            *(number(row.figures.get(name, math.nan), 4) for name in own),
        ]
        for row in rows
    ]
    return [*HEADERS, *own], body


def _fixed(value: float, places: int) -> str:
    return "-" if math.isnan(value) else f"{value:.{places}f}"


def _exact(value: float, places: int) -> str:
    return "" if math.isnan(value) else repr(value)


def table_text(rows: Sequence[Row]) -> str:
    """The rows as an aligned text table; a dash is a figure with no value (NaN)."""
    headers, body = _columns(rows, _fixed)
    widths = [max(len(cell) for cell in column) for column in zip(headers, *body)]
    lines = [headers, ["-" * width for width in widths], *body]
    numeric = set(range(2, len(headers)))
    return "\n".join(
        "  ".join(
            cell.rjust(width) if index in numeric else cell.ljust(width)
            for index, (cell, width) in enumerate(zip(line, widths))
        ).rstrip()
        for line in lines
    )


def csv_text(rows: Sequence[Row]) -> str:
    """The rows as CSV; NaN is an empty field, as clemcore's results.csv writes it."""
    headers, body = _columns(rows, _exact)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(headers)
    writer.writerows(body)
    return out.getvalue()

"""The figures of the self-play study (Liao, Tomlin and Klein 2024) over a batch of games,
per objective and model: mean scores, agreement and abort rates, the share of Pareto-optimal
deals, and the length of the games in messages and tokens; and how often a proposal claims
every item, the way a small model fails to make deals."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ...core.game import HeldOutFigures
from ...core.scores import mean_se
from .items import pareto_optimal
from .scores import objective_scores
from .state import DealState


@dataclass(frozen=True)
class PlayedGame:
    """What the analysis needs of one finished or aborted game."""

    objective: str
    model: str
    points: tuple[int, int]
    scores: tuple[int, int]
    deal: bool
    aborted: bool
    pareto: bool
    # Messages and proposals, as the message cap counts them.
    messages: int
    # Tokens the players generated for the replies that counted (not the broken ones).
    tokens: int
    # Proposals made, and how many of them claimed every item (no deal can follow).
    proposals: int = 0
    took_all: int = 0


def played_game(state: DealState, model: str) -> PlayedGame:
    settings = state.settings
    with state.lock:
        points = state.points
        deal = state.deal
        proposals = state.proposals
        moves = list(state.moves)
        aborted = bool(state.aborted)
        messages = state.messages_sent
    accepted = [m.attempts[-1] for m in moves if not m.violated and m.attempts]
    return PlayedGame(
        objective=settings.objective,
        model=model,
        points=points,
        scores=objective_scores(settings.objective, points),
        deal=deal,
        aborted=aborted,
        pareto=deal and pareto_optimal(settings.counts, settings.values, proposals[0]),
        messages=messages,
        tokens=sum(a.completion_tokens for a in accepted),
        proposals=len(proposals),
        took_all=sum(1 for take in proposals.values() if tuple(take) == tuple(settings.counts)),
    )


@dataclass(frozen=True)
class Row:
    objective: str
    model: str
    games: int
    score_a: float
    score_b: float
    # The mean over both players' scores (the original's "mean score").
    score: float
    joint_points: float
    agreement: float
    aborts: float
    pareto: float
    # The share of proposals that claimed every item.
    took_all: float
    messages: float
    tokens: float


def analyze(games: Iterable[PlayedGame]) -> list[Row]:
    """One row per objective and model. An aborted game or one without a deal scores 0 for
    both players and counts in every mean, as in the original."""
    groups: dict[tuple[str, str], list[PlayedGame]] = {}
    for game in games:
        groups.setdefault((game.objective, game.model), []).append(game)
    rows = []
    for (objective, model), batch in sorted(groups.items()):
        n = len(batch)
        rows.append(
            Row(
                objective=objective,
                model=model,
                games=n,
                score_a=sum(g.scores[0] for g in batch) / n,
                score_b=sum(g.scores[1] for g in batch) / n,
                score=sum(sum(g.scores) for g in batch) / (2 * n),
                joint_points=sum(sum(g.points) for g in batch) / n,
                agreement=sum(g.deal for g in batch) / n,
                aborts=sum(g.aborted for g in batch) / n,
                pareto=sum(g.pareto for g in batch) / n,
                took_all=sum(g.took_all for g in batch) / max(1, sum(g.proposals for g in batch)),
                messages=sum(g.messages for g in batch) / n,
                tokens=sum(g.tokens for g in batch) / n,
            )
        )
    return rows


HEADERS = (
    "objective", "model", "games", "score A", "score B", "score", "joint points",
    "agreement", "aborted", "Pareto-optimal", "took all", "messages", "tokens",
)
RATES = ("agreement", "aborts", "pareto", "took_all")
MEANS = ("score_a", "score_b", "score", "joint_points")


def _cells(row: Row, number: str) -> list[str]:
    return [
        row.objective,
        row.model,
        str(row.games),
        *(format(getattr(row, name), number) for name in MEANS),
        *(format(getattr(row, name), ".0%" if number == ".2f" else ".4f") for name in RATES),
        format(row.messages, ".1f" if number == ".2f" else ".4f"),
        format(row.tokens, ".1f" if number == ".2f" else ".4f"),
    ]


def table_text(rows: Sequence[Row]) -> str:
    """The rows as an aligned text table; rates as percentages."""
    body = [_cells(row, ".2f") for row in rows]
    widths = [max(len(cell) for cell in column) for column in zip(HEADERS, *body)]
    lines = [list(HEADERS), ["-" * width for width in widths], *body]
    return "\n".join(
        "  ".join(
            cell.ljust(width) if index < 2 else cell.rjust(width)
            for index, (cell, width) in enumerate(zip(line, widths))
        ).rstrip()
        for line in lines
    )


def csv_text(rows: Sequence[Row]) -> str:
    """The rows as CSV; rates as fractions, four decimals."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([h.replace(" ", "_").replace("-", "_").lower() for h in HEADERS])
    writer.writerows(_cells(row, ".4f") for row in rows)
    return out.getvalue()


def held_out_figures(states: list[DealState]) -> HeldOutFigures:
    """One model's held-out games as `dictgame iterate` shows them: this analysis's figures
    (one objective, one model: one row), joint points and agreement with their standard
    errors; each game's joint points are what the paired gain compares."""
    games = [played_game(state, "model") for state in states]
    (row,) = analyze(games)
    joint = [float(sum(g.points)) for g in games]
    _, joint_se = mean_se(joint)
    _, agreement_se = mean_se([float(g.deal) for g in games])
    return HeldOutFigures(
        ("joint points", "agreement", "aborted", "Pareto-optimal", "took all"),
        (f"{row.joint_points:.2f} ± {joint_se:.2f}", f"{row.agreement:.0%} ± {agreement_se:.0%}",
         f"{row.aborts:.0%}", f"{row.pareto:.0%}", f"{row.took_all:.0%}"),
        tuple(joint),
    )

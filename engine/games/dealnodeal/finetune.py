"""Self-play fine-tuning data (Liao, Tomlin and Klein 2024): each player's transcript of a game
is one chat example, in the `{"messages": [{"role", "content"}, ...]}` JSONL format that
fine-tuning tools read (OpenAI's, Hugging Face TRL's SFT trainer), kept or not by its score.

Filters, as in the original: `above_avg` keeps a player's transcript when its score is above
the mean of all players' scores in the batch (taken per objective, since scores under
different objectives do not compare), `nonzero` when it is above 0, `all` every one; under
`comp`, a valid deal where both score 0 is kept too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any, Literal

from .game import history, prompt_book
from .scores import objective_scores
from .state import DealState

Filter = Literal["above_avg", "nonzero", "all"]
FILTERS: tuple[Filter, ...] = ("above_avg", "nonzero", "all")


def transcript(state: DealState, seat: int) -> list[dict[str, str]]:
    """The chat as the player saw it: its rules, then each time it was asked and answered
    (the answers that counted; a broken answer that aborted the game is left out)."""
    with state.lock:
        exchanges = history(state, seat)
    messages = [{"role": "system", "content": prompt_book(state.settings).system(seat)}]
    messages.extend({"role": m.role, "content": m.content} for exchange in exchanges for m in exchange)
    return messages


def examples(states: Iterable[DealState], keep: Filter) -> list[dict[str, Any]]:
    """One example per player per game that passes the filter and said anything at all."""
    scored = []
    for state in states:
        with state.lock:
            scores = objective_scores(state.settings.objective, state.points)
            deal = state.deal
        scored.append((state, scores, deal))
    means: dict[str, float] = {}
    for objective in {s.settings.objective for s, _, _ in scored}:
        batch = [score for s, scores, _ in scored if s.settings.objective == objective for score in scores]
        means[objective] = sum(batch) / len(batch)
    kept = []
    for state, scores, deal in scored:
        objective = state.settings.objective
        cutoff = {"above_avg": means[objective], "nonzero": 0.0}.get(keep)
        zero_deal = objective == "comp" and deal and scores == (0, 0)
        for seat in (0, 1):
            if cutoff is not None and not (scores[seat] > cutoff or zero_deal):
                continue
            messages = transcript(state, seat)
            if any(m["role"] == "assistant" for m in messages):
                kept.append({"messages": messages})
    return kept


def jsonl_text(found: Iterable[dict[str, Any]]) -> str:
    return "".join(json.dumps(example, ensure_ascii=False) + "\n" for example in found)

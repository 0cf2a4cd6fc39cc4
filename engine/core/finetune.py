"""Self-play fine-tuning data for every game with a score (Liao, Tomlin and Klein 2024): each
player's transcript of an episode is one chat example, in the `{"messages": [{"role",
"content"}, ...]}` JSONL format that fine-tuning tools read (OpenAI's, Hugging Face TRL's SFT
trainer), kept or not by what the episode earned that player.

The transcript is the prompt of the player's last accepted move, rebuilt as the game built
it (the saved moves before it replayed through the game's own `restore` and `next_turn`:
its rules, then its earlier exchanges as the game showed them), followed by that move's
requests and the answers the game master accepted. Where a turn asks several things (a
Dictionary Discovery update, then the reply), they follow one another in the example.
Runs have no person's edits, so none are replayed.

Filters, as in the original: `above_avg` keeps a transcript whose score is above the mean of
all players' scores in the batch (per the game's reward group), `nonzero` one above 0, `all`
every one. An aborted episode is kept by `all` only; what a game marks `kept` by every one.
`rewarded`, for a game that scores single moves (Dictionary Discovery's right guesses),
keeps one example per rewarded move instead: the chat up to that move, then only the
answers that earned the reward, whatever the episode scored.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from typing import Any, Literal

from .game import EpisodeState, Game, Result, Reward
from .records import Attempt, MoveRecord
from .referee import shown_before
from .registry import game_named

Filter = Literal["above_avg", "nonzero", "all", "rewarded"]
FILTERS: tuple[Filter, ...] = ("above_avg", "nonzero", "all", "rewarded")
Example = dict[str, list[dict[str, str]]]


def reward(game: Game[Any], state: EpisodeState[Any]) -> Reward:
    """The game's own reward, else the Main Score for both players (none when aborted)."""
    with state.lock:
        if game.reward is not None:
            return game.reward(state)
        aborted = game.outcome(state).result is Result.ABORTED
        main = math.nan if aborted else float(game.scores(state).main)
    return Reward((main, main))


def transcript(game: Game[Any], state: EpisodeState[Any], seat: int) -> list[dict[str, str]] | None:
    """The chat as the player saw it up to its last accepted move; None if it never made
    one (a programmatic seat, or a player whose every answer broke the move rules)."""
    with state.lock:
        moves = sorted(state.moves, key=lambda m: m.move_index)
        settings = state.settings
    asked = [m for m in moves if m.seat == seat and not m.violated and any(a.model for a in m.attempts)]
    if not asked:
        return None
    return chat_at(game, settings, moves, asked[-1], None)


def chat_at(
    game: Game[Any], settings: Any, moves: list[MoveRecord], move: MoveRecord, steps: frozenset[str] | None,
) -> list[dict[str, str]]:
    """The chat as the player of `move` saw it, then the answers of `move` the game master
    accepted (only those of `steps`, when given)."""
    turn = game.next_turn(game.restore(settings, moves[: move.move_index], ()))
    if turn is None or turn.seat != move.seat:
        raise ValueError(f"{game.title}: replaying the saved moves does not reach move {move.move_index}")
    messages = [{"role": m.role, "content": m.content} for m in shown_before(turn, settings)
                if m.role != "system" or m.content]
    for step, instruction, answer in accepted(move):
        if steps is None or step in steps:
            messages += [{"role": "user", "content": instruction}, {"role": "assistant", "content": answer}]
    return messages


def rewarded_examples(game: Game[Any], state: EpisodeState[Any]) -> list[Example]:
    """One example per move whose answers earned something on their own (Game.rewarded)."""
    if game.rewarded is None:
        raise ValueError(f"{game.title} scores whole episodes only: use another filter")
    with state.lock:
        moves = sorted(state.moves, key=lambda m: m.move_index)
        settings = state.settings
        earned = game.rewarded(state)
    return [
        {"messages": chat_at(game, settings, moves, move, earned[move.move_index])}
        for move in moves if move.move_index in earned and not move.violated
    ]


def accepted(move: MoveRecord) -> list[tuple[str, str, str]]:
    """Each request of a move that a model answered within the move rules: its step, the game
    master's first words for it, and the answer it accepted (re-prompts and their feedback
    left out)."""
    found: list[tuple[str, str, str]] = []
    pending: list[Attempt] = []
    for attempt in move.attempts:
        if pending and attempt.step != pending[0].step:
            pending = []  # the request before was never answered within the rules
        pending.append(attempt)
        if attempt.violation is None:
            if attempt.model:
                found.append((attempt.step, pending[0].instruction, attempt.raw_output))
            pending = []
    return found


def examples(game: Game[Any], states: Iterable[EpisodeState[Any]], keep: Filter) -> list[Example]:
    """One example per player per episode that passes the filter and said anything at all."""
    if keep not in FILTERS:
        raise ValueError(f"the filter must be one of {', '.join(FILTERS)}, not {keep}")
    if keep == "rewarded":
        return [example for state in states for example in rewarded_examples(game, state)]
    scored = []
    for state in states:
        with state.lock:
            aborted = game.outcome(state).result is Result.ABORTED
        scored.append((state, reward(game, state), aborted))
    means = _means([r for _, r, _ in scored])
    kept: list[Example] = []
    for state, earned, aborted in scored:
        cutoff = {"above_avg": means.get(earned.group, math.nan), "nonzero": 0.0}.get(keep)
        for seat, score in enumerate(earned.scores):
            if cutoff is not None and not earned.kept and (aborted or not score > cutoff):
                continue
            messages = transcript(game, state, seat)
            if messages is not None:
                kept.append({"messages": messages})
    return kept


def _means(rewards: Sequence[Reward]) -> dict[str, float]:
    """The mean score of each group, over the scores there are (NaN: none)."""
    found = {}
    for group in {r.group for r in rewards}:
        batch = [s for r in rewards if r.group == group for s in r.scores if not math.isnan(s)]
        found[group] = sum(batch) / len(batch) if batch else math.nan
    return found


def finetune_examples(game_name: str, states: Iterable[EpisodeState[Any]], keep: Filter) -> list[Example]:
    """The fine-tuning examples of played episodes of the game named `game_name`: what
    `dictgame finetune-data`, `dictgame iterate` and the runs screen write."""
    game = game_named(game_name)
    states = list(states)
    other = {type(s).game_name for s in states} - {game.name}
    if other:
        raise ValueError(f"these episodes play {', '.join(sorted(other))}, not {game.title}")
    return examples(game, states, keep)


def jsonl_text(found: Iterable[Example]) -> str:
    return "".join(json.dumps(example, ensure_ascii=False) + "\n" for example in found)

"""Target 6, long games fit: 60 rounds in a 2048-token window complete without error.

The same headless game as target 1 (played once per run), continued to round 60. When a
prompt and its answer's budget no longer fit, the runtime raises ContextOverflowError before
evaluating anything and the game master shows less history; we count those shrinks by
watching `len(master.conversation(seat))` before and after every move.
"""

from __future__ import annotations

from typing import Any

from .common import game_settings, rnd
from .context import BenchContext

NAME = "long_game"


def _largest_update(game: Any) -> int:
    from dictgame.engine.games.dictionary.rules import update_token_budget

    prompts = [a.prompt_tokens + a.cached_tokens for r in game.records for a in r.attempts
               if a.step == "update"]
    return max(prompts, default=0) + update_token_budget(game_settings(1).max_operations)


def run(ctx: BenchContext) -> dict[str, Any]:
    game = ctx.long_game()
    rounds_played = max((r.round for r in game.records if r.seat == 1), default=0)
    completed = game.error is None and rounds_played >= game.rounds_requested
    per_move = [r.seconds for r in game.records]
    return {
        "met": completed,
        "rounds": game.rounds_requested,
        "rounds_played": rounds_played,
        "n_ctx": game.n_ctx,
        "error": game.error,
        "game_seconds": rnd(game.seconds, 1),
        "other_cores_busy_during_game": rnd(game.other_cores, 2),
        "seconds_per_move_mean": rnd(sum(per_move) / len(per_move)) if per_move else None,
        "window_shrinks": len(game.window_shrinks),
        "shrinks": game.window_shrinks,
        "largest_prompt_tokens": max(
            (a.prompt_tokens + a.cached_tokens for r in game.records for a in r.attempts), default=0
        ),
        "conversation_turns_max": max(game.conversation_lengths, default=0),
        # What was left of the window when the longest update prompt plus its answer budget
        # were in (negative: it had to shrink).
        "headroom_tokens": game.n_ctx - _largest_update(game),
        "criteria": "the game reaches its last round with no error",
    }

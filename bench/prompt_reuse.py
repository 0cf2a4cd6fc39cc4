"""Target 1, prompt reuse per player: a move evaluates only what is new, at round 30 as at round 2.

Measured on a real headless game (the first 30 rounds of the long game): the prompt tokens
each move evaluated (Attempt.prompt_tokens: tokens not found in the player's own KV cache)
and its wall time. The naive baseline is what a seed script did: one shared
`llama_cpp.Llama` and the whole prompt sent on every call, the two players' calls
alternating through it so its prefix reuse cannot help (emptying its cache before each call
is the same and cheaper to replay). It replays the very same prompts (same template, same
tokens) for the moves of round 2 and round 30, generating as many tokens as the engine did
(without the grammar: that flatters the baseline, never the engine), and is timed against
the engine's own wall time for those moves. A kinder variant, the round-30 moves in game
order with the Llama's own prefix reuse inside a move (update -> reply), is reported too.
"""

from __future__ import annotations

import time
from typing import Any

from .common import log, median, raw_generate, raw_llama, rnd
from .context import BenchContext

NAME = "prompt_reuse"
TARGET_ROUND = 30


def _round_moves(game: Any, round_: int) -> list[Any]:
    return [r for r in game.records if r.round == round_]


def comparison_round(game: Any, wanted: int) -> int:
    """`wanted`, or the last round before the first window shrink (a shrink re-evaluates once)."""
    last = max((r.round for r in game.records), default=1)
    limit = min(wanted, last)
    if game.window_shrinks:
        limit = min(limit, game.window_shrinks[0]["round"] - 1)
    return max(limit, 2)


def _replay_naive(
    ctx: BenchContext, game: Any, moves: list[int], *, reuse: bool
) -> tuple[dict[int, float], int, int]:
    """Seconds per move for the naive shared-Llama baseline, replaying the game's calls.

    Without `reuse`, the Llama's cache is emptied before each call: the whole prompt is
    evaluated, as when the two players' calls alternate through it (each player's prompt
    starts with its own system prompt, so they share only their first few tokens). With
    `reuse`, calls go in game order and the Llama's built-in prefix reuse keeps what it can.
    """
    from dictgame.engine.players.llama import LlamaBackend

    tokenizer_backend = LlamaBackend(n_ctx=256, n_threads=ctx.n_threads)
    model = tokenizer_backend.model(ctx.model)
    calls = [c for c in game.calls if c.move_index in moves]
    prepared = [(c, model.tokenize_prompt(model.render(c.request.messages))) for c in calls]
    needed = max(len(t) + max(1, c.generation.completion_tokens) for c, t in prepared)
    n_ctx = max(game.n_ctx, 1 << (needed - 1).bit_length())
    llm = raw_llama(ctx.model, n_ctx=n_ctx, n_threads=ctx.n_threads)
    seconds: dict[int, float] = {}
    try:
        for call, tokens in prepared:
            if not reuse:
                llm.reset()
            result = raw_generate(
                llm, tokens, max(1, call.generation.completion_tokens),
                temp=call.request.temperature, seed=call.request.seed,
            )
            seconds[call.move_index] = seconds.get(call.move_index, 0.0) + result["seconds"]
    finally:
        llm.close()
        tokenizer_backend.close()
    return seconds, n_ctx, needed


def run(ctx: BenchContext) -> dict[str, Any]:
    game = ctx.long_game(min_rounds=TARGET_ROUND)
    if game.error and len(game.records) < 8:
        return {"met": False, "error": game.error}
    late = comparison_round(game, TARGET_ROUND)
    early_moves = _round_moves(game, 2)
    late_moves = _round_moves(game, late)
    per_round = {}
    for record in game.records:
        per_round.setdefault(record.round, []).append(record.prompt_tokens)
    early_tokens = median(r.prompt_tokens for r in early_moves)
    late_tokens = median(r.prompt_tokens for r in late_moves)
    late_cached = median(max(a.cached_tokens for a in r.attempts) for r in late_moves)

    early_idx = [r.move_index for r in early_moves]
    late_idx = [r.move_index for r in late_moves]
    replay = sorted({*early_idx, *late_idx})
    log(f"prompt_reuse: naive shared-Llama replay of moves {replay} (rounds 2 and {late})")
    started = time.perf_counter()
    naive, naive_ctx, naive_needed = _replay_naive(ctx, game, replay, reuse=False)
    # The same late moves in game order, keeping the Llama's own prefix reuse inside a move
    # (update -> reply of one player): a kinder baseline, reported for comparison.
    kind, _, _ = _replay_naive(ctx, game, late_idx, reuse=True)
    log(f"  replay took {time.perf_counter() - started:.0f}s")
    engine_early = median(r.seconds for r in early_moves)
    engine_late = median(r.seconds for r in late_moves)
    naive_early = median(naive[i] for i in early_idx)
    naive_late = median(naive[i] for i in late_idx)

    token_ratio = late_tokens / early_tokens if early_tokens else float("inf")
    speedup = naive_late / engine_late if engine_late else 0.0
    kind_late = median(kind[i] for i in late_idx)
    met = token_ratio <= 2.0 and speedup >= 3.0
    return {
        "met": met,
        "compare_round": late,
        "prompt_tokens_per_move_round2": early_tokens,
        f"prompt_tokens_per_move_round{late}": late_tokens,
        "prompt_token_ratio_late_vs_round2": rnd(token_ratio),
        f"largest_cached_prefix_round{late}": late_cached,
        "other_cores_busy_during_game": rnd(game.other_cores, 2),
        "engine_seconds_per_move_round2": rnd(engine_early),
        f"engine_seconds_per_move_round{late}": rnd(engine_late),
        "naive_seconds_per_move_round2": rnd(naive_early),
        f"naive_seconds_per_move_round{late}": rnd(naive_late),
        "speedup_vs_naive_late": rnd(speedup, 2),
        f"naive_in_game_order_seconds_per_move_round{late}": rnd(kind_late),
        "speedup_vs_naive_in_game_order_late": rnd(kind_late / engine_late if engine_late else 0.0, 2),
        "naive_n_ctx": naive_ctx,
        "naive_tokens_needed": naive_needed,
        "prompt_tokens_per_round": {r: sum(v) for r, v in sorted(per_round.items()) if r <= late},
        "threads": game.n_threads,
        "criteria": "late/round2 prompt tokens <= 2.0 and naive/engine seconds at late round >= 3.0",
    }

"""Target 3, decode speed: tokens/s inside a headless game vs a raw llama-cpp-python loop.

A real game is played move by move (GameMaster, transcript printer writing to memory); after
each move, a raw `Llama.generate` loop (same GGUF, threads, context and batch, greedy) writes
64 tokens after that move's update prompt, so the two alternate A B A B at the same context
lengths and share the machine's noise. In-game decode speed is each attempt's
completion_tokens / (seconds - prompt_seconds) (Generation.tokens_per_second), summed over
reply and update attempts; this includes the game's sampler chain, the lazily checked JSON
grammar on updates and streaming to the printer. Raw speed is (n - 1) / (time of the last
token - time of the first), i.e. decode only, its prompt excluded.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .common import decode_speed, log, median, play_game, raw_generate, raw_llama, rnd
from .context import WORDS, BenchContext

NAME = "decode_speed"
RAW_TOKENS = 64
N_CTX = 4096


def measure(model: Path, *, rounds: int, n_threads: int, n_ctx: int = N_CTX) -> dict[str, Any]:
    from dictgame.engine.players.llama import LlamaBackend

    tokenizer_backend = LlamaBackend(n_ctx=256, n_threads=n_threads)
    tokenizer = tokenizer_backend.model(model)
    llm = raw_llama(model, n_ctx=n_ctx, n_threads=n_threads)
    raw_runs: list[dict[str, float]] = []
    pairs: list[float] = []

    def after_move(record: Any, played: Any) -> None:
        calls = [c for c in played.calls if c.move_index == record.move_index]
        if not calls:
            return
        update = next((c for c in calls if c.request.json_schema is not None), calls[0])
        tokens = tokenizer.tokenize_prompt(tokenizer.render(update.request.messages))
        raw = raw_generate(llm, tokens, RAW_TOKENS, temp=0.0)
        raw_runs.append(raw)
        move_tokens, move_seconds = decode_speed(record.attempts)
        if move_seconds > 0 and raw["decode_seconds"] > 0:
            pairs.append((move_tokens / move_seconds) / ((raw["tokens"] - 1) / raw["decode_seconds"]))

    try:
        game = play_game(model, rounds=rounds, n_ctx=n_ctx, n_threads=n_threads, words=WORDS,
                         seed=11, progress_every=0, after_move=after_move)
    finally:
        llm.close()
        tokenizer_backend.close()
    attempts = [a for r in game.records for a in r.attempts]
    game_tokens, game_seconds = decode_speed(attempts)
    reply_tokens, reply_seconds = decode_speed(a for a in attempts if a.step != "update")
    update_tokens, update_seconds = decode_speed(a for a in attempts if a.step == "update")
    raw_tokens = sum(r["tokens"] - 1 for r in raw_runs)
    raw_seconds = sum(r["decode_seconds"] for r in raw_runs)
    in_game = game_tokens / game_seconds if game_seconds else 0.0
    raw_speed = raw_tokens / raw_seconds if raw_seconds else 0.0
    ratio = in_game / raw_speed if raw_speed else 0.0
    return {
        "met": ratio >= 0.9 and game.error is None,
        "ratio_in_game_vs_raw": rnd(ratio),
        "median_pair_ratio": rnd(median(pairs)),
        "in_game_tokens_per_s": rnd(in_game, 1),
        "in_game_reply_tokens_per_s": rnd(reply_tokens / reply_seconds, 1) if reply_seconds else None,
        "in_game_update_tokens_per_s": rnd(update_tokens / update_seconds, 1) if update_seconds else None,
        "raw_tokens_per_s": rnd(raw_speed, 1),
        "in_game_tokens": game_tokens,
        "raw_tokens": raw_tokens,
        "pairs": len(pairs),
        "threads": n_threads,
        "n_ctx": n_ctx,
        "error": game.error,
        "criteria": "in-game decode tokens/s >= 0.9 x raw Llama.generate loop, interleaved per move",
    }


def run(ctx: BenchContext) -> dict[str, Any]:
    rounds = 2 if ctx.quick else 4
    log(f"decode_speed: {rounds}-round game interleaved with a raw Llama.generate loop")
    result = measure(ctx.model, rounds=rounds, n_threads=ctx.n_threads)
    return result

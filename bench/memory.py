"""Issue 11: per-move prompt tokens and seconds over a long game, memory beside today's window.

The same 150-round free game in a 2048-token context is played twice on the embedded model:
with today's window (the whole history until the context is full, then the older half
dropped) and with memory (recent exchanges under a token budget plus retrieved memories).
Each reports, by windows of rounds, the prompt size, the tokens the model had to evaluate
(the rest came from its cache) and the seconds per move. Flat means the last window's
prompt size is within 1.5x of the second window's. `python -m bench.memory [--rounds N]`
runs it alone.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from typing import Any

from .common import default_threads, log, rnd, smollm2_path
from .context import BenchContext

NAME = "memory"
ROUNDS, N_CTX, WORDS = 150, 2048, 6
# Windows of rounds the figures are reported for.
WINDOW = 10
GOAL = "memory: late prompt tokens <= 1.5x round 11-20's, no error, over 150 rounds"


def play(memory: bool, rounds: int, n_threads: int) -> dict[str, Any]:
    """One game; per move: prompt size, tokens evaluated, seconds."""
    from dictgame.engine.core.episode import GameMaster, NoSaver
    from dictgame.engine.core.episode import play as play_episode
    from dictgame.engine.games.dictionary.settings import GameSettings
    from dictgame.engine.games.dictionary.state import GameState
    from dictgame.engine.players.llama import LlamaBackend

    backend = LlamaBackend(n_ctx=N_CTX, n_threads=n_threads)
    model = smollm2_path()
    # One operation an update: the figures are about the prompt, and a shorter answer lets
    # 300 moves of each game finish on two shared cores.
    settings = GameSettings(rounds=rounds, words_per_message=WORDS, seed=7, memory=memory,
                            max_operations=1)
    state = GameState(settings)
    master = GameMaster(state, (backend.session(model), backend.session(model)))
    error = None
    started = time.perf_counter()
    try:
        play_episode(master, NoSaver())
    except Exception as failure:  # noqa: BLE001 - reported in the figures
        error = f"{type(failure).__name__}: {failure}"
    finally:
        backend.close()
    moves = [
        {
            "round": r.round,
            "prompt": max((a.prompt_tokens + a.cached_tokens for a in r.attempts), default=0),
            "evaluated": sum(a.prompt_tokens for a in r.attempts),
            "seconds": r.seconds,
            "retrieved": len(r.retrieved),
            "reflections": len(r.reflections),
        }
        for r in state.records
    ]
    return {"error": error, "seconds": time.perf_counter() - started, "moves": moves}


def by_window(moves: list[dict[str, Any]], rounds: int) -> list[dict[str, Any]]:
    rows = []
    for first in range(1, rounds + 1, WINDOW):
        inside = [m for m in moves if first <= m["round"] < first + WINDOW]
        if not inside:
            continue
        rows.append({
            "rounds": f"{first}-{first + WINDOW - 1}",
            "prompt_tokens": rnd(statistics.mean(m["prompt"] for m in inside), 0),
            "evaluated_tokens": rnd(statistics.mean(m["evaluated"] for m in inside), 0),
            "seconds": rnd(statistics.mean(m["seconds"] for m in inside), 2),
        })
    return rows


def compare(rounds: int, n_threads: int) -> dict[str, Any]:
    result: dict[str, Any] = {"rounds": rounds, "n_ctx": N_CTX, "threads": n_threads}
    for name, memory in (("window", False), ("memory", True)):
        log(f"memory bench: {rounds} rounds with {name}")
        game = play(memory, rounds, n_threads)
        rows = by_window(game["moves"], rounds)
        result[name] = {
            "error": game["error"],
            "rounds_played": max((m["round"] for m in game["moves"]), default=0),
            "game_seconds": rnd(game["seconds"], 1),
            "reflections": sum(m["reflections"] for m in game["moves"]),
            "by_rounds": rows,
        }
        log(f"  {name}: {json.dumps(rows[-1] if rows else {})}")
    rows = result["memory"]["by_rounds"]
    if len(rows) >= 3:
        result["memory_late_vs_early_prompt"] = rnd(
            rows[-1]["prompt_tokens"] / max(rows[1]["prompt_tokens"], 1), 2)
    result["met"] = (result["memory"]["error"] is None
                     and result["memory"]["rounds_played"] >= rounds
                     and result.get("memory_late_vs_early_prompt", 9) <= 1.5)
    return result


def run(ctx: BenchContext) -> dict[str, Any]:
    return compare(40 if ctx.quick else ROUNDS, ctx.n_threads)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    print(json.dumps(compare(args.rounds, args.threads or default_threads())))


if __name__ == "__main__":
    main()

"""Target 2, shared weights: a second player on the same GGUF costs at most 200 MiB more.

Each case runs in a fresh process (peak RSS never goes down): load the model through the
runtime, open one session and generate, or open two sessions and generate on each. Peak RSS
is VmHWM. For contrast, a third case loads the file twice (two backends), which is what two
`Llama` objects do. On a GPU build the runtime loads the weights once (one llama_model per
file, one llama_context per player), so VRAM holds one copy; that cannot be tested here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from .common import log, rnd, run_worker
from .context import BenchContext

NAME = "shared_weights"
LIMIT_MIB = 200.0


def _worker(model: str, mode: str, n_ctx: int) -> None:
    from dictgame.engine.backend import ChatMessage, GenerationRequest
    from dictgame.engine.players.llama import LlamaBackend

    from .common import peak_rss_mib

    baseline = peak_rss_mib()
    request = GenerationRequest(
        messages=(ChatMessage("system", "You speak Spanish."), ChatMessage("user", "Greet Bruno.")),
        max_tokens=24, temperature=0.7, seed=1,
    )
    backends = [LlamaBackend(n_ctx=n_ctx)]
    if mode == "two_loads":
        backends.append(LlamaBackend(n_ctx=n_ctx))
    sessions = [backends[0].session(Path(model))]
    if mode == "two":
        sessions.append(backends[0].session(Path(model)))
    elif mode == "two_loads":
        sessions.append(backends[1].session(Path(model)))
    for session in sessions:
        session.generate(request)
    print(json.dumps({"peak_rss_mib": peak_rss_mib(), "before_load_mib": baseline}))


def measure(model: Path, n_ctx: int = 4096) -> dict[str, Any]:
    one = run_worker(NAME, str(model), "one", str(n_ctx))
    two = run_worker(NAME, str(model), "two", str(n_ctx))
    loads = run_worker(NAME, str(model), "two_loads", str(n_ctx))
    extra = two["peak_rss_mib"] - one["peak_rss_mib"]
    return {
        "met": extra <= LIMIT_MIB,
        "one_player_peak_rss_mib": rnd(one["peak_rss_mib"], 1),
        "two_players_peak_rss_mib": rnd(two["peak_rss_mib"], 1),
        "second_player_extra_mib": rnd(extra, 1),
        "limit_mib": LIMIT_MIB,
        "model_loaded_twice_peak_rss_mib": rnd(loads["peak_rss_mib"], 1),
        "n_ctx": n_ctx,
        "gpu": "not tested (no GPU here); with offload the weights are loaded once: one "
        "llama_model per GGUF file, one llama_context (KV cache) per player",
        "criteria": "two-player peak RSS - one-player peak RSS <= 200 MiB",
    }


def run(ctx: BenchContext) -> dict[str, Any]:
    log(f"shared_weights: one vs two players on {ctx.model.name}, fresh processes")
    return measure(ctx.model)


if __name__ == "__main__" and sys.argv[1:2] == ["--worker"]:
    _worker(sys.argv[2], sys.argv[3], int(sys.argv[4]))

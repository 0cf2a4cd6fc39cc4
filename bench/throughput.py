"""Many episodes at once (issue 12): episodes per hour at N = 1, 2, 4 in flight, in-process and
through a local OpenAI-compatible server, for one fixed seeded experiment on the embedded model.
In-process two ways, side by side: the players decoding together in one shared context (what
`dictgame run --parallel N` does) and, for comparison, a thread pool of contexts of their own.

Each configuration plays the same episodes (the dictionary game's instances drawn from seed 0,
in order) through the real runner (`tui.runner.play_run`, as `dictgame run --parallel N`),
into a save file of its own. Figures:
- episodes per hour and generated tokens per second, all episodes together, per N and kind
  (for the shared context, also the mean number of sequences a decode took);
- the server backend's overhead per generated token against in-process decoding, for the
  first episode played alone (wall seconds of every request over the tokens they generated);
- memory per extra in-process episode: peak RSS of fresh processes holding 1 and 4 episodes'
  players (two contexts each) on the one loaded model.

The server is llama-cpp-python's own (`python -m llama_cpp.server`, started without AMX
repacking by tests/llama_server.py), which answers one request at a time: N concurrent
episodes only queue there. A batching server (llama.cpp's llama-server, vLLM) is what N > 1
is for; this benchmark measures what is installed.
"""

from __future__ import annotations

import importlib.util
import io
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from .common import ROOT, log, peak_rss_mib, rnd, run_worker
from .context import BenchContext

NAME = "throughput"
PARALLEL = (1, 2, 4)
GOAL = "in-process N=4 >= 2x N=1 episodes per hour"


def _experiment(quick: bool) -> tuple[int, int]:
    """(episodes, rounds) of the fixed experiment."""
    return (4, 1) if quick else (8, 2)


def _loopback_server() -> Any:
    """tests/llama_server.py's LoopbackServer (the tests and this benchmark share it)."""
    spec = importlib.util.spec_from_file_location("llama_server", ROOT / "tests" / "llama_server.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.LoopbackServer


def _config(db: Path, rounds: int, n_threads: int, base_url: str | None) -> Any:
    from dictgame.tui.config import DictgameConfig

    return DictgameConfig(
        db=db,
        game="dictionary",
        seed=0,
        games={"dictionary": {"rounds": rounds, "words_per_message": 6}},
        runtime={"threads": n_threads, "context_size": 2048},
        base_url=[base_url] if base_url else [],
    )


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, every thread) a process has used so far."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def play(
    folder: Path, label: str, episodes: int, rounds: int, parallel: int, n_threads: int,
    base_url: str | None, model_pid: int, batched: bool = True,
) -> dict[str, Any]:
    """Play the experiment's first `episodes` episodes, `parallel` at a time; `model_pid` is
    the process that decodes (this one, or the server), whose CPU use is reported. In-process,
    `batched` as `dictgame run` does; else each player in a context of its own."""
    from dictgame.engine.games import get_game
    from dictgame.saves import GameStore
    from dictgame.saves.runs import create_run
    from dictgame.saves.runs import episodes as run_episodes
    from dictgame.tui.players import check_servers, open_backend
    from dictgame.tui.runner import play_run

    game = get_game("dictionary")
    instances = [
        (experiment.name, {"game_id": number, **instance})
        for experiment in game.experiments(0)
        for number, instance in enumerate(experiment.instances)
    ][:episodes]
    config = check_servers(_config(folder / f"{label}.db", rounds, n_threads, base_url), game)
    backend = open_backend(config, parallel=parallel if batched else 1)
    batching: dict[str, Any] = {}
    try:
        with GameStore.open(config.db) as store:
            run_id = create_run(store, game.name, {"game": game.name, "seed": 0}, instances)
            if base_url is None:
                backend.local.model(Path(config.model_for(0) or _model()))  # load before timing
            started, cpu = time.perf_counter(), cpu_seconds(model_pid)
            play_run(store, run_id, config, backend, io.StringIO(), parallel=parallel)
            seconds = time.perf_counter() - started
            cpu = cpu_seconds(model_pid) - cpu
            states = [store.load_game(row.game_id) for row in run_episodes(store, run_id)]
            if base_url is None and parallel > 1 and batched:
                decodes, sequences = backend.local.decode_counts()  # type: ignore[attr-defined]
                batching = {"decodes": decodes,
                            "mean_sequences_per_decode": rnd(sequences / max(decodes, 1), 2)}
    finally:
        backend.close()
    attempts = [a for state in states for move in state.moves for a in move.attempts if a.model]
    tokens = sum(a.completion_tokens for a in attempts)
    return {
        "episodes": len(states),
        "seconds": rnd(seconds, 1),
        "episodes_per_hour": rnd(len(states) / seconds * 3600, 1),
        "requests": len(attempts),
        "tokens_generated": tokens,
        "tokens_per_second": rnd(tokens / seconds, 1),
        # Cores the decoding process kept busy: what the machine gave it, out of 2.
        "decoding_cores_used": rnd(cpu / seconds, 2),
        "first_episode": _per_token(states[0]),
        **batching,
    }


def _model() -> Path:
    from dictgame.models import embedded_model_path

    return Path(embedded_model_path())


def _per_token(state: Any) -> dict[str, float]:
    """Wall and decode milliseconds per generated token over an episode's requests."""
    attempts = [a for move in state.moves for a in move.attempts if a.model]
    tokens = sum(a.completion_tokens for a in attempts) or 1
    wall = sum(a.seconds for a in attempts)
    decoding = sum(a.seconds - a.prompt_seconds for a in attempts)
    return {"ms_per_token": rnd(1000 * wall / tokens, 2),
            "decode_ms_per_token": rnd(1000 * decoding / tokens, 2), "tokens": tokens}


def _memory_worker(model: str, pairs: int, n_ctx: int, shared: bool) -> None:
    """Peak RSS with `pairs` episodes' players (two contexts each, or two sequences each of
    one shared context) on one loaded model."""
    from dictgame.engine.backend import ChatMessage, GenerationRequest
    from dictgame.engine.players.llama import LlamaBackend

    request = GenerationRequest(
        messages=(ChatMessage("system", "You speak Spanish."), ChatMessage("user", "Greet Bruno.")),
        max_tokens=16, seed=1,
    )
    backend = LlamaBackend(n_ctx=n_ctx, n_threads=1, batch_sequences=2 * pairs if shared else 1)
    sessions = [backend.session(Path(model)) for _ in range(2 * pairs)]
    for session in sessions:
        session.generate(request)
    print(json.dumps({"peak_rss_mib": peak_rss_mib()}))


def memory_per_episode(model: Path, n_ctx: int) -> dict[str, Any]:
    one = run_worker(NAME, str(model), "1", str(n_ctx), "own")
    four = run_worker(NAME, str(model), "4", str(n_ctx), "own")
    shared = run_worker(NAME, str(model), "4", str(n_ctx), "shared")
    return {
        "n_ctx": n_ctx,
        "peak_rss_1_episode_mib": rnd(one["peak_rss_mib"], 1),
        "peak_rss_4_episodes_mib": rnd(four["peak_rss_mib"], 1),
        "mib_per_extra_episode": rnd((four["peak_rss_mib"] - one["peak_rss_mib"]) / 3, 1),
        "peak_rss_4_episodes_shared_context_mib": rnd(shared["peak_rss_mib"], 1),
        "mib_per_extra_episode_shared_context": rnd(
            (shared["peak_rss_mib"] - one["peak_rss_mib"]) / 3, 1),
    }


def speedup(series: dict[int, dict[str, Any]], n: int) -> float:
    """Episodes per hour at N over those at N = 1, in one series."""
    return rnd(series[n]["episodes_per_hour"] / series[1]["episodes_per_hour"], 2)


def run(ctx: BenchContext) -> dict[str, Any]:
    episodes, rounds = _experiment(ctx.quick)
    log(f"throughput: {episodes} dictionary episodes of {rounds} round(s), N = {PARALLEL}, "
        f"{ctx.n_threads} thread(s) per context")
    results: dict[str, Any] = {"episodes": episodes, "rounds": rounds, "threads": ctx.n_threads}
    with tempfile.TemporaryDirectory(prefix="dictgame-throughput-") as temporary:
        folder = Path(temporary)
        in_process: dict[int, dict[str, Any]] = {}
        own_contexts: dict[int, dict[str, Any]] = {}
        for parallel in PARALLEL:
            # N = 1 is one context a player either way.
            in_process[parallel] = play(folder, f"local-{parallel}", episodes, rounds, parallel,
                                        ctx.n_threads, None, os.getpid())
            kind = "shared context" if parallel > 1 else "one context a player"
            log(f"  in-process N={parallel} ({kind}): "
                f"{in_process[parallel]['episodes_per_hour']} episodes/h")
            if parallel > 1:
                own_contexts[parallel] = play(folder, f"own-{parallel}", episodes, rounds,
                                              parallel, ctx.n_threads, None, os.getpid(),
                                              batched=False)
                log(f"  in-process N={parallel} (thread pool, own contexts): "
                    f"{own_contexts[parallel]['episodes_per_hour']} episodes/h")
        own_contexts[1] = in_process[1]
        server_type = _loopback_server()
        served = {}
        server = server_type(ctx.model, folder / "server.log", "--n_threads", str(ctx.n_threads),
                             "--n_threads_batch", str(ctx.n_threads), "--n_ctx", "2048")
        with server:
            for parallel in PARALLEL:
                served[parallel] = play(folder, f"server-{parallel}", episodes, rounds, parallel,
                                        ctx.n_threads, server.url, server.process.pid)
                log(f"  server N={parallel}: {served[parallel]['episodes_per_hour']} episodes/h")
    local_token = in_process[1]["first_episode"]
    server_token = served[1]["first_episode"]
    scaling = speedup(in_process, 4)
    results.update({
        "in_process": {f"N={n}": r for n, r in in_process.items()},
        "in_process_own_contexts": {f"N={n}": r for n, r in own_contexts.items() if n > 1},
        "in_process_speedup_vs_n1": {f"N={n}": speedup(in_process, n) for n in PARALLEL},
        "own_contexts_speedup_vs_n1": {f"N={n}": speedup(own_contexts, n) for n in PARALLEL},
        "shared_vs_own_contexts": {
            f"N={n}": rnd(in_process[n]["episodes_per_hour"]
                          / own_contexts[n]["episodes_per_hour"], 2)
            for n in PARALLEL if n > 1},
        "server": {f"N={n}": r for n, r in served.items()},
        "in_process_speedup_n4_vs_n1": scaling,
        "server_speedup_n4_vs_n1": rnd(
            served[4]["episodes_per_hour"] / served[1]["episodes_per_hour"], 2),
        "server_overhead_ms_per_token": rnd(
            server_token["ms_per_token"] - local_token["ms_per_token"], 2),
        "server_vs_in_process_per_token": rnd(
            server_token["ms_per_token"] / local_token["ms_per_token"], 2),
        "memory": memory_per_episode(ctx.model, 2048),
        "server_kind": "llama-cpp-python server (one request at a time)",
        "met": scaling >= 2.0,
        "criteria": GOAL,
    })
    return results


if __name__ == "__main__" and sys.argv[1:2] == ["--worker"]:
    _memory_worker(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "shared")

"""Many episodes at once (issue 12): episodes per hour at N = 1, 2, 4 (and 8, but for `--quick`)
in flight, in-process and through local OpenAI-compatible servers, for one fixed seeded
experiment on the embedded model.
In-process two ways, side by side: each player in a context of its own, the episodes in a
thread pool (what `dictgame run --parallel N` does), and the players decoding together as
sequences of shared contexts (`runtime.shared_context = true`).

Each configuration plays the same episodes (the dictionary game's instances drawn from seed 0,
in order) through the real runner (`tui.runner.play_run`, as `dictgame run --parallel N`),
into a save file of its own. Figures:
- episodes per hour and generated tokens per second, all episodes together, per N and kind
  (for the shared context, also the mean number of sequences a decode took);
- the server backend's overhead per generated token against in-process decoding, for the
  first episode played alone (wall seconds of every request over the tokens they generated);
- memory per extra in-process episode: peak RSS of fresh processes holding 1 and 4 episodes'
  players (two contexts each) on the one loaded model.

Two servers, each playing the same episodes: llama-cpp-python's own (`python -m
llama_cpp.server`, started without AMX repacking by tests/llama_server.py), which answers one
request at a time, so N concurrent episodes only queue there; and llama.cpp's `llama-server`,
built from the same llama.cpp by `python -m bench.llama_server`, whose slots (one per episode
in flight, 2048 tokens each) decode concurrent requests together. The full run builds it
first if it is not cached (once, long on two cores); `--quick` only uses a cached one. Where
it cannot be built (no cmake, no compiler), that series is skipped with the reason.
llama-server samples with its own sampler chain, so from the same seeds its answers (and how
many tokens they take) differ from the in-process ones: compare tokens per second too.
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

from . import llama_server
from .common import ROOT, log, peak_rss_mib, rnd, run_worker
from .context import BenchContext

NAME = "throughput"
GOAL = "in-process N=4 >= 2x N=1 episodes per hour"
SLOT_CTX = 2048  # llama-server's tokens per slot: the in-process runs' context size


def _parallels(quick: bool) -> tuple[int, ...]:
    """Episodes in flight per configuration; N = 8 needs the full run's 8 episodes."""
    return (1, 2, 4) if quick else (1, 2, 4, 8)


def _experiment(quick: bool) -> tuple[int, int]:
    """(episodes, rounds) of the fixed experiment."""
    return (4, 1) if quick else (8, 2)


def _loopback_server(name: str = "LoopbackServer") -> Any:
    """A server class of tests/llama_server.py (the tests and this benchmark share them):
    `LoopbackServer` (llama-cpp-python's server) or `LlamaCppServer` (llama-server)."""
    path = ROOT / "tests" / "llama_server.py"
    spec = importlib.util.spec_from_file_location("llama_server", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return getattr(module, name)


def _config(
    db: Path, rounds: int, n_threads: int, base_url: str | None, schema_form: str, shared: bool
) -> Any:
    from dictgame.tui.services.config import DictgameConfig

    return DictgameConfig(
        db=db,
        game="dictionary",
        seed=0,
        games={"dictionary": {"rounds": rounds, "words_per_message": 6}},
        runtime={"threads": n_threads, "context_size": SLOT_CTX, "shared_context": shared},
        base_url=[base_url] if base_url else [],
        server={"schema_form": schema_form},
    )


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system, every thread) a process has used so far."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def play(
    folder: Path, label: str, episodes: int, rounds: int, parallel: int, n_threads: int,
    base_url: str | None, model_pid: int, batched: bool = False, schema_form: str = "json_object",
) -> dict[str, Any]:
    """Play the experiment's first `episodes` episodes, `parallel` at a time; `model_pid` is
    the process that decodes (this one, or the server), whose CPU use is reported. In-process,
    each player in a context of its own as `dictgame run` does, or, `batched`, the players as
    sequences of shared contexts (`runtime.shared_context`). Through a
    server, JSON schemas are sent in `schema_form` (see dictgame's `server.schema_form`)."""
    from dictgame.engine.games import get_game
    from dictgame.saves import GameStore
    from dictgame.saves.runs import create_run
    from dictgame.saves.runs import episodes as run_episodes
    from dictgame.tui.services.players import check_servers, open_backend
    from dictgame.tui.services.runner import play_run

    game = get_game("dictionary")
    instances = [
        (experiment.name, {"game_id": number, **instance})
        for experiment in game.experiments(0)
        for number, instance in enumerate(experiment.instances)
    ][:episodes]
    config = check_servers(
        _config(folder / f"{label}.db", rounds, n_threads, base_url, schema_form, batched), game)
    backend = open_backend(config, parallel=parallel)
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


def _through(server: Any, label: str, folder: Path, parallels: tuple[int, ...], episodes: int,
             rounds: int, n_threads: int, schema_form: str = "json_object") -> dict[int, Any]:
    """The experiment through one server at each N, the server started once for them all."""
    played: dict[int, Any] = {}
    with server:
        for parallel in parallels:
            played[parallel] = play(folder, f"{label}-{parallel}", episodes, rounds, parallel,
                                    n_threads, server.url, server.process.pid,
                                    schema_form=schema_form)
            log(f"  {label} N={parallel}: {played[parallel]['episodes_per_hour']} episodes/h, "
                f"{played[parallel]['decoding_cores_used']} cores busy in the server")
    return played


def _llama_server_binary(quick: bool) -> tuple[Path | None, str]:
    """The built llama-server, or None and why not (`--quick` builds nothing)."""
    found = llama_server.cached_binary()
    if found is not None or quick:
        return found, "" if found else (
            "not built, and --quick builds nothing: run `python -m bench.llama_server` once")
    log(f"  llama-server: building it once (`python -m bench.llama_server`; long on two cores, "
        f"log in {llama_server.DEFAULT_DIR})")
    try:
        return llama_server.build(quiet=True), ""
    except llama_server.BuildUnavailable as error:
        return None, str(error)


def _llama_server_series(ctx: BenchContext, folder: Path, parallels: tuple[int, ...],
                         episodes: int, rounds: int) -> tuple[dict[int, Any], dict[str, Any]]:
    """The experiment through llama-server with a slot per episode in flight, or the reason
    it was not measured (this series must not hide the others)."""
    binary, why = _llama_server_binary(ctx.quick)
    if binary is None:
        log(f"  llama-server: skipped ({why})")
        return {}, {"llama_server_skipped": why}
    server = _loopback_server("LlamaCppServer")(
        binary, ctx.model, folder / "llama-server.log", "--threads", str(ctx.n_threads),
        "--threads-batch", str(ctx.n_threads), slots=max(parallels), slot_ctx=SLOT_CTX)
    try:
        # llama-server takes JSON schemas in OpenAI's form.
        played = _through(server, "llama-server", folder, parallels, episodes, rounds,
                          ctx.n_threads, schema_form="json_schema")
    except Exception as error:  # noqa: BLE001 - reported with the other series' figures
        log(f"  llama-server: failed ({type(error).__name__}: {error})")
        return {}, {"llama_server_error": f"{type(error).__name__}: {error}"}
    return played, {
        "llama_server_kind": (f"llama.cpp llama-server from llama-cpp-python "
                              f"{llama_server.installed_version()}'s sdist, {max(parallels)} "
                              f"slots of {SLOT_CTX} tokens"),
    }


def _ratios(series: dict[int, Any], parallels: tuple[int, ...]) -> dict[str, float]:
    return {f"N={n}": speedup(series, n) for n in parallels}


def run(ctx: BenchContext) -> dict[str, Any]:
    episodes, rounds = _experiment(ctx.quick)
    parallels = _parallels(ctx.quick)
    log(f"throughput: {episodes} dictionary episodes of {rounds} round(s), N = {parallels}, "
        f"{ctx.n_threads} thread(s) per context")
    results: dict[str, Any] = {"episodes": episodes, "rounds": rounds, "threads": ctx.n_threads}
    with tempfile.TemporaryDirectory(prefix="dictgame-throughput-") as temporary:
        folder = Path(temporary)
        in_process: dict[int, dict[str, Any]] = {}
        shared: dict[int, dict[str, Any]] = {}
        for parallel in parallels:
            # N = 1 is one context a player either way.
            in_process[parallel] = play(folder, f"local-{parallel}", episodes, rounds, parallel,
                                        ctx.n_threads, None, os.getpid())
            log(f"  in-process N={parallel} (contexts of their own): "
                f"{in_process[parallel]['episodes_per_hour']} episodes/h, "
                f"{in_process[parallel]['decoding_cores_used']} cores busy")
            if parallel > 1:
                shared[parallel] = play(folder, f"shared-{parallel}", episodes, rounds,
                                        parallel, ctx.n_threads, None, os.getpid(), batched=True)
                log(f"  in-process N={parallel} (shared contexts): "
                    f"{shared[parallel]['episodes_per_hour']} episodes/h, "
                    f"{shared[parallel]['decoding_cores_used']} cores busy")
        shared[1] = in_process[1]
        server = _loopback_server()(
            ctx.model, folder / "server.log", "--n_threads", str(ctx.n_threads),
            "--n_threads_batch", str(ctx.n_threads), "--n_ctx", str(SLOT_CTX))
        served = _through(server, "server", folder, parallels, episodes, rounds, ctx.n_threads)
        slots, slots_note = _llama_server_series(ctx, folder, parallels, episodes, rounds)
    local_token = in_process[1]["first_episode"]
    server_token = served[1]["first_episode"]
    scaling = speedup(in_process, 4)
    results.update({
        "in_process": {f"N={n}": r for n, r in in_process.items()},
        "in_process_shared_contexts": {f"N={n}": r for n, r in shared.items() if n > 1},
        "in_process_speedup_vs_n1": _ratios(in_process, parallels),
        "shared_contexts_speedup_vs_n1": _ratios(shared, parallels),
        "shared_vs_own_contexts": {
            f"N={n}": rnd(shared[n]["episodes_per_hour"]
                          / in_process[n]["episodes_per_hour"], 2)
            for n in parallels if n > 1},
        "server": {f"N={n}": r for n, r in served.items()},
        "in_process_speedup_n4_vs_n1": scaling,
        "server_speedup_n4_vs_n1": speedup(served, 4),
        "server_overhead_ms_per_token": rnd(
            server_token["ms_per_token"] - local_token["ms_per_token"], 2),
        "server_vs_in_process_per_token": rnd(
            server_token["ms_per_token"] / local_token["ms_per_token"], 2),
        "memory": memory_per_episode(ctx.model, SLOT_CTX),
        "server_kind": "llama-cpp-python server (one request at a time)",
        **slots_note,
        "met": scaling >= 2.0,
        "criteria": GOAL,
    })
    if slots:
        results.update({
            "llama_server": {f"N={n}": r for n, r in slots.items()},
            "llama_server_speedup_vs_n1": _ratios(slots, parallels),
            "llama_server_speedup_n4_vs_n1": speedup(slots, 4),
            "llama_server_vs_in_process": {
                f"N={n}": rnd(slots[n]["episodes_per_hour"] / in_process[n]["episodes_per_hour"], 2)
                for n in parallels},
        })
    return results


if __name__ == "__main__" and sys.argv[1:2] == ["--worker"]:
    _memory_worker(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5] == "shared")

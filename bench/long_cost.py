"""Issue 25, long games stay cheap: a move at round 150 with a 100-entry dictionary costs what
it costs at round 2, and a game's process stays near a bare model's memory.

Three parts, side by side in one run:
- moves: per seat and per step (update, reply), the prompt tokens evaluated, the tokens
  found in the player's cache, the tokens generated and the seconds, at rounds 2, 30 and
  150, with the dictionary as played and grown to 10, 50 and 100 entries through the
  person's edits (`GameState.edit`). The rounds before are played by the phrasebook players
  behind the embedded model's own context check (as `bench.memory` does), so the window
  shrinks where a real game's would; then the real model plays one round to fill its cache
  (a game never starts a move on an empty one) and the rounds measured.
- games: a 4-round and a 16-round `dictgame play --headless` on the embedded model, each a
  fresh process timed from outside, beside the same games played by `bench.bare_game` (one
  `llama_cpp.Llama`, the whole history sent each move).
- memory: the peak resident memory of those processes, and a fresh process's resident memory
  after each import and component a headless game loads (`--footprint`).

`python -m bench.long_cost [--quick] [--threads N] [--only moves,games,memory]`; its JSON line
becomes docs/long_cost.md through `python -m bench.long_cost_report`.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from dictgame.engine.backend import DEFAULT_CONTEXT_TOKENS

from .common import (
    ROOT,
    Background,
    default_threads,
    log,
    provenance,
    resident_mib,
    rnd,
    smollm2_path,
)
from .context import BenchContext

NAME = "long_cost"
GOAL = ("a move at round 150 with 100 entries <= 1.3x round 2, each seat; a 16-round game "
        "<= 4.5x a 4-round one; peak RSS <= the bare script + 100 MiB")
ROUNDS = (2, 30, 150)
SIZES = (10, 50, 100)
N_CTX = DEFAULT_CONTEXT_TOKENS  # the runtime's default context per player
BARE_CTX = 4096  # the bare script's, as the original seed script ran
SEED = 7


class CheckedSwitch:
    """A player that is the phrasebook behind the real model's context check until `real`
    is set, then the real model's session."""

    def __init__(self, backend: Any, model: Any, session: Any = None,
                 beside: CheckedSwitch | None = None) -> None:
        """The context check uses the real session's own window."""
        from dictgame.engine.scripted import ScriptedBackend

        self.script = ScriptedBackend().session(Path("phrasebook"))
        self.session = session if session is not None else backend.session(smollm2_path())
        self.model = model
        self._real = False
        self._beside = beside

    @property
    def real(self) -> bool:
        return self._beside.real if self._beside is not None else self._real

    @real.setter
    def real(self, value: bool) -> None:
        self._real = value

    def aside(self) -> CheckedSwitch:
        """The real session's own for asks put alone, switched with this one."""
        return CheckedSwitch(None, self.model, self.session.aside(), beside=self)

    def generate(self, request: Any, on_text: Any = None, cancel: Any = None) -> Any:
        from dictgame.engine.backend import ContextOverflowError

        if self.real:
            return self.session.generate(request, on_text, cancel)
        tokens = len(self.model.tokenize_prompt(self.model.render(request.messages)))
        n_ctx = self.session.n_ctx
        if tokens + request.max_tokens > n_ctx:
            raise ContextOverflowError(tokens, request.max_tokens, n_ctx)
        return self.script.generate(request, on_text, cancel)

    def reset(self) -> None:
        self.session.reset()


def grow(state: Any, size: int) -> None:
    """Both dictionaries grown to `size` entries by the person's edits: the concept bank's
    word in the partner's language, its meaning in the player's own."""
    from dictgame.engine.games.dictionary.concepts import concept_bank, language_code
    from dictgame.engine.games.dictionary.dictionary import Operation, OperationKind

    codes = [language_code(player.language) or "en" for player in state.settings.players]
    for seat in (0, 1):
        for concept in concept_bank().concepts:
            dictionary = state.dictionaries[seat]
            if len(dictionary) >= size:
                break
            foreign = concept.label(codes[1 - seat])
            if foreign not in dictionary:
                state.edit(seat, Operation(kind=OperationKind.ADD, foreign=foreign,
                                           meaning=concept.label(codes[seat]), confidence=0.6))


def _mean(values: list[float], digits: int) -> float:
    return rnd(statistics.mean(values), digits)


def figures(records: list[Any]) -> dict[str, Any]:
    """Per seat: per step, the means over the moves of what each step's attempts cost, and
    the mean seconds a move took."""
    seats: dict[str, Any] = {}
    for seat in (0, 1):
        moves = [r for r in records if r.seat == seat]
        steps: dict[str, dict[str, float]] = {}
        for step in ("update", "reply"):
            rows = [[a for a in r.attempts if a.step == step] for r in moves]
            rows = [row for row in rows if row]
            if not rows:
                continue
            steps[step] = {
                "evaluated": _mean([sum(a.prompt_tokens for a in row) for row in rows], 0),
                "cached": _mean([row[0].cached_tokens for row in rows], 0),
                "generated": _mean([sum(a.completion_tokens for a in row) for row in rows], 0),
                "seconds": _mean([sum(a.seconds for a in row) for row in rows], 2),
            }
        attempts = [a for r in moves for a in r.attempts if a.model]
        evaluated = sum(a.prompt_tokens for a in attempts)
        generated = sum(a.completion_tokens for a in attempts)
        seats["AB"[seat]] = {
            **steps, "move_seconds": _mean([r.seconds for r in moves], 2),
            # What a token costs, apart from how many the model chose to write: the share
            # of a move's seconds the window's length can change.
            "ms_per_evaluated": rnd(1000 * sum(a.prompt_seconds for a in attempts)
                                    / max(1, evaluated), 2),
            "ms_per_generated": rnd(1000 * sum(a.seconds - a.prompt_seconds for a in attempts)
                                    / max(1, generated), 2),
        }
    return seats


def _game_at(backend: Any, model: Any, round_: int, rounds: int) -> Any:
    """A game whose next move is `round_`'s, its players' caches filled by the real model."""
    from dictgame.engine.core.episode import GameMaster, NoSaver, play
    from dictgame.engine.games.dictionary.settings import GameSettings
    from dictgame.engine.games.dictionary.state import GameState

    state = GameState(GameSettings(rounds=rounds, seed=SEED))
    players = (CheckedSwitch(backend, model), CheckedSwitch(backend, model))
    master = GameMaster(state, players)  # type: ignore[arg-type]
    play(master, NoSaver(), moves=2 * (round_ - 2))
    for player in players:
        player.real = True
    play(master, NoSaver(), moves=2)  # fills each player's cache
    return master


def moves(measured: int, n_threads: int, n_ctx: int = N_CTX) -> dict[str, Any]:
    """The games at rounds 2, 30 and 150 played side by side: for each dictionary size, one
    round of each game in turn, `measured` times, so the load other programs put on the
    machine falls on all three alike (the ratio compares moves of the same minutes)."""
    from dictgame.engine.core.episode import NoSaver, play
    from dictgame.engine.players.llama import LlamaBackend

    configs: list[int | None] = [None, *SIZES]
    backend = LlamaBackend(n_ctx=n_ctx, n_threads=n_threads)
    rows = []
    try:
        model = backend.model(smollm2_path())
        masters = {r: _game_at(backend, model, r, r - 1 + measured * len(configs)) for r in ROUNDS}
        for size in configs:
            games: list[tuple[int, int | None, Any]] = []
            if size is not None:  # a fresh round-2 game as played, beside the grown ones
                games.append((2, None, _game_at(backend, model, 2, 1 + measured)))
            for round_, master in masters.items():
                if size is not None:
                    grow(master.state, size)
                games.append((round_, size, master))
            firsts = [master.state.moves_played for _, _, master in games]
            with Background() as background:
                for _ in range(measured):
                    for _, _, master in games:
                        play(master, NoSaver(), moves=2)
            for (round_, grown, master), first in zip(games, firsts, strict=True):
                state = master.state
                row = {"round": round_, "entries": [len(d) for d in state.dictionaries],
                       "grown_to": grown, "beside": size,
                       "rounds_played": f"{state.moves[first].round}-{state.moves[-1].round}",
                       **figures(state.records[first:]),
                       "other_cores_busy": rnd(background.cores, 2)}
                log(f"  long_cost {json.dumps(row)}")
                rows.append(row)
    finally:
        backend.close()
    late = next(r for r in rows if r["round"] == ROUNDS[-1] and r["grown_to"] == SIZES[-1])
    # Round 2 as played, in the same minutes as round 150 with 100 entries.
    early = next(r for r in rows if r["round"] == 2 and r["grown_to"] is None
                 and r["beside"] == SIZES[-1])
    same = next(r for r in rows if r["round"] == 2 and r["grown_to"] == SIZES[-1])

    def ratio(key: str, base: dict[str, Any] = early) -> dict[str, float]:
        return {seat: rnd(late[seat][key] / base[seat][key], 2) for seat in "AB"}

    ratios = ratio("move_seconds")
    return {"rows": rows, "move_seconds_round150_100_vs_round2": ratios,
            # Round 2 with the same 100 entries.
            "move_seconds_round150_100_vs_round2_100": ratio("move_seconds", same),
            "ms_per_evaluated_round150_100_vs_round2": ratio("ms_per_evaluated"),
            "ms_per_generated_round150_100_vs_round2": ratio("ms_per_generated"),
            "met": all(value <= 1.3 for value in ratios.values())}


# --- whole games, fresh processes ----------------------------------------------------------


def measured_process(command: list[str], env: dict[str, str], out: Path) -> tuple[float, float]:
    """Wall seconds and peak resident MiB of one process. The peak is its VmHWM, read while
    it runs: a forked child's rusage counts the parent's memory at the fork."""
    started = time.perf_counter()
    peak = 0.0
    with open(out, "w", encoding="utf-8") as stdout:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=stdout,
                                   stderr=subprocess.STDOUT)
        status = Path(f"/proc/{process.pid}/status")
        while process.poll() is None:
            try:
                for line in status.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak = max(peak, int(line.split()[1]) / 1024)
            except OSError:
                pass
            time.sleep(0.1)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:4])} failed: {out.read_text()[-600:]}")
    return time.perf_counter() - started, peak


def game_figures(db: Path) -> dict[str, Any]:
    """From the store: the game's seconds (first move's start to last move's end), and the
    mean seconds and evaluated prompt tokens of a move in its first and last quarter."""
    with sqlite3.connect(db) as connection:
        rows = [json.loads(r[0]) for r in connection.execute(
            "SELECT record_json FROM moves ORDER BY move_index")]
    quarter = max(1, len(rows) // 4)
    seconds = max(r["finished_at"] for r in rows) - min(r["started_at"] for r in rows)
    figures: dict[str, Any] = {"game_seconds": rnd(seconds, 1)}
    for name, part in (("first_quarter", rows[:quarter]), ("last_quarter", rows[-quarter:])):
        figures[f"move_seconds_{name}"] = rnd(
            statistics.mean(r["finished_at"] - r["started_at"] for r in part), 2)
        figures[f"evaluated_tokens_{name}"] = rnd(
            statistics.mean(sum(a["prompt_tokens"] for a in r["attempts"]) for r in part), 0)
    return figures


def games(
    n_threads: int, round_counts: tuple[int, int] = (4, 16), n_ctx: int = N_CTX
) -> dict[str, Any]:
    model = str(smollm2_path())
    script = Path(sys.executable).with_name("dictgame")
    result: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="dictgame-long-cost-") as folder:
        home = Path(folder)
        env = {**os.environ, "DICTGAME_DATA_DIR": str(home / "data"),
               "DICTGAME_CONFIG": str(home / "config.toml"), "DICTGAME_LOG_DIR": str(home / "logs")}
        for name in ("DICTGAME_DB", "DICTGAME_BACKEND", "DICTGAME_MODEL", "DICTGAME_SEED"):
            env.pop(name, None)
        (home / "config.toml").write_text("", "utf-8")  # a named config must exist
        for rounds in round_counts:
            db = home / f"game{rounds}.db"
            log(f"long_cost: dictgame play --headless --rounds {rounds}, then the bare script")
            seconds, peak = measured_process(
                [str(script), "play", "--headless", "--db", str(db), "--rounds", str(rounds),
                 "--seed", str(SEED), "--threads", str(n_threads), "--context-size", str(n_ctx)],
                env, home / "game.out")
            result[f"game_{rounds}"] = {"process_seconds": rnd(seconds, 1), **game_figures(db),
                                        "peak_rss_mib": rnd(peak, 0)}
            seconds, peak = measured_process(
                [sys.executable, "-m", "bench.bare_game", "--model", model, "--rounds", str(rounds),
                 "--threads", str(n_threads), "--context-size", str(BARE_CTX), "--seed", str(SEED)],
                env, home / "bare.out")
            bare = json.loads((home / "bare.out").read_text().splitlines()[-1])
            result[f"bare_{rounds}"] = {"process_seconds": rnd(seconds, 1),
                                        "game_seconds": rnd(bare["game_seconds"], 1),
                                        "peak_rss_mib": rnd(peak, 0)}
    short, long = round_counts
    for who in ("game", "bare"):
        for kind in ("process_seconds", "game_seconds"):
            result[f"{who}_{long}_vs_{short}_{kind}"] = rnd(
                result[f"{who}_{long}"][kind] / result[f"{who}_{short}"][kind], 2)
    extra = result[f"game_{long}"]["peak_rss_mib"] - result[f"bare_{long}"]["peak_rss_mib"]
    result["peak_rss_above_bare_mib"] = rnd(extra, 0)
    result["met"] = (result[f"game_{long}_vs_{short}_process_seconds"] <= 4.5) and extra <= 100
    return result


# --- where the memory goes ------------------------------------------------------------------


def footprint_worker(n_threads: int, n_ctx: int) -> None:
    """In a fresh process: the resident memory each import and component of a headless
    game adds, in the order `dictgame play --headless` loads them."""
    steps: list[dict[str, Any]] = []
    last = [resident_mib()[0]]

    def mark(name: str) -> None:
        now, peak = resident_mib()
        steps.append({"step": name, "added_mib": rnd(now - last[0], 1), "rss_mib": rnd(now, 0),
                      "peak_mib": rnd(peak, 0)})
        last[0] = now

    mark("python")
    import llama_cpp  # noqa: F401

    mark("import llama_cpp (numpy with it)")
    import dictgame.tui.cli.main  # noqa: F401

    mark("import dictgame.tui.cli.main (pydantic, settings, the games)")
    import dictgame.saves.store  # noqa: F401
    import dictgame.tui.cli.commands  # noqa: F401
    import dictgame.tui.services.headless  # noqa: F401
    import dictgame.tui.services.players  # noqa: F401

    mark("import what `play` imports (store, commands, headless, players)")
    from dictgame.engine.backend import ChatMessage, GenerationRequest
    from dictgame.engine.games.dictionary.language_rule import language_violation
    from dictgame.engine.players.llama import LlamaBackend

    backend = LlamaBackend(n_ctx=n_ctx, n_threads=n_threads)
    backend.model(smollm2_path())
    mark("load the model (weights mmapped)")
    sessions = [backend.session(smollm2_path()) for _ in range(2)]
    mark(f"two players' contexts ({n_ctx} tokens each)")
    request = GenerationRequest(messages=(ChatMessage("system", "You speak Spanish."),
                                          ChatMessage("user", "Greet Bruno.")), max_tokens=16)
    for session in sessions:
        session.generate(request)
    mark("a generation on each")
    from dictgame.engine.players.llama.backend import ASIDE_CONTEXT_TOKENS

    for session in sessions:
        session.aside().generate(request)
    mark(f"each player's aside context, for its updates ({min(n_ctx, ASIDE_CONTEXT_TOKENS)} "
         "tokens), and a generation on it")
    language_violation("Hello my friend, how are you?", "English", "Spanish")
    mark("the language rule's first check (fastText's model)")
    from dictgame.engine.games.dictionary.wordforms import normal_form

    normal_form("entiendo", "es"), normal_form("understood", "en")
    mark("the common dictionary's normal form in Spanish and English (simplemma)")
    import openai  # noqa: F401

    mark("import openai (a headless game imported it through check_servers)")
    print(json.dumps({"steps": steps}))


def memory(n_threads: int, n_ctx: int = N_CTX) -> dict[str, Any]:
    from .common import run_worker

    log("long_cost: where a headless game's memory goes, in a fresh process")
    return run_worker("long_cost", "footprint", "--threads", str(n_threads),
                      "--context-size", str(n_ctx))


def run(ctx: BenchContext) -> dict[str, Any]:
    measured = 2 if ctx.quick else 3
    result: dict[str, Any] = {"threads": ctx.n_threads, "n_ctx": N_CTX,
                              "moves": moves(measured, ctx.n_threads),
                              "games": games(ctx.n_threads, (2, 8) if ctx.quick else (4, 16)),
                              "memory": memory(ctx.n_threads)}
    result["met"] = result["moves"]["met"] and result["games"]["met"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.long_cost",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--worker", choices=["footprint"], help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--quick", action="store_true",
                        help="2 rounds measured a size; 2- and 8-round games")
    parser.add_argument("--only", default="moves,games,memory", help="comma-separated parts")
    parser.add_argument("--context-size", type=int, default=N_CTX,
                        help="each player's window; the bare script keeps 4096")
    parser.add_argument("--measured", type=int, default=None,
                        help="rounds measured a size (default 3, --quick 2): more, less noise")
    args = parser.parse_args()
    threads = args.threads or default_threads()
    if args.worker:
        footprint_worker(threads, args.context_size)
        return
    parts = set(args.only.split(","))
    result: dict[str, Any] = {"threads": threads, "n_ctx": args.context_size,
                              "measured_by": provenance("long_cost")}
    if "moves" in parts:
        measured = args.measured or (2 if args.quick else 3)
        result["moves"] = moves(measured, threads, args.context_size)
    if "games" in parts:
        result["games"] = games(threads, (2, 8) if args.quick else (4, 16), args.context_size)
    if "memory" in parts:
        result["memory"] = memory(threads, args.context_size)
    print(json.dumps(result))


if __name__ == "__main__":
    main()

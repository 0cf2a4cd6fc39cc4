"""Self-play fine-tuning (issue 14): does one loop of `dictgame iterate` make the model better?

On the embedded model, cooperative Deal or No Deal (guided replies, as docs/games.md runs it):
`dictgame iterate` evaluates the base on held-out seeded games, plays it against itself,
keeps the filter's transcripts, fine-tunes, and evaluates again; the table it prints is the
before/after figure (means with their standard errors over the games). With the study's
`above_avg` filter first; when that keeps nothing (the embedded model never makes a deal),
the loop goes on with `all` on the same stored runs. Then, beside the loop: fine-tuning time
and peak memory for `--time-steps` examples (one example a step), the GGUF sizes, and decode
speed of the tuned model against the base, alternated on the same prompt.

Alone: `python -m bench.finetune [--quick] [--eval-games N] [--games N] [--iterations K]
[--time-steps N]`. Needs the extra dictgame[finetune].
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from .common import log, median, raw_generate, raw_llama, rnd
from .context import BenchContext

NAME = "finetune"
GOAL = "after one iteration, agreement and joint points up by half their starting value"
FULL = {"eval_games": 40, "games": 40, "iterations": 2, "time_steps": 200}
QUICK = {"eval_games": 10, "games": 10, "iterations": 1, "time_steps": 20}
DECODE_TOKENS, DECODE_REPEATS = 64, 5


def _dictgame(*args: str, folder: Path) -> tuple[int, str, float, float, list[tuple[int, float]]]:
    """Run the command; returns (exit code, stdout, seconds, its peak resident MiB, the
    training steps printed, each with the moment it was printed)."""
    env = {**os.environ, "DICTGAME_CONFIG": str(folder / "config.toml"),
           "DICTGAME_LOG_DIR": str(folder / "logs"), "DICTGAME_DATA_DIR": str(folder / "data")}
    started = time.perf_counter()
    process = subprocess.Popen([str(Path(sys.executable).parent / "dictgame"), *args], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    peak = [0.0]
    watcher = threading.Thread(target=_watch_peak, args=(process, peak), daemon=True)
    watcher.start()
    lines, steps = [], []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        step = re.match(r"step (\d+)/", line)
        if step:  # a line every step on a terminal, about twenty in all otherwise
            steps.append((int(step.group(1)), time.perf_counter()))
        if line.startswith(("==", "step", "Written", "The ", "Run ")) or "examples" in line:
            log("  " + line.rstrip())
    process.wait()
    watcher.join()
    return process.returncode, "".join(lines), time.perf_counter() - started, peak[0], steps


def _watch_peak(process: subprocess.Popen[str], peak: list[float]) -> None:
    """The process's VmHWM (its own peak resident set), read until it exits."""
    status = Path(f"/proc/{process.pid}/status")
    while process.poll() is None:
        try:
            for line in status.read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak[0] = max(peak[0], int(line.split()[1]) / 1024)
        except OSError:
            pass
        time.sleep(0.5)


def _table(text: str) -> list[dict[str, str]]:
    """The rows of `iterate`'s closing table, keyed by its headers (spaces as underscores)."""
    start = text.rfind("iteration  model")
    if start < 0:
        return []
    lines = text[start:].splitlines()
    headers = [h.lower().replace(" ", "_").replace("-", "_") for h in re.split(r"\s{2,}", lines[0].strip())]
    rows = []
    for line in lines[2:]:
        cells = re.split(r"\s{2,}", line.strip())
        if len(cells) == len(headers) and cells[0].isdigit():
            rows.append(dict(zip(headers, cells)))
    return rows


def _decode_speeds(base: Path, tuned: Path, n_threads: int) -> dict[str, Any]:
    """Tokens/s of each model on the same prompt, alternated, greedy, DECODE_TOKENS each."""
    from dictgame.engine.players.llama import LlamaBackend

    backend = LlamaBackend(n_ctx=256, n_threads=n_threads)
    try:
        tokens = backend.model(base).tokenize_prompt("<|im_start|>user\nPropose how to split 2 books, "
                                                     "1 hat and 3 balls.<|im_end|>\n<|im_start|>assistant\n")
    finally:
        backend.close()
    speeds: dict[str, list[float]] = {"base": [], "tuned": []}
    models = {"base": raw_llama(base, n_ctx=512, n_threads=n_threads),
              "tuned": raw_llama(tuned, n_ctx=512, n_threads=n_threads)}
    try:
        for _ in range(DECODE_REPEATS):
            for name, llm in models.items():
                run = raw_generate(llm, tokens, DECODE_TOKENS)
                speeds[name].append((run["tokens"] - 1) / run["decode_seconds"])
    finally:
        for llm in models.values():
            llm.close()
    base_speed, tuned_speed = median(speeds["base"]), median(speeds["tuned"])
    return {"base_tokens_per_s": rnd(base_speed, 1), "tuned_tokens_per_s": rnd(tuned_speed, 1),
            "ratio": rnd(tuned_speed / base_speed, 3),
            "spread_base": [rnd(s, 1) for s in speeds["base"]],
            "spread_tuned": [rnd(s, 1) for s in speeds["tuned"]]}


def measure(model: Path, n_threads: int, eval_games: int, games: int, iterations: int,
            time_steps: int, folder: Path) -> dict[str, Any]:
    (folder / "config.toml").write_text("[games.dealnodeal]\nguided = true\n", "utf-8")
    loop = ("iterate", "--model", str(model), "--iterations", str(iterations), "--games", str(games),
            "--eval-games", str(eval_games), "--dir", str(folder / "loop"), "--db", str(folder / "loop.db"),
            "--threads", str(n_threads))
    result: dict[str, Any] = {"eval_games": eval_games, "games": games, "iterations": iterations}
    log(f"finetune: iterate, filter above_avg, {iterations} iteration(s), {games} games, {eval_games} held out")
    code, out, seconds, _, _ = _dictgame(*loop, "--filter", "above_avg", folder=folder)
    result["above_avg"] = {"exit": code, "seconds": rnd(seconds, 1), "table": _table(out),
                           "kept_nothing": "kept no transcript" in out}
    if code == 1 and "kept no transcript" in out:
        log("finetune: above_avg kept nothing; the loop again with --filter all")
        code, out, seconds, _, _ = _dictgame(*loop, "--filter", "all", folder=folder)
        result["all"] = {"exit": code, "seconds": rnd(seconds, 1), "table": _table(out)}
    tuned = folder / "loop" / "iteration-1.gguf"
    if not tuned.is_file():
        result["met"] = False
        return result
    data = folder / "loop" / "iteration-1.jsonl"
    log(f"finetune: timing {time_steps} steps (one example each) on {data.name}")
    code, _, seconds, peak, steps = _dictgame(
        "finetune", "--data", str(data), "--base", str(model), "--out", str(folder / "timed.gguf"),
        "--steps", str(time_steps), folder=folder)
    # Fewer steps than 200: loading and writing once, plus 200 steps at the measured pace.
    (first, at_first), (last, at_last) = (steps[0], steps[-1]) if steps else ((0, 0.0), (0, 0.0))
    per_step = (at_last - at_first) / (last - first) if last > first else seconds
    overhead = seconds - last * per_step
    result["timing"] = {"steps": time_steps, "exit": code, "seconds": rnd(seconds, 1),
                        "seconds_per_step": rnd(per_step, 1), "load_and_write_seconds": rnd(overhead, 1),
                        "peak_rss_mib": rnd(peak, 0),
                        "seconds_for_200_examples": rnd(overhead + 200 * per_step, 0)}
    result["gguf_mib"] = {"base": rnd(model.stat().st_size / 2**20, 1),
                          "tuned": rnd(tuned.stat().st_size / 2**20, 1)}
    log("finetune: decode speed, base and tuned alternated")
    result["decode"] = _decode_speeds(model, tuned, n_threads)
    rows = (result.get("all") or result["above_avg"])["table"]
    result["met"] = _gain(rows)
    return result


def _gain(rows: list[dict[str, str]]) -> bool:
    """The goal: agreement and joint points each up by half their starting value (from 0,
    any rise counts)."""
    if len(rows) < 2:
        return False

    def number(cell: str) -> float:
        return float(cell.split()[0].rstrip("%"))

    before, after = rows[0], rows[1]
    return all(number(after[k]) >= 1.5 * number(before[k]) and number(after[k]) > number(before[k])
               for k in ("agreement", "joint_points"))


def run(ctx: BenchContext) -> dict[str, Any]:
    sizes = QUICK if ctx.quick else FULL
    with tempfile.TemporaryDirectory(prefix="bench-finetune-") as folder:
        return measure(ctx.model, ctx.n_threads, folder=Path(folder), **sizes)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.finetune", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 held-out games, 10 games, 1 iteration, 20 steps")
    for name, value in FULL.items():
        parser.add_argument(f"--{name.replace('_', '-')}", type=int, help=f"default {value}")
    parser.add_argument("--threads", type=int, help="n_threads (default: the runtime's default)")
    args = parser.parse_args()
    ctx = BenchContext(quick=args.quick, selected=(NAME,))
    if args.threads:
        ctx.n_threads = args.threads
    sizes = {**(QUICK if args.quick else FULL),
             **{k: getattr(args, k) for k in FULL if getattr(args, k) is not None}}
    with tempfile.TemporaryDirectory(prefix="bench-finetune-") as folder:
        result = measure(ctx.model, ctx.n_threads, folder=Path(folder), **sizes)
    print(json.dumps({"bench": NAME, "goal": GOAL, **sizes, "threads": ctx.n_threads, **result},
                     separators=(",", ":")))


if __name__ == "__main__":
    main()

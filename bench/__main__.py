"""`python -m bench`: every performance target of the issue, side by side in one run.

Progress lines go to stdout as the benchmarks run; the last line is one JSON object with a
named figure per target, the numbers behind it and `met`. Figures are ratios taken in the
same run (the machines are shared and noisy), each with how busy other programs kept the
CPU meanwhile. Options: `--only NAME` (repeatable), `--quick` (shorter games and fewer
samples), `--threads N` (default: the runtime's default for this machine).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import time
import traceback
from pathlib import Path
from typing import Any

from . import (
    constrained,
    decode_speed,
    finetune,
    gemma,
    long_cost,
    long_game,
    memory,
    memory_recall,
    prompt_reuse,
    quality,
    shared_weights,
    startup,
    threads,
    throughput,
    tui,
)
from .common import Background, log, rnd
from .context import BenchContext

# Cheap and independent first; the long game (targets 1 and 6) in the middle; the TUI last.
MODULES = (shared_weights, constrained, decode_speed, threads, prompt_reuse, long_game, gemma,
           startup, tui, throughput, quality, memory, memory_recall, long_cost, finetune)
NAMES = tuple(m.NAME for m in MODULES)
# The headline figure of each target, read from its result.
HEADLINE = {
    "prompt_reuse": ("1", "prompt_token_ratio_late_vs_round2 <= 2 and speedup_vs_naive_late >= 3"),
    "shared_weights": ("2", "second_player_extra_mib <= 200"),
    "decode_speed": ("3", "ratio_in_game_vs_raw >= 0.9"),
    "constrained": ("4", "overhead_per_token <= 0.25, all parse"),
    "threads": ("5", "default_kept_under_load >= 0.5"),
    "long_game": ("6", "60 rounds at n_ctx 2048 without error"),
    "tui": ("3 (TUI) and 7", "ratio_in_tui_vs_raw >= 0.9; p95_ms <= 100"),
    "startup": ("8", "first_screen_s_median < 1"),
    "gemma": ("2, 3, 4 on Gemma-3-270M", "as above"),
    "throughput": ("issue 12", throughput.GOAL),
    "memory": ("issue 11", memory.GOAL),
    "memory_recall": ("issue 11", memory_recall.GOAL),
    "long_cost": ("issue 25", long_cost.GOAL),
    "finetune": ("issue 14", finetune.GOAL),
    "quality": ("issue 21", "success by third against the perfect-learner ceiling, over 5 seeds; a grounded round <= 1.5x a free move"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--only", action="append", choices=NAMES, help="run only this benchmark")
    parser.add_argument("--quick", action="store_true", help="shorter games, fewer samples")
    parser.add_argument("--threads", type=int, help="n_threads (default: the runtime's default)")
    parser.add_argument("--model", type=Path, help="quality: a second GGUF measured beside the embedded one")
    args = parser.parse_args(argv)
    logging.getLogger("dictgame.llama").setLevel(logging.CRITICAL)  # llama.cpp's own log

    selected = tuple(args.only) if args.only else NAMES
    if args.quick and not args.only:
        selected = tuple(n for n in selected
                         if n not in ("gemma", "quality", "memory", "memory_recall", "long_cost",
                                      "finetune"))
    ctx = BenchContext(quick=args.quick, selected=selected, other_model=args.model)
    if args.threads:
        ctx.n_threads = args.threads
    log(f"bench: {', '.join(selected)}; model {ctx.model.name}, {ctx.n_threads} thread(s), "
        f"{os.cpu_count()} cores{' (quick)' if args.quick else ''}")
    started = time.perf_counter()
    results: dict[str, Any] = {}
    for module in MODULES:
        if module.NAME not in selected:
            continue
        began = time.perf_counter()
        try:
            with Background() as background:
                result = module.run(ctx)
        except Exception as error:  # noqa: BLE001 - one broken benchmark must not hide the rest
            traceback.print_exc()
            result = {"met": False, "error": f"{type(error).__name__}: {error}"}
            background = None
        result["seconds"] = rnd(time.perf_counter() - began, 1)
        if background is not None and result["seconds"] >= 1:
            result["other_cores_busy"] = rnd(background.cores, 2)
        target, rule = HEADLINE[module.NAME]
        result["target"], result["rule"] = target, rule
        results[module.NAME] = result
        log(f"{module.NAME}: met={result.get('met')} in {result['seconds']}s")
    summary = {
        "bench": "dictgame performance (issue 4)",
        "all_met": all(r.get("met") is not False for r in results.values()),
        "seconds": rnd(time.perf_counter() - started, 1),
        "machine": {"cores": os.cpu_count(), "python": platform.python_version(),
                    "llama_cpp_python": _llama_version()},
        **ctx.note(),
        "targets": results,
    }
    print(json.dumps(summary, separators=(",", ":"), default=str))
    return 0


def _llama_version() -> str:
    try:
        import llama_cpp

        return str(llama_cpp.__version__)
    except Exception:  # noqa: BLE001
        return "?"


if __name__ == "__main__":
    sys.exit(main())

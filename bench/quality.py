"""Game quality (issue 9): does a model learn, measured against the ground truth?

Plays fixed seeded instances of each mode on the embedded model, and on `--model PATH` when
given, through the one episode loop: scenes (English / Spanish, 4 things a scene, 20 rounds),
invented languages (4 things, a 12-concept slice, feedback `reveal`, 30 rounds), each with
the guess asked as a word (the default) and as a number, and free talk (10 rounds) for its
covered precision and for the cost of a move. Prints per round the success and the common
dictionary's F1 as a curve, and returns the figures the issue's goals name: success over
rounds 1-10 / 11-20 / 21-30, common F1 over 21-30, and the seconds of a grounded round
beside those of a free move on the same model in the same run.

Alone: `python -m bench.quality [--quick] [--model PATH [--no-embedded]] [--only scenes,free]`.
The 1.5B Qwen of `../shared/MODELS.md`: `--model "$(python -m bench.larger_model | tail -1)"`.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path
from typing import Any

from .common import log, rnd
from .context import BenchContext

NAME = "quality"
N_CTX = 2048
# name -> settings; rounds are cut in quick mode.
INSTANCES: dict[str, dict[str, Any]] = {
    "scenes": {"mode": "scenes", "rounds": 20, "seed": 11},
    "scenes-number": {"mode": "scenes", "rounds": 20, "seed": 11, "choice": "number"},
    "invented": {"mode": "invented", "rounds": 30, "seed": 12, "feedback": "reveal",
                 "concept_slice": 12},
    "invented-number": {"mode": "invented", "rounds": 30, "seed": 12, "feedback": "reveal",
                        "concept_slice": 12, "choice": "number"},
    "free": {"mode": "free", "rounds": 10, "seed": 13},
}
QUICK_ROUNDS = {"scenes": 8, "invented": 12, "free": 4}
# Only the embedded model plays the guess-as-number variants (they decided the default).
VARIANTS = ("scenes-number", "invented-number")
WINDOWS = ((1, 10), (11, 20), (21, 30))
SPARK = " ▁▂▃▄▅▆▇█"


def spark(values: list[float]) -> str:
    return "".join(SPARK[min(8, round(v * 8))] for v in values)


def window_mean(values: list[float], first: int, last: int) -> float | None:
    chosen = values[first - 1 : last]
    return rnd(statistics.fmean(chosen), 3) if len(chosen) == last - first + 1 else None


def play_instance(model: Path, values: dict[str, Any], n_threads: int) -> dict[str, Any]:
    from dictgame.engine.core.episode import GameMaster, NoSaver, play
    from dictgame.engine.games.dictionary.settings import GameSettings
    from dictgame.engine.games.dictionary.state import GameState
    from dictgame.engine.games.dictionary.truth import truth_curve
    from dictgame.engine.players.llama import LlamaBackend

    settings = GameSettings(**values)
    backend = LlamaBackend(n_ctx=N_CTX, n_threads=n_threads)
    try:
        state = GameState(settings)
        master = GameMaster(state, (backend.session(model), backend.session(model)))
        started = time.perf_counter()
        play(master, NoSaver())
        seconds = time.perf_counter() - started
    finally:
        backend.close()
    curve = truth_curve(state)
    later = state.records[1:]  # the first move opens the game: no guess, no update
    result: dict[str, Any] = {
        "rounds": len(curve),
        "seconds": rnd(seconds, 1),
        "seconds_per_move": rnd(statistics.fmean(m.seconds for m in later), 3),
        "prompt_tokens_per_move": rnd(statistics.fmean(m.prompt_tokens for m in later), 1),
        "completion_tokens_per_move": rnd(statistics.fmean(m.completion_tokens for m in later), 1),
        "violated_moves": sum(1 for m in state.records if m.violated),
        "requests": sum(len(m.attempts) for m in state.records),
    }
    if settings.grounded:
        success = [float(bool(t.success)) for t in curve]
        result.update(
            success=[int(s) for s in success],
            success_rate=[rnd(t.success_rate or 0.0, 3) for t in curve],
            f1_common=[rnd(t.common.f1, 3) for t in curve],
            f1_a=[rnd(t.players[0].f1, 3) for t in curve],
            f1_b=[rnd(t.players[1].f1, 3) for t in curve],
            precision_a=[rnd(t.players[0].precision, 3) for t in curve],
            chance=rnd(1 / settings.scene_size, 3),
            success_by_window={f"{a}-{b}": window_mean(success, a, b) for a, b in WINDOWS},
            f1_common_by_window={
                f"{a}-{b}": window_mean([t.common.f1 for t in curve], a, b) for a, b in WINDOWS
            },
        )
    else:
        result.update(
            precision_common_covered=[rnd(t.common.precision, 3) for t in curve],
            coverage_common=[rnd(t.common.coverage, 3) for t in curve],
            precision_a_covered=[rnd(t.players[0].precision, 3) for t in curve],
            precision_b_covered=[rnd(t.players[1].precision, 3) for t in curve],
            common_pairs=len(state.common),
        )
    return result


def _report(model: str, name: str, result: dict[str, Any]) -> None:
    log(f"  {model} {name}: {result['rounds']} rounds in {result['seconds']}s, "
        f"{result['seconds_per_move']}s a move, {result['violated_moves']} violated moves")
    if "success" in result:
        log(f"    success   {''.join(str(s) for s in result['success'])}  "
            f"by window {result['success_by_window']} (chance {result['chance']})")
        log(f"    rate      {spark(result['success_rate'])}  final {result['success_rate'][-1]}")
        log(f"    F1 common {spark(result['f1_common'])}  final {result['f1_common'][-1]}; "
            f"F1 A {result['f1_a'][-1]}, B {result['f1_b'][-1]}")
    else:
        log(f"    precision common (covered) {result['precision_common_covered']}; "
            f"coverage {result['coverage_common']}")


def measure(model: Path, names: tuple[str, ...], n_threads: int, quick: bool) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name in names:
        values = dict(INSTANCES[name])
        if quick:
            values["rounds"] = QUICK_ROUNDS[values["mode"]]
        results[name] = play_instance(model, values, n_threads)
        _report(model.name, name, results[name])
    if "free" in results:
        free = results["free"]["seconds_per_move"]
        for name in names:
            if name != "free" and free:
                results[name]["round_cost_vs_free_move"] = rnd(
                    results[name]["seconds_per_move"] / free, 3)
    return results


def goals(results: dict[str, Any], large: bool) -> dict[str, Any]:
    """The issue's goals for this model: SmolLM2's, or (`large`) the 1.5B model's."""
    def at(name: str, key: str, window: str) -> float | None:
        return results.get(name, {}).get(key, {}).get(window)

    found: dict[str, Any] = {}
    if large:
        found["scenes_success_1_10>=0.95"] = at("scenes", "success_by_window", "1-10")
        found["invented_success_21_30>=0.7"] = at("invented", "success_by_window", "21-30")
        found["invented_f1_common_21_30>=0.7"] = at("invented", "f1_common_by_window", "21-30")
        free = results.get("free", {}).get("precision_common_covered") or [None]
        found["free_precision_common_covered_round10>=0.8"] = free[-1]
    else:
        found["scenes_success_11_20>=0.4"] = at("scenes", "success_by_window", "11-20")
        found["invented_success_21_30>=0.4"] = at("invented", "success_by_window", "21-30")
    for name in ("scenes", "invented"):
        ratio = results.get(name, {}).get("round_cost_vs_free_move")
        found[f"{name}_round_cost_vs_free_move<=1.5"] = ratio
    return found


def _met(found: dict[str, Any]) -> bool | None:
    verdicts = []
    for rule, value in found.items():
        if value is None:
            continue
        bound = float(rule.split("=")[-1])
        verdicts.append(value <= bound if "<=" in rule else value >= bound)
    return all(verdicts) if verdicts else None


def run(ctx: BenchContext, only: tuple[str, ...] | None = None,
        embedded: bool = True) -> dict[str, Any]:
    """Measure the embedded model (unless `embedded` is false) and `ctx.other_model` if given."""
    models = [*([ctx.model] if embedded else []), *([ctx.other_model] if ctx.other_model else [])]
    out: dict[str, Any] = {"models": {}}
    met = []
    for model in models:
        large = model != ctx.model
        names = only or tuple(n for n in INSTANCES if not large or n not in VARIANTS)
        log(f"quality: {model.name}: {', '.join(names)}{' (quick)' if ctx.quick else ''}")
        results = measure(model, names, ctx.n_threads, ctx.quick)
        found = goals(results, large=large)
        out["models"][model.name] = {"results": results, "goals": found, "met": _met(found)}
        met.append(_met(found))
    out["met"] = None if all(m is None for m in met) else all(m is not False for m in met)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.quality", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--model", type=Path, help="a second GGUF to measure beside the embedded one")
    parser.add_argument("--only", help="comma-separated instances: " + ", ".join(INSTANCES))
    parser.add_argument("--threads", type=int)
    parser.add_argument("--no-embedded", action="store_true",
                        help="measure only the --model GGUF, not the embedded one beside it")
    args = parser.parse_args(argv)
    if args.no_embedded and not args.model:
        parser.error("--no-embedded needs --model")
    ctx = BenchContext(quick=args.quick, selected=(NAME,), other_model=args.model)
    if args.threads:
        ctx.n_threads = args.threads
    only = tuple(args.only.split(",")) if args.only else None
    print(json.dumps(run(ctx, only, embedded=not args.no_embedded), separators=(",", ":")))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

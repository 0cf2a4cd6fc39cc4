"""`dictgame iterate`: the self-play loop of Liao, Tomlin and Klein (2024) on this machine.
Each iteration evaluates the current model on the same held-out games, plays it against
itself on new games, keeps the transcripts the filter keeps, and fine-tunes the next model on
them. Every batch of games is a stored run and every model a finished file, so a killed loop
started again with the same flags plays no finished game twice and trains no model twice."""

from __future__ import annotations

import argparse
import math
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import DictgameConfig
from .finetune_commands import hyper_from, run_finetune
from .signals import stopped

EXIT_BAD_INPUT = 2
# Held-out games are drawn with this seed; iteration k plays itself on games of seed k + 1.
EVAL_SEED = 0
GAMES = ("dealnodeal",)


@dataclass(frozen=True)
class Evaluation:
    """One model's figures on the held-out games: means and their standard errors."""

    iteration: int
    model: str
    games: int
    joint: float
    joint_se: float
    agreement: float
    agreement_se: float
    aborted: float
    pareto: float
    examples: int | None  # examples the model was trained on (None: the base)


def _mean_se(values: list[float]) -> tuple[float, float]:
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return mean, 0.0
    variance = sum((v - mean) ** 2 for v in values) / (n - 1)
    return mean, math.sqrt(variance / n)


def evaluation(iteration: int, model: str, states: list[Any], examples: int | None) -> Evaluation:
    from ..engine.games.dealnodeal.analysis import played_game

    games = [played_game(state, model) for state in states]
    joint, joint_se = _mean_se([float(sum(g.points)) for g in games])
    agreement, agreement_se = _mean_se([float(g.deal) for g in games])
    return Evaluation(
        iteration, model, len(games), joint, joint_se, agreement, agreement_se,
        sum(g.aborted for g in games) / len(games), sum(g.pareto for g in games) / len(games),
        examples,
    )


def table_text(rows: list[Evaluation]) -> str:
    headers = ("iteration", "model", "games", "joint points", "agreement", "aborted",
               "Pareto-optimal", "trained on")
    body = [
        [str(r.iteration), r.model, str(r.games), f"{r.joint:.2f} ± {r.joint_se:.2f}",
         f"{r.agreement:.0%} ± {r.agreement_se:.0%}", f"{r.aborted:.0%}", f"{r.pareto:.0%}",
         "-" if r.examples is None else f"{r.examples} examples"]
        for r in rows
    ]
    widths = [max(len(c) for c in column) for column in zip(headers, *body)]
    lines = [list(headers), ["-" * w for w in widths], *body]
    return "\n".join("  ".join(c.ljust(w) for c, w in zip(line, widths)).rstrip() for line in lines)


def _play(config: DictgameConfig, args: argparse.Namespace, model: Path, seed: int, games: int) -> tuple[int, int]:
    """A stored run of `games` (rounded up to whole repeats of the experiment's instances) of
    the model against itself; returns (exit code, run id). A run with the same arguments is
    finished, not played again."""
    from ..saves.runs import find_run
    from .cli import build_parser
    from .commands import open_store
    from .study_commands import command_run, run_arguments

    instances = _instances_per_repeat(args.game, args.experiment)
    runs = max(1, math.ceil(games / instances))
    run_args = build_parser().parse_args(["run", "--experiment", args.experiment, "--runs", str(runs)])
    run_config = config.model_copy(update={
        "game": args.game, "model": model, "model_a": None, "model_b": None, "seed": seed,
    })
    code = command_run(run_args, run_config)
    with open_store(run_config) as store:
        run_id = find_run(store, run_arguments(run_args, run_config)) or 0
    return code, run_id


def _instances_per_repeat(game_name: str, experiment: str) -> int:
    from ..engine.core.instances import pick
    from ..engine.games import get_game

    return sum(len(e.instances) for e in pick(get_game(game_name).experiments(EVAL_SEED), experiment))


def _states(config: DictgameConfig, run_id: int) -> list[Any]:
    from .study_commands import played_episodes

    return [e.state for e in played_episodes(config, [run_id])]


def _write_data(config: DictgameConfig, run_id: int, keep: str, path: Path) -> int:
    from ..engine.games.dealnodeal.finetune import examples, jsonl_text

    kept = examples(_states(config, run_id), keep)  # type: ignore[arg-type]
    path.write_text(jsonl_text(kept), "utf-8")
    return len(kept)


def _check(args: argparse.Namespace) -> str | None:
    from ..engine.games.dealnodeal.finetune import FILTERS

    if args.game not in GAMES:
        return f"iterate learns from the scores of {', '.join(GAMES)}; {args.game} has no fine-tuning data yet"
    if args.filter not in FILTERS:
        return f"--filter must be one of {', '.join(FILTERS)}, not {args.filter}"
    if args.iterations < 1 or args.games < 1 or args.eval_games < 1:
        return "--iterations, --games and --eval-games must be at least 1"
    if not args.model.is_file():
        return f"there is no model file {args.model}"
    return None


def command_iterate(args: argparse.Namespace, config: DictgameConfig) -> int:
    problem = _check(args)
    if problem:
        print(f"dictgame: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    from ..engine.tuning import require_extra

    require_extra()
    args.dir.mkdir(parents=True, exist_ok=True)
    rows: list[Evaluation] = []
    model, trained_on = args.model, None
    try:
        for iteration in range(args.iterations + 1):
            print(f"== Iteration {iteration}: evaluating {model.name} on {args.eval_games} held-out games", flush=True)
            code, run_id = _play(config, args, model, EVAL_SEED, args.eval_games)
            if code:
                return code
            rows.append(evaluation(iteration, model.stem, _states(config, run_id), trained_on))
            if iteration == args.iterations:
                break
            tuned = args.dir / f"iteration-{iteration + 1}.gguf"
            data = args.dir / f"iteration-{iteration + 1}.jsonl"
            if not tuned.is_file():
                print(f"== Iteration {iteration}: self-play, {args.games} games", flush=True)
                code, run_id = _play(config, args, model, iteration + 1, args.games)
                if code:
                    return code
                kept = _write_data(config, run_id, args.filter, data)
                if not kept:
                    print(f"The {args.filter} filter kept no transcript of run {run_id} (every "
                          "score was 0, or no game scored above the mean): nothing to learn "
                          "from, so the loop stops here. --filter all trains on every game.")
                    print(table_text(rows))
                    return 1
                print(f"{kept} examples ({args.filter}) written to {data}", flush=True)
                record: dict[str, str | int | float] = {
                    "data": str(data.resolve()), "filter": args.filter, "iteration": iteration + 1,
                    "selfplay_run": run_id,
                }
                # Training takes PyTorch's own thread count: --threads is the players' (one
                # llama.cpp thread a player keeps its speed on a shared machine; see README).
                run_finetune(data, model, tuned, hyper_from(args, args.seed + iteration), record, None)
            trained_on = sum(1 for line in data.read_text("utf-8").splitlines() if line.strip())
            model = tuned
    except KeyboardInterrupt as stop:
        return stopped(stop, kept="; finished runs and models are kept: the same command goes on from there")
    print(table_text(rows))
    return 0

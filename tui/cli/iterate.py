"""`dictgame iterate`: the self-play loop of Liao, Tomlin and Klein (2024) on this machine.
Each iteration evaluates the current model on the same held-out games, plays it against
itself on new games, keeps the transcripts the filter keeps, and fine-tunes the next model on
them. Every batch of games is a stored run and every model a finished file, so a killed loop
started again with the same flags plays no finished game twice and trains no model twice."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ...engine.words import plural
from ..services.config import DictgameConfig
from ..services.iterate_table import Evaluation, Training, evaluation, table_text
from ..services.runs import RunRequest, play_stored_run, played_episodes, run_arguments
from ..services.signals import stopped
from ..services.store import open_store
from ..services.tuning import hyper, run_finetune, write_examples
from .finetune_commands import add_training_flags, training_from

EXIT_BAD_INPUT = 2
# Held-out games are drawn with this seed; iteration k plays itself on games of seed k + 1.
EVAL_SEED = 0


def _play(config: DictgameConfig, args: argparse.Namespace, model: Path, seed: int, games: int) -> tuple[int, int]:
    """A stored run of exactly `games` games of the model against itself, drawn in turn from
    the experiments' instances of `seed`; returns (exit code, run id). A run with the same
    arguments is finished, not played again."""
    from ...saves.runs import find_run

    request = RunRequest(experiment=args.experiment, episodes=games, parallel=args.parallel)
    run_config = config.model_copy(update={
        "game": args.game, "model": model, "model_a": None, "model_b": None, "seed": seed,
    })
    code = play_stored_run(request, run_config)
    with open_store(run_config) as store:
        run_id = find_run(store, run_arguments(request, run_config)) or 0
    return code, run_id


def _played(config: DictgameConfig, run_id: int) -> tuple[str, list[Any]]:
    """Who played a run's finished games as the games recorded it (`mixed` if not one set
    of players: never the model the loop asked for), and the games."""
    played = played_episodes(config, [run_id])
    pairs = {e.pair for e in played}
    return (pairs.pop() if len(pairs) == 1 else "mixed"), played


def _training(tuned: Path) -> Training:
    """What the tuned model's file says it learned from (engine/tuning/train.py's record)."""
    from ...engine.tuning.gguf_out import finetune_record

    record = finetune_record(tuned)
    first, last = record.get("loss_first"), record.get("loss_last")
    return Training(
        examples=int(record.get("examples", 0)), filter=str(record.get("filter", "?")),
        loss_first=float(first) if isinstance(first, (int, float)) else None,
        loss_last=float(last) if isinstance(last, (int, float)) else None,
    )


def _check(args: argparse.Namespace) -> str | None:
    """What is wrong with the arguments (None: nothing); the game's own experiment is filled
    in when none is asked for."""
    from ...engine.core.finetune import FILTERS
    from ...engine.core.instances import InstancesError, pick
    from ...engine.games import UnknownGame, get_game

    try:
        game = get_game(args.game)
        # No --experiment: the one the game plays its iterations on, if it names one.
        args.experiment = args.experiment or game.iterate_experiment
        pick(game.experiments(EVAL_SEED), args.experiment)
    except (UnknownGame, InstancesError) as error:
        return str(error)
    if args.filter not in FILTERS:
        return f"--filter must be one of {', '.join(FILTERS)}, not {args.filter}"
    if args.filter == "rewarded" and get_game(args.game).rewarded is None:
        return f"{get_game(args.game).title} scores whole games: --filter rewarded is for a game that scores single moves"
    if min(args.iterations, args.games, args.eval_games, args.parallel) < 1:
        return "--iterations, --games, --eval-games and --parallel must be at least 1"
    if not args.model.is_file():
        return f"there is no model file {args.model}"
    return None


def command_iterate(args: argparse.Namespace, config: DictgameConfig) -> int:
    problem = _check(args)
    if problem:
        print(f"dictgame: {problem}", file=sys.stderr)
        return EXIT_BAD_INPUT
    from ...engine.tuning import require_extra

    require_extra()
    args.dir.mkdir(parents=True, exist_ok=True)
    rows: list[Evaluation] = []
    model: Path = args.model
    trained_on: Training | None = None
    try:
        for iteration in range(args.iterations + 1):
            print(f"== Iteration {iteration}: evaluating {model.name} on {args.eval_games} held-out games", flush=True)
            code, run_id = _play(config, args, model, EVAL_SEED, args.eval_games)
            if code:
                return code
            played_by, played = _played(config, run_id)
            rows.append(evaluation(args.game, iteration, played_by, played, trained_on))
            if iteration == args.iterations:
                break
            tuned = args.dir / f"iteration-{iteration + 1}.gguf"
            data = args.dir / f"iteration-{iteration + 1}.jsonl"
            if not tuned.is_file():
                print(f"== Iteration {iteration}: self-play, {args.games} games", flush=True)
                code, run_id = _play(config, args, model, iteration + 1, args.games)
                if code:
                    return code
                kept, _ = write_examples(config, [run_id], args.filter, data)
                if not kept:
                    print(f"The {args.filter} filter kept no transcript of run {run_id} (every "
                          "score was 0, every game aborted, or none scored above the mean): nothing to learn "
                          "from, so the loop stops here. --filter all trains on every game.")
                    print(table_text(rows))
                    return 1
                print(f"{plural(kept, 'example')} ({args.filter}) written to {data}", flush=True)
                record: dict[str, str | int | float] = {
                    "data": str(data.resolve()), "filter": args.filter, "iteration": iteration + 1,
                    "selfplay_run": run_id,
                }
                # Training takes PyTorch's own thread count: --threads is the players' (one
                # llama.cpp thread a player keeps its speed on a shared machine; see docs/benchmarks.md).
                run_finetune(data, model, tuned, hyper(training_from(args, args.seed + iteration)), record, None)
            trained_on = _training(tuned)
            model = tuned
    except KeyboardInterrupt as stop:
        return stopped(stop, kept="; finished runs and models are kept: the same command goes on from there")
    print(table_text(rows))
    return 0


def add_commands(add: Any) -> None:
    """The subcommand, on the parser's `add` (name, handler, help)."""
    iterate = add("iterate", command_iterate,
                  "self-play, filter, fine-tune, evaluate, repeated (needs dictgame[finetune])")
    iterate.add_argument("--game", default="dealnodeal", help="any game with a score (default dealnodeal)")
    iterate.add_argument("--experiment", help="the experiment (default: coop for dealnodeal, all for the others)")
    iterate.add_argument("--model", type=Path, required=True, help="the GGUF model to start from")
    iterate.add_argument("--iterations", type=int, default=1, help="rounds of fine-tuning (default 1)")
    iterate.add_argument("--games", type=int, default=40, help="self-play games per iteration (default 40)")
    iterate.add_argument("--eval-games", type=int, default=40,
                         help="held-out games each model is evaluated on (default 40)")
    iterate.add_argument("--parallel", type=int, default=1, metavar="N",
                         help="games played at once (as dictgame run --parallel; default 1)")
    iterate.add_argument("--filter", default="above_avg", help="which transcripts to train on "
                         "(above_avg, nonzero, all, or rewarded: each move that earned on its own, "
                         "where the game scores moves; default above_avg)")
    iterate.add_argument("--dir", type=Path, default=Path("dictgame-iterate"),
                         help="where the data and models of each iteration go")
    add_training_flags(iterate)

"""`dictgame finetune-data`: chat examples from the runs of any game with a score; and
`dictgame finetune`: LoRA fine-tuning of a GGUF model on them, written back as a GGUF file
(the optional extra `dictgame[finetune]`), with progress on the terminal."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from ...engine.words import plural
from ..services.config import DictgameConfig
from ..services.signals import stopped
from ..services.ui_state import remember_tuned_model

EXIT_BAD_INPUT = 2


def hyper_from(args: argparse.Namespace, seed: int | None = None) -> Any:
    from ...engine.tuning.train import Hyper

    return Hyper(
        steps=args.steps, epochs=args.epochs, lr=args.lr, rank=args.rank,
        alpha=2 * args.rank, seed=args.seed if seed is None else seed,
    )


def step_printer(out: TextIO) -> Any:
    """Progress lines: every step on a terminal (redrawn), else about twenty in all."""
    from ...engine.tuning.train import Step

    live = out.isatty()

    def show(step: Step) -> None:
        line = (f"step {step.number}/{step.total}  loss {step.loss:.3f}  "
                f"{clock(step.seconds_left)} left")
        if live:
            out.write("\r\x1b[2K" + line + ("\n" if step.number == step.total else ""))
        elif step.number == step.total or step.number % max(1, step.total // 20) == 0 or step.number == 1:
            out.write(line + "\n")
        out.flush()

    return show


def clock(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}"


def check_paths(data: Path, base: Path, out: Path) -> None:
    """The cheap checks, before the libraries load."""
    from ...engine.tuning import FinetuneError

    for what, path in (("data file", data), ("base model", base)):
        if not path.is_file():
            raise FinetuneError(f"there is no {what} {path}")
    if out.resolve() == base.resolve():
        raise FinetuneError("--out must be a new file, not the base model")
    if not out.parent.is_dir():
        raise FinetuneError(f"there is no folder {out.parent} to write {out.name} in")


def check_finetune(data: Path, base: Path, out: Path) -> None:
    """What the CLI and the TUI's runs screen both check before training: the paths, then
    the optional extra (one line, not an ImportError, when it is missing)."""
    from ...engine.tuning import require_extra

    check_paths(data, base, out)
    require_extra()


def training_record(data: Path, keep: str | None = None, **more: str | int | float) -> dict[str, str | int | float]:
    """What the output's `dictgame.finetune.*` metadata says of the data it learned from."""
    record: dict[str, str | int | float] = {"data": str(data.resolve())}
    if keep:
        record["filter"] = keep
    record.update(more)
    return record


def run_finetune(
    data: Path, base: Path, out: Path, hyper: Any, record: dict[str, str | int | float],
    threads: int | None,
) -> None:
    """Check, train, write; says what it does on stdout."""
    from ...engine.tuning.train import finetune

    check_finetune(data, base, out)
    print(f"Fine-tuning {base.name} on {data.name} (loading the model for training)", flush=True)
    started = time.monotonic()
    finetune(data, base, out, hyper, record, step_printer(sys.stdout), threads=threads)
    remember_tuned_model(out)  # offered by `dictgame models` and the new-game form
    size = out.stat().st_size / 2**20
    print(f"Written {out} ({size:.0f} MiB) in {clock(time.monotonic() - started)}", flush=True)


def command_finetune(args: argparse.Namespace, config: DictgameConfig) -> int:
    record = training_record(args.data, args.filter)
    try:
        run_finetune(args.data, args.base, args.out, hyper_from(args), record, config.runtime.threads)
    except KeyboardInterrupt as stop:
        return stopped(stop, kept=f"; nothing was written to {args.out}")
    return 0


def runs_examples(config: DictgameConfig, run_ids: list[int], keep: str) -> tuple[list[dict[str, Any]], int]:
    """The examples the filter keeps of the runs' played episodes, and how many episodes were
    played. Runs of more than one game are refused: one data file teaches one game."""
    from ...engine.core.finetune import finetune_examples
    from .study_commands import played_episodes

    episodes = played_episodes(config, run_ids)
    titles = sorted({e.game.title for e in episodes})
    if len(titles) > 1:
        raise FinetuneDataError(f"these runs play {', '.join(titles)}; fine-tuning data comes from one game at a time")
    kept = finetune_examples(episodes[0].game.name, (e.state for e in episodes), keep) if episodes else []  # type: ignore[arg-type]
    return kept, len(episodes)


def write_jsonl(examples: list[dict[str, Any]], out: Path) -> None:
    """The examples written whole or not at all."""
    from ...engine.core.finetune import jsonl_text
    from ...engine.tuning import whole_file

    with whole_file(out) as temporary:
        temporary.write_text(jsonl_text(examples), "utf-8")


def write_examples(config: DictgameConfig, run_ids: list[int], keep: str, out: Path) -> tuple[int, int]:
    """The examples the filter keeps of the runs, written to `out`: (examples, episodes)."""
    kept, played = runs_examples(config, run_ids, keep)
    write_jsonl(kept, out)
    return len(kept), played


class FinetuneDataError(ValueError):
    """Runs that cannot make one data file."""


def command_finetune_data(args: argparse.Namespace, config: DictgameConfig) -> int:
    from .study_commands import note_unfinished

    try:
        kept, played = write_examples(config, args.run_ids, args.filter, args.out)
    except FinetuneDataError as error:
        print(f"dictgame: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"{plural(kept, 'example')} from {plural(played, 'game')} ({args.filter}) written to {args.out}")
    note_unfinished(config, args.run_ids)
    return 0


def add_training_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--steps", type=int, default=0,
                        help="optimizer steps, one example each (default: --epochs passes)")
    parser.add_argument("--epochs", type=float, default=1.0, help="passes over the examples (default 1)")
    parser.add_argument("--lr", type=float, default=2e-4, help="learning rate (default 2e-4)")
    parser.add_argument("--rank", type=int, default=8, help="LoRA rank (default 8; alpha is twice it)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the example order and adapters")


def add_commands(add: Any) -> None:
    """The subcommands, on the parser's `add` (name, handler, help)."""
    from ...engine.core.finetune import FILTERS
    from .iterate import command_iterate

    data = add("finetune-data", command_finetune_data, "fine-tuning data from the runs of any game")
    data.add_argument("run_ids", type=int, nargs="+", metavar="RUN_ID")
    data.add_argument("--filter", choices=FILTERS, default="above_avg",
                      help="which transcripts to keep (default above_avg)")
    data.add_argument("--out", type=Path, required=True, help="the JSONL file to write")
    finetune = add("finetune", command_finetune,
                   "fine-tune a GGUF model on chat examples (needs dictgame[finetune])")
    finetune.add_argument("--data", type=Path, required=True, help="the JSONL chat examples")
    finetune.add_argument("--base", type=Path, required=True, help="the GGUF model to start from")
    finetune.add_argument("--out", type=Path, required=True, help="the GGUF file to write")
    finetune.add_argument("--filter", help="the filter the data was made with, for the record")
    add_training_flags(finetune)
    iterate = add("iterate", command_iterate,
                  "self-play, filter, fine-tune, evaluate, repeated (needs dictgame[finetune])")
    iterate.add_argument("--game", default="dealnodeal", help="any game with a score (default dealnodeal)")
    iterate.add_argument("--experiment", help="the experiment (default: coop for dealnodeal, all for the others)")
    iterate.add_argument("--model", type=Path, required=True, help="the GGUF model to start from")
    iterate.add_argument("--iterations", type=int, default=1, help="rounds of fine-tuning (default 1)")
    iterate.add_argument("--games", type=int, default=40, help="self-play games per iteration (default 40)")
    iterate.add_argument("--eval-games", type=int, default=40,
                         help="held-out games each model is evaluated on (default 40)")
    iterate.add_argument("--filter", default="above_avg", help="which transcripts to train on "
                         "(above_avg, nonzero, all; default above_avg)")
    iterate.add_argument("--dir", type=Path, default=Path("dictgame-iterate"),
                         help="where the data and models of each iteration go")
    add_training_flags(iterate)

"""`dictgame finetune-data`: chat examples from the runs of any game with a score; and
`dictgame finetune`: LoRA fine-tuning of a GGUF model on them, written back as a GGUF file
(the optional extra `dictgame[finetune]`), with progress on the terminal."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from ...engine.core.finetune import FILTERS
from ...engine.words import plural
from ..services.config import DictgameConfig
from ..services.runs import note_unfinished
from ..services.signals import stopped
from ..services.tuning import (
    FinetuneDataError,
    Training,
    hyper,
    run_finetune,
    training_record,
    write_examples,
)

# The training flags' defaults.
TRAINING = Training()

EXIT_BAD_INPUT = 2


def training_from(args: argparse.Namespace, seed: int | None = None) -> Training:
    """The training flags (`add_training_flags`), with another seed where one is given."""
    return Training(
        steps=args.steps, epochs=args.epochs, lr=args.lr, rank=args.rank,
        seed=args.seed if seed is None else seed,
    )


def command_finetune(args: argparse.Namespace, config: DictgameConfig) -> int:
    record = training_record(args.data, args.filter)
    try:
        run_finetune(args.data, args.base, args.out, hyper(training_from(args)), record, config.runtime.threads)
    except KeyboardInterrupt as stop:
        return stopped(stop, kept=f"; nothing was written to {args.out}")
    return 0


def command_finetune_data(args: argparse.Namespace, config: DictgameConfig) -> int:
    try:
        kept, played = write_examples(config, args.run_ids, args.filter, args.out)
    except FinetuneDataError as error:
        print(f"dictgame: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"{plural(kept, 'example')} from {plural(played, 'game')} ({args.filter}) written to {args.out}")
    note_unfinished(config, args.run_ids)
    return 0


def add_training_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--steps", type=int, default=TRAINING.steps,
                        help="optimizer steps, one example each (default: --epochs passes)")
    parser.add_argument("--epochs", type=float, default=TRAINING.epochs, help="passes over the examples (default 1)")
    parser.add_argument("--lr", type=float, default=TRAINING.lr, help="learning rate (default 2e-4)")
    parser.add_argument("--rank", type=int, default=TRAINING.rank, help="LoRA rank (default 8; alpha is twice it)")
    parser.add_argument("--seed", type=int, default=TRAINING.seed, help="seed of the example order and adapters")


def add_commands(add: Any) -> None:
    """The subcommands, on the parser's `add` (name, handler, help)."""
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

"""Fine-tuning as the command line and the runs screen both do it: the training settings,
the checks before the libraries load, the examples a filter keeps of stored runs, and a
training run with its progress on a stream. PyTorch loads only when training starts."""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from .config import DictgameConfig
from .runs import played_episodes
from .ui_state import remember_tuned_model


@dataclass(frozen=True)
class Training:
    """The training settings a person chooses (`dictgame finetune`'s flags; their defaults)."""

    steps: int = 0
    epochs: float = 1.0
    lr: float = 2e-4
    rank: int = 8
    seed: int = 0


def hyper(training: Training) -> Any:
    """The trainer's settings: LoRA alpha is twice the rank."""
    from ...engine.tuning.train import Hyper

    return Hyper(
        steps=training.steps, epochs=training.epochs, lr=training.lr, rank=training.rank,
        alpha=2 * training.rank, seed=training.seed,
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


def runs_examples(config: DictgameConfig, run_ids: list[int], keep: str) -> tuple[list[dict[str, Any]], int]:
    """The examples the filter keeps of the runs' played episodes, and how many episodes were
    played. Runs of more than one game are refused: one data file teaches one game."""
    from ...engine.core.finetune import finetune_examples

    episodes = played_episodes(config, run_ids)
    titles = sorted({e.game.title for e in episodes})
    if len(titles) > 1:
        raise FinetuneDataError(f"these runs play {', '.join(titles)}; fine-tuning data comes from one game at a time")
    if keep == "rewarded" and episodes and episodes[0].game.rewarded is None:
        raise FinetuneDataError(f"{titles[0]} scores whole games, not single moves: the rewarded "
                                "filter is for a game that does (Dictionary Discovery's right guesses)")
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

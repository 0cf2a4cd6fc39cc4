"""Fine-tuning a model on one stored run, as the runs screen does it: the run's transcripts
the filter keeps are written as JSONL beside the output (as `dictgame iterate` does), then
`engine.tuning.train.finetune` trains on them, stoppable from another thread. No Textual here:
the screen and its form call these, and so could a command."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ...engine.core.finetune import FILTERS
from ...engine.tuning import FinetuneError, require_extra
from .config import DictgameConfig
from .model_choices import tuned_folder
from .runs import played_episodes
from .tuning import (
    FinetuneDataError,
    Training,
    check_finetune,
    check_paths,
    hyper,
    runs_examples,
    training_record,
    write_jsonl,
)
from .ui_state import remember_tuned_model


@dataclass(frozen=True)
class TuningPlan:
    """What the fine-tune form asked for: which run, from which model, into which file."""

    run_id: int
    game: str
    base: Path
    out: Path
    keep: str
    steps: int
    epochs: float

    @property
    def data(self) -> Path:
        return self.out.with_suffix(".jsonl")

    def hyper(self) -> Any:
        """The trainer's settings: the form's steps and epochs, the rest as `dictgame finetune`'s
        defaults."""
        return hyper(replace(Training(), steps=self.steps, epochs=self.epochs))


def default_base(arguments: dict[str, Any], config: DictgameConfig) -> Path:
    """The model the run played with when both seats played the same local GGUF, else the
    configured model, else the embedded one."""
    models = {str(m) for m in arguments.get("models") or []}
    if len(models) == 1 and (played := models.pop()) and Path(played).is_file():
        return Path(played)
    if configured := config.model_for(0):
        return configured.expanduser()
    from ...models import embedded_model_path

    return Path(embedded_model_path())


def default_out(config: DictgameConfig, run_id: int, keep: str) -> Path:
    """`<db folder>/finetuned/run-<id>-<filter>.gguf`, numbered on when that file is taken."""
    folder = tuned_folder(config)
    path, number = folder / f"run-{run_id}-{keep}.gguf", 1
    while path.exists() or path.with_suffix(".jsonl").exists():
        number += 1
        path = folder / f"run-{run_id}-{keep}-{number}.gguf"
    return path


def tuned_models(config: DictgameConfig, run_id: int) -> list[Path]:
    """The finished models of a run in the default folder (a `.part` is not one)."""
    return sorted(tuned_folder(config).glob(f"run-{run_id}-*.gguf"))


def check_plan(plan: TuningPlan, config: DictgameConfig) -> None:
    """The form's cheap checks, before anything is written: the game, the numbers and the
    paths (the default folder is made)."""
    if plan.keep not in FILTERS:
        raise FinetuneError(f"the filter must be one of {', '.join(FILTERS)}, not {plan.keep}")
    if plan.steps < 0 or plan.epochs <= 0:
        raise FinetuneError("steps must be 0 or more (0: by epochs), and epochs more than 0")
    if plan.out.suffix != ".gguf":
        raise FinetuneError(f"the output must be a .gguf file, not {plan.out.name}")
    if plan.out.expanduser().resolve() == plan.base.expanduser().resolve():
        raise FinetuneError("the output must be a new file, not the base model")
    for path in (plan.out, plan.data):
        if path.exists():
            raise FinetuneError(f"{path} already exists: the output must be a new file")
    if plan.out.parent == tuned_folder(config):
        plan.out.parent.mkdir(parents=True, exist_ok=True)
    # The data file is not written yet: the base model stands in for it in the path checks.
    check_paths(plan.base, plan.base, plan.out)


def kept_examples(plan: TuningPlan, config: DictgameConfig) -> list[dict[str, Any]]:
    """The examples the filter keeps of the run's played games; none is one clear error."""
    try:
        kept, played = runs_examples(config, [plan.run_id], plan.keep)
    except FinetuneDataError as error:
        raise FinetuneError(str(error)) from None
    if not kept:
        raise FinetuneError(
            f"the {plan.keep} filter keeps no transcript of run {plan.run_id} ({played} "
            "games played): nothing to learn from" + ("; the filter all takes every game" if plan.keep != "all" else "")
        )
    return kept


def prepare(plan: TuningPlan, config: DictgameConfig) -> int:
    """Everything `dictgame finetune` checks, then the data written to `plan.data` (whole,
    through a temporary file); returns the number of examples. Nothing is written unless
    every check passed, the fine-tuning extra included."""
    check_plan(plan, config)
    kept = kept_examples(plan, config)
    require_extra()
    write_jsonl(kept, plan.data)
    return len(kept)


def train(
    plan: TuningPlan, config: DictgameConfig, on_step: Callable[[Any], None], stop: Callable[[], bool],
) -> None:
    """Train on `plan.data` and write `plan.out`. A cancelled or failed training leaves
    neither the model nor its data file behind."""
    from ...engine.tuning.train import finetune

    try:
        check_finetune(plan.data, plan.base, plan.out)
        record = training_record(plan.data, plan.keep, selfplay_run=plan.run_id, game=plan.game)
        finetune(plan.data, plan.base, plan.out, plan.hyper(), record, on_step,
                 threads=config.runtime.threads, stop=stop)
        remember_tuned_model(plan.out)
    except BaseException:
        if not plan.out.exists():
            plan.data.unlink(missing_ok=True)
        raise


def run_figures(config: DictgameConfig, run_id: int) -> str:
    """`dictgame eval`'s figures of a run, one line a model pair (empty: nothing played)."""
    from ...engine.core.evaluation import evaluate

    lines = []
    for row in evaluate(played_episodes(config, [run_id])):
        own = ", ".join(f"{name} {_figure(value)}" for name, value in row.figures.items())
        lines.append(
            f"{row.model}: {row.episodes} episodes, {row.played:.0f}% played, main score "
            f"{_figure(row.quality)}, clemscore {_figure(row.clemscore)}" + (f"; {own}" if own else "")
        )
    return "\n".join(lines)


def _figure(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.2f}"

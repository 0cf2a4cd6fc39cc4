"""The models a person can pick (`dictgame models`, the new-game form's list): those found in
the usual folders, then the ones dictgame fine-tuned wherever they were written: the runs
screen's folder beside the save file, and every file `finetune` and `iterate` wrote."""

from __future__ import annotations

from pathlib import Path

from rich.text import Text

from ...models import FoundModel, default_search_dirs, find_models
from . import locations
from .config import DictgameConfig
from .model_names import model_title
from .ui_state import remembered_tuned_models

# The runs screen writes its models here, beside the save file (tui/services/run_tuning.py).
TUNED_FOLDER = "finetuned"


def models_to_pick(config: DictgameConfig) -> list[FoundModel]:
    return find_models(default_search_dirs(locations.models_dir()), tuned=tuned_files(config))


def model_options(found: list[FoundModel], embedded: str) -> list[tuple[Text, str]]:
    """The form's choices: each usable model's name, where it was found and its size, and
    its path (`embedded` for the embedded model)."""
    options: list[tuple[Text, str]] = []
    for model in found:
        if model.info is None:
            continue
        value = embedded if model.source == "embedded" else str(model.path)
        size = f"{model.info.size_bytes / 2**20:.0f} MiB"
        # One name per model, as the panes and lists show it; a long one is cut, not
        # wrapped, so the two players' columns stay aligned.
        label = Text(f"{model_title(model.path)} ({model.source}, {size})", no_wrap=True,
                     overflow="ellipsis")
        options.append((label, value))
    return options


def tuned_folder(config: DictgameConfig) -> Path:
    return config.db.expanduser().resolve().parent / TUNED_FOLDER


def tuned_files(config: DictgameConfig) -> list[Path]:
    folder = tuned_folder(config)
    written = sorted(folder.glob("*.gguf")) if folder.is_dir() else []
    return [*written, *remembered_tuned_models()]

"""The models a person can pick (`dictgame models`, the new-game form's list): those found in
the usual folders, then the ones dictgame fine-tuned wherever they were written: the runs
screen's folder beside the save file, and every file `finetune` and `iterate` wrote."""

from __future__ import annotations

from pathlib import Path

from ..models import FoundModel, default_search_dirs, find_models
from . import locations
from .config import DictgameConfig
from .ui_state import remembered_tuned_models

# The runs screen writes its models here, beside the save file (tui/run_tuning.py).
TUNED_FOLDER = "finetuned"


def models_to_pick(config: DictgameConfig) -> list[FoundModel]:
    return find_models(default_search_dirs(locations.models_dir()), tuned=tuned_files(config))


def tuned_folder(config: DictgameConfig) -> Path:
    return config.db.expanduser().resolve().parent / TUNED_FOLDER


def tuned_files(config: DictgameConfig) -> list[Path]:
    folder = tuned_folder(config)
    written = sorted(folder.glob("*.gguf")) if folder.is_dir() else []
    return [*written, *remembered_tuned_models()]

"""Where dictgame keeps its files: platformdirs locations, each overridable by an environment variable."""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "dictgame"


def _overridable(variable: str, default: Path) -> Path:
    value = os.environ.get(variable)
    return Path(value).expanduser() if value else default


def data_dir() -> Path:
    return _overridable("DICTGAME_DATA_DIR", platformdirs.user_data_path(APP_NAME))


def config_file() -> Path:
    return _overridable(
        "DICTGAME_CONFIG", platformdirs.user_config_path(APP_NAME) / "config.toml"
    )


def default_db_path() -> Path:
    return data_dir() / "dictgame.db"


def models_dir() -> Path:
    """The dictgame models folder: GGUF files dropped here are listed by `dictgame models`."""
    return data_dir() / "models"


def log_file() -> Path:
    return _overridable("DICTGAME_LOG_DIR", platformdirs.user_log_path(APP_NAME)) / "dictgame.log"


def ui_state_file() -> Path:
    """What the UI remembers between runs (the chosen theme); not the user's config file."""
    return data_dir() / "ui-state.json"


def digest_cache() -> Path:
    """Model files' sha256 by path, size and time (models/digest.py): kept so a game starts
    at once; deleting it only costs one read of each model file."""
    return _overridable(
        "DICTGAME_CACHE_DIR", platformdirs.user_cache_path(APP_NAME)
    ) / "model-sha256.json"

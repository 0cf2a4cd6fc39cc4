"""Where dictgame keeps its files: platformdirs locations, each overridable by an environment variable."""

from __future__ import annotations

import os
import re
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


def browser_session() -> str | None:
    """The browser session this app serves (`dictgame serve` names it in DICTGAME_SESSION);
    None in a terminal."""
    session = os.environ.get("DICTGAME_SESSION", "")
    return session if re.fullmatch(r"[A-Za-z0-9_-]{8,64}", session) else None


def games_shared() -> bool:
    """Whether browser sessions see every saved game (`dictgame serve --share`), not only
    the games each started."""
    return os.environ.get("DICTGAME_SHARED") == "1"


def ui_state_file() -> Path:
    """What the UI remembers between runs (the chosen theme); not the user's config file.
    A browser session remembers its own, apart from the host's."""
    session = browser_session()
    if session is not None:
        return data_dir() / "sessions" / f"{session}.json"
    return data_dir() / "ui-state.json"


def digest_cache() -> Path:
    """Model files' sha256 by path, size and time (models/digest.py): kept so a game starts
    at once; deleting it only costs one read of each model file."""
    return _overridable(
        "DICTGAME_CACHE_DIR", platformdirs.user_cache_path(APP_NAME)
    ) / "model-sha256.json"

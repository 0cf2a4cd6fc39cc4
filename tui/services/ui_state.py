"""What the UI remembers between runs (the theme, the last new game's choices, the models it
fine-tuned), kept apart from the user's own config file."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from . import locations

log = logging.getLogger("dictgame.tui")


def remembered_theme(default: str) -> str:
    """The theme picked last time, or `default` when nothing (readable) was remembered."""
    path = locations.ui_state_file()
    try:
        theme = json.loads(path.read_text("utf-8")).get("theme")
    except FileNotFoundError:
        return default
    except (OSError, ValueError, AttributeError) as error:
        log.warning("ignoring unreadable UI state %s: %s", path, error)
        return default
    return theme if isinstance(theme, str) and theme else default


def remember_theme(theme: str) -> None:
    """Write the theme down; a read-only data folder costs the memory, not the game."""
    _write("theme", theme)


def remembered_new_game() -> tuple[str, dict[str, Any]] | None:
    """The game and settings of the last new game started, if any were remembered."""
    last = _read(locations.ui_state_file()).get("new_game")
    if isinstance(last, dict) and isinstance(last.get("game"), str):
        settings = last.get("settings")
        if isinstance(settings, dict):
            return last["game"], settings
    return None


def remember_new_game(game: str, settings: dict[str, Any]) -> None:
    """The new-game form starts from these next time, as the theme is remembered."""
    _write("new_game", {"game": game, "settings": settings})


def remembered_tuned_models() -> list[Path]:
    """The models dictgame fine-tuned, wherever they were written (those since moved or
    deleted are left out)."""
    paths = _read(locations.ui_state_file()).get("tuned_models")
    if not isinstance(paths, list):
        return []
    return [Path(p) for p in paths if isinstance(p, str) and Path(p).is_file()]


def remember_tuned_model(path: Path) -> None:
    """A fine-tuned model is offered with the others (`dictgame models`, the new-game form)."""
    written = str(path.expanduser().resolve())
    kept = [str(p) for p in remembered_tuned_models() if str(p) != written]
    _write("tuned_models", [*kept, written])


def _write(key: str, value: object) -> None:
    path = locations.ui_state_file()
    try:
        state = _read(path)
        state[key] = value
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(state, indent=2, ensure_ascii=False), "utf-8")
    except OSError as error:
        log.warning("cannot remember the %s in %s: %s", key, path, error)


def _read(path: Path) -> dict[str, object]:
    try:
        state = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}

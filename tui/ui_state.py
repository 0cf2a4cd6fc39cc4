"""What the UI remembers between runs (the theme), kept apart from the user's own config file."""

from __future__ import annotations

import json
import logging
from pathlib import Path

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
    path = locations.ui_state_file()
    try:
        state = _read(path)
        state["theme"] = theme
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(state, indent=2), "utf-8")
    except OSError as error:
        log.warning("cannot remember the theme in %s: %s", path, error)


def _read(path: Path) -> dict[str, object]:
    try:
        state = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return state if isinstance(state, dict) else {}

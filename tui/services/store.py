"""The saved games' store, opened where the config says; SQLite loads only when it is opened."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .config import DictgameConfig

if TYPE_CHECKING:
    from ...saves import GameStore


def open_store(config: DictgameConfig) -> GameStore:
    from ...saves import GameStore

    return GameStore.open(config.db.expanduser())

"""Saved games: the engine's state mapped to SQLite rows and back.

The engine never imports SQLite; this package is the only place that knows the schema.
"""

from .errors import DamagedGame, DamagedRun, GameInUse, GameNotFound, SaveFileError
from .leases import GameLease
from .runs import RunNotFound
from .store import GameStore, GameSummary, StoredGame

__all__ = [
    "DamagedGame",
    "DamagedRun",
    "RunNotFound",
    "GameInUse",
    "GameLease",
    "GameNotFound",
    "GameStore",
    "GameSummary",
    "SaveFileError",
    "StoredGame",
]

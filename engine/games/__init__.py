"""The games dictgame hosts, by name. Adding a game is its own folder and one line here
(or one `register` call, as the tests do with a game of their own). Each game's package
registers its game in the core's registry when imported (`engine/core/registry.py`), so the
core never imports a game; this module imports the built-in ones for look-ups by name."""

from __future__ import annotations

from typing import Any

from ..core.game import EpisodeState, Game
from ..core.registry import UnknownGame, game_named, register, registered

__all__ = ["UnknownGame", "all_games", "game_for_settings", "game_of", "get_game", "register"]
BUILTIN = ("dictionary", "hellogame", "firstlast", "dealnodeal")


def _builtin() -> dict[str, Game[Any]]:
    """Every game: the built-in ones (imported on first use), then those registered."""
    from . import dealnodeal, dictionary, firstlast, hellogame  # noqa: F401  (they register)

    games = registered()
    return {**{name: games[name] for name in BUILTIN}, **games}


def get_game(name: str) -> Game[Any]:
    _builtin()
    return game_named(name)


def all_games() -> list[Game[Any]]:
    return list(_builtin().values())


def game_for_settings(settings: object) -> Game[Any]:
    """The game whose settings these are."""
    for game in _builtin().values():
        if type(settings) is game.settings_type:
            return game
    raise UnknownGame(f"no game has settings of type {type(settings).__name__}")


def game_of(state: EpisodeState[Any]) -> Game[Any]:
    _builtin()
    return game_named(type(state).game_name)

"""The games dictgame hosts, by name. Adding a game is its own folder and one line here
(or one `register` call, as the tests do with a game of their own)."""

from __future__ import annotations

from typing import Any

from ..core.game import EpisodeState, Game

_GAMES: dict[str, Game[Any]] = {}


class UnknownGame(ValueError):
    """A game name nobody registered; the message lists the known ones."""


def register(game: Game[Any]) -> Game[Any]:
    _GAMES[game.name] = game
    return game


def _builtin() -> dict[str, Game[Any]]:
    """Every game: the built-in ones (imported on first use), then those registered."""
    if "dictionary" not in _GAMES:
        from .dealnodeal import DEALNODEAL
        from .dictionary import DICTIONARY
        from .firstlast import FIRSTLAST
        from .hellogame import HELLOGAME

        for game in (DICTIONARY, HELLOGAME, FIRSTLAST, DEALNODEAL):
            _GAMES.setdefault(game.name, game)
    return _GAMES


def get_game(name: str) -> Game[Any]:
    games = _builtin()
    try:
        return games[name]
    except KeyError:
        raise UnknownGame(
            f"no game named {name!r}; the games are: {', '.join(sorted(games))}"
        ) from None


def all_games() -> list[Game[Any]]:
    return list(_builtin().values())


def game_for_settings(settings: object) -> Game[Any]:
    """The game whose settings these are."""
    for game in _builtin().values():
        if type(settings) is game.settings_type:
            return game
    raise UnknownGame(f"no game has settings of type {type(settings).__name__}")


def game_of(state: EpisodeState[Any]) -> Game[Any]:
    return get_game(type(state).game_name)

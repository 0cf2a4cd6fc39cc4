"""The games registered so far, by name: what the core looks a game up in.

A game's package registers its game when it is imported (`engine/games/<name>/__init__.py`),
so the core finds the game of any state it is given without importing a game itself: the
state's module is inside that package. `dictgame.engine.games` imports the built-in games
for the callers that look one up by name.
"""

from __future__ import annotations

from typing import Any

from .game import EpisodeState, Game

_GAMES: dict[str, Game[Any]] = {}


class UnknownGame(ValueError):
    """A game name nobody registered; the message lists the known ones."""


def register(game: Game[Any]) -> Game[Any]:
    _GAMES[game.name] = game
    return game


def registered() -> dict[str, Game[Any]]:
    """The registered games, in the order they were registered."""
    return dict(_GAMES)


def game_named(name: str) -> Game[Any]:
    try:
        return _GAMES[name]
    except KeyError:
        raise UnknownGame(
            f"no game named {name!r}; the games are: {', '.join(sorted(_GAMES))}"
        ) from None


def game_of(state: EpisodeState[Any]) -> Game[Any]:
    """The game a state belongs to."""
    return game_named(type(state).game_name)

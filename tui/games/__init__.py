"""Each game's own front end, one package a game (`tui/games/<game>/`: its panel, its forms,
its settings section), found by the game's name as the engine's registry finds the game: the
package's `FRONT`. A game without a package of its own plays with the plain front end (a
typed message, `OutcomePanel`); a game registered from elsewhere (a test's, say) may
register its front beside it with `register_front`. Every game's own keys (`all_keys`) are
what help lists and what `[ui] keys` may remap."""

from __future__ import annotations

from importlib import import_module

from ...engine.games import all_games
from ..services.keys import KEYS, Key, with_own
from ..widgets.game_front import GameFront

_FRONTS: dict[str, GameFront] = {}


def register_front(name: str, front: GameFront) -> GameFront:
    _FRONTS[name] = front
    return front


def front_of(name: str) -> GameFront:
    """The front end of the game named `name`."""
    if name not in _FRONTS:
        try:
            module = import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as error:
            if error.name != f"{__name__}.{name}":
                raise
            return GameFront()
        _FRONTS[name] = module.FRONT
    return _FRONTS[name]


def all_keys() -> list[Key]:
    """The app's keys with every game's own, each game's once."""
    own = [key for game in all_games() for key in front_of(game.name).keys]
    return with_own(KEYS, dict.fromkeys(own))

"""What the new-game form starts from: the last new game's choices, with what the config
the person wrote sets on top (their own file wins over the form's memory)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from ...engine.core.game import Game
from ...engine.core.settings import CommonSettings
from ...engine.games import UnknownGame, game_for_settings, get_game
from ...engine.games.dictionary.game import FIRST_GAME
from ...engine.games.dictionary.settings import GameSettings
from .config import DictgameConfig
from .ui_state import remembered_new_game


def form_start(
    config: DictgameConfig, settings: CommonSettings | None
) -> tuple[Game[Any], GameSettings]:
    """The game the form starts on, and the Dictionary Discovery settings its fields start
    from (another game's players and seed carry over): a game that could not start comes
    back with its own settings; a new form starts from the last choices, the config on top,
    and the very first one on the first game (FIRST_GAME) unless the config sets the mode."""
    fresh = settings is None
    if settings is None:
        settings = last_choices()
    first = fresh and settings is None
    game = game_for_settings(settings) if settings is not None else get_game(config.game)
    if fresh and "game" in config.model_fields_set:
        game = get_game(config.game)  # the config the person wrote wins over memory
    dictionary = config.game_settings(config.seed or 0, "dictionary")
    assert isinstance(dictionary, GameSettings)
    if isinstance(settings, GameSettings):
        dictionary = settings
    elif first and "mode" not in config.games.get("dictionary", {}):
        dictionary = GameSettings.model_validate({**dictionary.model_dump(), **FIRST_GAME})
    elif settings is not None:
        players = tuple(
            p.model_copy(update={"name": s.name, "model": s.model, "human": s.human})
            for p, s in zip(dictionary.players, settings.players, strict=True)
        )
        dictionary = dictionary.model_copy(update={"players": players, "seed": settings.seed})
    return game, with_config(dictionary, config) if fresh else dictionary


def last_choices() -> CommonSettings | None:
    """The settings of the last new game started here, if they still make a game."""
    remembered = remembered_new_game()
    if remembered is None:
        return None
    name, values = remembered
    try:
        return get_game(name).settings_type.model_validate(values)
    except (UnknownGame, ValidationError, ValueError):
        return None


def with_config(remembered: GameSettings, config: DictgameConfig) -> GameSettings:
    """The remembered choices with what the config sets on top: the file the person wrote
    wins over what the form remembered."""
    section = config.games.get("dictionary", {})
    configured = config.game_settings(remembered.seed, "dictionary")
    assert isinstance(configured, GameSettings)
    update: dict[str, Any] = {
        key: getattr(configured, key) for key in section if key in GameSettings.model_fields
    }
    players = []
    for seat, suffix in enumerate("ab"):
        theirs = configured.players[seat]
        changes: dict[str, Any] = {}
        if f"lang_{suffix}" in section:
            changes["language"] = theirs.language
        if getattr(config, f"name_{suffix}") or f"name_{suffix}" in section:
            changes["name"] = theirs.name
        if _SEAT_SETTINGS[suffix] & config.model_fields_set:
            changes.update(model=theirs.model, human=theirs.human)
        players.append(remembered.players[seat].model_copy(update=changes))
    return remembered.model_copy(update={**update, "players": tuple(players)})


# The settings that say who plays a seat: set in the config, they win over the form's memory.
_SEAT_SETTINGS = {
    suffix: {"model", f"model_{suffix}", "base_url", f"base_url_{suffix}", "server_model",
             f"server_model_{suffix}", f"seat_{suffix}"}
    for suffix in "ab"
}


def config_note(section: dict[str, Any], instance: dict[str, Any]) -> str:
    """What the form says of a game's config section: the settings used, and those the
    chosen instance sets itself (empty: the config sets nothing for the game)."""
    used = [f"{key} = {config_value(v)}" for key, v in section.items() if key not in instance]
    lost = [key for key in section if key in instance]
    text = f"Used from your config: {', '.join(used)}" if used else ""
    if lost:
        text += ("; " if text else "") + f"this instance sets its own {', '.join(lost)}"
    return text


def config_value(value: object) -> str:
    """A config value as the config file writes it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return f'"{value}"' if isinstance(value, str) else str(value)

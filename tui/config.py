"""dictgame's configuration: defaults < config.toml < DICTGAME_* environment < command-line flags.

Nested sections mirror what they configure: `[runtime]` (llama.cpp), `[ui]` (the terminal
UI), and `[games.<name>]`, a game's own settings, validated by that game's settings model,
the single source of their bounds:

    model = "~/models/my-model.gguf"
    [runtime]
    threads = 1
    [games.dictionary]
    lang_b = "French"
    rounds = 20
"""

from __future__ import annotations

import os
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from ..engine.chat_template import ChatFormat
from ..engine.core.settings import CommonSettings
from ..engine.games import UnknownGame, get_game
from . import locations

_config_file: ContextVar[Path] = ContextVar("config_file")


class ConfigError(Exception):
    """A config file or setting that cannot be used; the message names it and what to do."""


class RuntimeConfig(BaseModel):
    """How llama.cpp runs the models."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    threads: int | None = Field(default=None, ge=1, le=512)
    """CPU threads per generation; empty: chosen for this machine."""
    context_size: int = Field(default=4096, ge=256, le=1_048_576)
    """llama.cpp context window per player, in tokens."""
    gpu_layers: int = Field(default=0, ge=-1)
    """Layers offloaded to the GPU (-1: all); needs a GPU build of llama-cpp-python."""
    show_llama_log: bool = False
    """Also print llama.cpp's log to stderr (headless only); it always goes to the log file."""
    chat_format: ChatFormat = "template"
    """How prompts are written: with the model's own chat template, or `plain` (### headers),
    for a model whose template is missing, broken, or refused as unsafe."""


class UiConfig(BaseModel):
    """The terminal UI."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    theme: str = "textual-dark"
    """The theme (chosen from the command palette, and remembered)."""
    keys: dict[str, str] = Field(default_factory=dict)
    """Key remapping: binding id to keys, e.g. {"game.pause" = "p", "app.quit" = "ctrl+c"}."""


class DictgameConfig(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DICTGAME_",
        env_nested_delimiter="__",
        extra="forbid",
        use_attribute_docstrings=True,
        validate_default=True,
    )

    game: str = "dictionary"
    """The game a new game plays (`dictgame games` lists them)."""
    model: Path | None = None
    """The GGUF both players use unless given their own; empty: the embedded SmolLM2-135M."""
    model_a: Path | None = None
    """The first player's GGUF (overrides `model`)."""
    model_b: Path | None = None
    """The second player's GGUF (overrides `model`)."""
    name_a: str | None = None
    """The first player's name; empty: the game's own."""
    name_b: str | None = None
    """The second player's name; empty: the game's own."""
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    """Seed of a new game; empty: a new random seed per game (stored with the game)."""
    db: Path = Field(default_factory=locations.default_db_path)
    """The SQLite file where games are saved."""
    runtime: RuntimeConfig = Field(default_factory=RuntimeConfig)
    ui: UiConfig = Field(default_factory=UiConfig)
    games: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Each game's own settings, by game name (see the game's settings for names and bounds)."""
    backend: Literal["llama", "scripted"] = "llama"
    """`scripted` plays without a model (phrasebook players), for demos and tests."""
    scripted_token_delay: float = Field(default=0.0, ge=0.0, le=5.0)
    """Seconds between words of the scripted backend, to behave like a model in demos and tests."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        toml_file = _config_file.get(locations.config_file())
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file))

    def model_for(self, seat: int) -> Path | None:
        return (self.model_a, self.model_b)[seat] or self.model

    def game_settings(
        self, seed: int, game: str | None = None, instance: dict[str, Any] | None = None
    ) -> CommonSettings:
        """The settings of a new game: an instance (a run's; for a single game, the one the
        game draws from the seed), this configuration's section for the game, the seats'
        models and names; the game's settings model judges them."""
        chosen = get_game(game or self.game)
        if instance is None:
            instance = chosen.play_instance(seed)
        given: dict[str, Any] = {
            **self.games.get(chosen.name, {}),
            "models": tuple(_text(self.model_for(seat)) for seat in (0, 1)),
            "names": (self.name_a, self.name_b),
        }
        if "seed" not in (instance or {}):
            given["seed"] = seed
        return chosen.settings_for(dict(instance or {}), given)


def _text(path: Path | None) -> str | None:
    return str(path.expanduser()) if path is not None else None


def load_config(config_file: Path | None = None, **overrides: Any) -> DictgameConfig:
    """Read the configuration; a bad file or value raises ConfigError naming it.

    `overrides` are command-line flags: top-level names, or `games` sections.
    """
    path = config_file or locations.config_file()
    if path.exists():
        try:
            tomllib.loads(path.read_text("utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as error:
            raise ConfigError(f"config file {path}: not valid TOML ({error}); fix or remove it") from None
        except OSError as error:
            raise ConfigError(f"config file {path}: cannot be read ({error.strerror})") from None
    given: dict[str, Any] = {key: value for key, value in overrides.items() if value is not None}
    token = _config_file.set(path)
    try:
        config = DictgameConfig(**given)
    except ValidationError as error:
        raise ConfigError(_describe(error, path, given)) from None
    finally:
        _config_file.reset(token)
    _check_games(config, path, given)
    return config


def _check_games(config: DictgameConfig, path: Path, given: dict[str, Any]) -> None:
    """Every game section names a known game and holds values its settings accept."""
    for name in {config.game, *config.games}:
        try:
            get_game(name)
        except UnknownGame as error:
            where = "game" if name == config.game else f"games.{name}"
            raise ConfigError(f"{_origin(where, path, given)}: {where}: {error}") from None
        try:
            config.game_settings(seed=0, game=name)
        except ValidationError as error:
            first = error.errors()[0]
            if not first["loc"]:  # the settings as a whole: say what, not where
                problem = first["msg"].removeprefix("Value error, ")
                raise ConfigError(f"games.{name}: {problem}") from None
            field = ".".join(str(part) for part in first["loc"])
            where = f"games.{name}.{field}"
            raise ConfigError(f"{_origin(where, path, given)}: {where}: {first['msg']}") from None
        except (TypeError, ValueError, KeyError) as error:
            where = f"games.{name}"
            raise ConfigError(f"{_origin(where, path, given)}: {where}: {error}") from None


def _origin(name: str, path: Path, given: dict[str, Any]) -> str:
    top = name.split(".")[0]
    parts = name.split(".")
    if top in given and (top != "games" or _nested(given, parts) is not None):
        flag = parts[-1] if top == "games" else top
        return f"--{flag.replace('_', '-')}"
    env = "DICTGAME_" + "__".join(p.upper() for p in parts)
    if env in os.environ or f"DICTGAME_{top.upper()}" in os.environ:
        return f"environment variable {env if env in os.environ else 'DICTGAME_' + top.upper()}"
    return f"config file {path}"


def _nested(values: dict[str, Any], parts: list[str]) -> Any:
    for part in parts:
        if not isinstance(values, dict) or part not in values:
            return None
        values = values[part]
    return values


def _describe(error: ValidationError, path: Path, given: dict[str, object]) -> str:
    """One line: which setting, where it came from, what is wrong with it."""
    first = error.errors()[0]
    name = ".".join(str(part) for part in first["loc"]) or "?"
    problem = "unknown setting (a typo?)" if first["type"] == "extra_forbidden" else first["msg"]
    return f"{_origin(name, path, dict(given))}: {name}: {problem}"

"""dictgame's configuration: defaults < config.toml < DICTGAME_* environment < command-line flags.

Nested sections mirror what they configure: `[runtime]` (llama.cpp), `[ui]` (the terminal
UI), and `[games.<name>]`, a game's own settings, validated by that game's settings model,
the single source of their bounds:

    model = "~/models/my-model.gguf"
    base_url_b = "http://127.0.0.1:8080/v1"   # the second player plays through a server
    [runtime]
    threads = 1
    [games.dictionary]
    lang_b = "French"
    rounds = 20
"""

from __future__ import annotations

import difflib
import json
import os
import tomllib
from collections.abc import Iterable
from contextvars import ContextVar
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from ...engine.backend import DEFAULT_CONTEXT_TOKENS
from ...engine.chat_template import ChatFormat
from ...engine.core.settings import SERVER_MODEL, CommonSettings
from ...engine.games import UnknownGame, get_game
from . import locations
from .keys import Key, check_keymap

_config_file: ContextVar[Path] = ContextVar("config_file")


class ConfigError(Exception):
    """A config file or setting that cannot be used; the message names it and what to do."""


class RuntimeConfig(BaseModel):
    """How llama.cpp runs the models."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    threads: int | None = Field(default=None, ge=1, le=512)
    """CPU threads per generation; empty: chosen for this machine."""
    context_size: int = Field(default=DEFAULT_CONTEXT_TOKENS, ge=256, le=1_048_576)
    """llama.cpp context window per player, in tokens."""
    gpu_layers: int = Field(default=0, ge=-1)
    """Layers offloaded to the GPU (-1: all); needs a GPU build of llama-cpp-python."""
    show_llama_log: bool = False
    """Also print llama.cpp's log to stderr (headless only); it always goes to the log file."""
    llama_debug: bool = False
    """Keep llama.cpp's DEBUG lines in the log file too (hundreds of KB per model load)."""
    chat_format: ChatFormat = "template"
    """How prompts are written: with the model's own chat template, or `plain` (### headers),
    for a model whose template is missing, broken, or refused as unsafe."""
    shared_context: bool = False
    """`run --parallel`: decode the players of the episodes in flight together, as sequences
    of shared contexts, instead of each in a context of its own. It pays where a batch of tokens
    costs little more than one (a GPU); on the CPUs measured here contexts of their own ran
    faster (docs/using.md, "Many episodes at once")."""


class ServerConfig(BaseModel):
    """How the seats that play through an OpenAI-compatible server reach it."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    api_key_env: str | None = None
    """The environment variable that holds the servers' API key; empty: no key (local servers)."""
    timeout: float = Field(default=120.0, gt=0, le=3600)
    """Seconds to wait for the next piece of an answer, time queued behind other requests included."""
    connect_timeout: float = Field(default=5.0, gt=0, le=600)
    """Seconds to wait for a connection to a server."""
    retries: int = Field(default=2, ge=0, le=10)
    """Times a request that failed to start (refused, HTTP 5xx or 429) is tried again."""
    schema_form: Literal["json_object", "json_schema", "none"] = "json_object"
    """How a JSON schema constrains answers: `json_object` with a schema (llama-cpp-python's
    server), `json_schema` (OpenAI's form: llama-server, vLLM, Ollama), or `none`."""


# Server addresses: a list, or one address as a plain string (also from the environment, where
# pydantic-settings would otherwise demand JSON).
Addresses = Annotated[list[str], NoDecode]


class UiConfig(BaseModel):
    """The terminal UI."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    theme: str = "textual-dark"
    """The theme (chosen from the command palette, and remembered)."""
    keys: dict[str, str] = Field(default_factory=dict)
    """Key remapping: binding id to keys, e.g. {"game.pause" = "p", "app.quit" = "ctrl+c"};
    F1 and docs/using.md list every id."""
    play_on_open: bool = False
    """A saved game opened from the list plays at once, instead of opening paused."""


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
    base_url: Addresses = Field(default_factory=list)
    """OpenAI-compatible server(s) both players play through unless given their own, e.g.
    "http://127.0.0.1:8080/v1"; several: requests are spread over them by load."""
    base_url_a: Addresses = Field(default_factory=list)
    """The first player's server(s) (overrides `base_url`)."""
    base_url_b: Addresses = Field(default_factory=list)
    """The second player's server(s) (overrides `base_url`)."""
    server_model: str | None = None
    """The model a server plays, by the name the server lists; empty: its first model."""
    server_model_a: str | None = None
    """The first player's server model (overrides `server_model`)."""
    server_model_b: str | None = None
    """The second player's server model (overrides `server_model`)."""
    name_a: str | None = None
    """The first player's name; empty: the game's own."""
    name_b: str | None = None
    """The second player's name; empty: the game's own."""
    seat_a: Literal["model", "human"] = "model"
    """Who plays the first seat of a new game: a model, or you (`human`)."""
    seat_b: Literal["model", "human"] = "model"
    """Who plays the second seat of a new game: a model, or you (`human`)."""
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    """Seed of a new game; empty: a new random seed per game (stored with the game)."""
    db: Path = Field(default_factory=locations.default_db_path)
    """The SQLite file where games are saved."""
    runtime: RuntimeConfig = Field(default_factory=RuntimeConfig)
    server: ServerConfig = Field(default_factory=ServerConfig)
    ui: UiConfig = Field(default_factory=UiConfig)
    games: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Each game's own settings, by game name (see the game's settings for names and bounds)."""
    backend: Literal["llama", "scripted"] = "llama"
    """`scripted` plays without a model (phrasebook players), for demos and tests."""
    scripted_token_delay: float = Field(default=0.0, ge=0.0, le=5.0)
    """Seconds between words of the scripted backend, to behave like a model in demos and tests."""
    # Where `ui.keys` came from, for `check_keys` (set by `load_config`).
    _keys_origin: str = PrivateAttr(default="the configuration")

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

    @field_validator("base_url", "base_url_a", "base_url_b", mode="before")
    @classmethod
    def _urls(cls, value: object) -> object:
        """One address or a list of them (a JSON list, from the environment); each an http(s) URL."""
        if isinstance(value, str):
            value = json.loads(value) if value.lstrip().startswith("[") else [value]
        urls = value
        if isinstance(urls, list):
            for url in urls:
                if not (isinstance(url, str) and url.startswith(("http://", "https://"))):
                    raise ValueError(f"{url!r} is not an http:// or https:// address")
        return urls

    def model_for(self, seat: int) -> Path | None:
        return (self.model_a, self.model_b)[seat] or self.model

    def base_urls_for(self, seat: int) -> list[str]:
        """The servers a seat plays through; empty: it plays a local GGUF."""
        return (self.base_url_a, self.base_url_b)[seat] or self.base_url

    def server_model_for(self, seat: int) -> str | None:
        return (self.server_model_a, self.server_model_b)[seat] or self.server_model

    def seat_model(self, seat: int) -> str | None:
        """What a seat's player is stored as: its GGUF, or `server:NAME` for a server's model
        (its address is not stored: a server may move and its games still resume)."""
        if self.base_urls_for(seat):
            return SERVER_MODEL + (self.server_model_for(seat) or "")
        return _text(self.model_for(seat))

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
            "models": tuple(self.seat_model(seat) for seat in (0, 1)),
            "names": (self.name_a, self.name_b),
        }
        if "seed" not in (instance or {}):
            given["seed"] = seed
        settings = chosen.settings_for(dict(instance or {}), given)
        return with_people(settings, (self.seat_a == "human", self.seat_b == "human"))


def with_people(settings: CommonSettings, people: tuple[bool, bool]) -> CommonSettings:
    """The settings with a person in each seat marked so (and no model for that seat)."""
    if not any(people):
        return settings
    players = tuple(
        player.model_copy(update={"human": True, "model": None}) if person else player
        for player, person in zip(settings.players, people, strict=True)
    )
    return settings.model_copy(update={"players": players})


def _text(path: Path | None) -> str | None:
    return str(path.expanduser()) if path is not None else None


def load_config(config_file: Path | None = None, **overrides: Any) -> DictgameConfig:
    """Read the configuration; a bad file or value raises ConfigError naming it.

    `overrides` are command-line flags: top-level names, or `games` sections.
    """
    path = config_file or locations.config_file()
    named = config_file is not None or bool(os.environ.get("DICTGAME_CONFIG"))
    if named and not path.exists():
        given_by = "--config" if config_file is not None else "DICTGAME_CONFIG"
        raise ConfigError(f"config file {path} (from {given_by}) does not exist; check the path")
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
    _check_db_folder(config, path, given)
    config._keys_origin = _origin("ui.keys", path, given)
    return config


def check_keys(config: DictgameConfig, keys: Iterable[Key]) -> None:
    """`[ui] keys` remaps known ids only (a typo would otherwise be silently ignored). The app
    checks it as it starts, with every game's keys: the games' front ends declare their own."""
    try:
        check_keymap(config.ui.keys, keys)
    except ValueError as error:
        raise ConfigError(f"{config._keys_origin}: ui.keys: {error}") from None


def _check_db_folder(config: DictgameConfig, path: Path, given: dict[str, Any]) -> None:
    """A save file the person named goes in a folder that exists: a mistyped path would
    otherwise make folders and show an empty list as if the games were gone."""
    db = config.db.expanduser()
    if db == locations.default_db_path() or db.parent.is_dir():
        return
    raise ConfigError(
        f"{_origin('db', path, given)}: cannot use save file {db}: its folder {db.parent} "
        "does not exist; create it first or give another path"
    )


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
            problem = first["msg"]
            if first["type"] == "extra_forbidden":
                game = get_game(name)
                problem = f"{game.title} has no setting {field!r}; " + _suggestion(
                    field, _game_setting_names(name)
                )
            raise ConfigError(f"{_origin(where, path, given)}: {where}: {problem}") from None
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
    problem = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        *section, key = (str(part) for part in first["loc"])
        model: type[BaseModel] = DictgameConfig
        for part in section:  # runtime, server, ui: a section of its own
            annotation = model.model_fields[part].annotation
            model = annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else model
        problem = "unknown setting; " + _suggestion(key, model.model_fields)
    return f"{_origin(name, path, dict(given))}: {name}: {problem}"


def _game_setting_names(name: str) -> list[str]:
    """The settings a game's section takes: its settings model's (but the players, set by
    the top-level names and models), and those the game reads besides (Dictionary
    Discovery's per-seat languages and names)."""
    game = get_game(name)
    return [key for key in game.settings_type.model_fields if key != "players"] + list(game.given_keys)


def _suggestion(key: str, known: Iterable[str]) -> str:
    """The nearest known name to a mistyped one, or the known names when none is near."""
    names = sorted(known)
    close = difflib.get_close_matches(key, names, n=1)
    return f"did you mean {close[0]}?" if close else f"the settings are {', '.join(names)}"

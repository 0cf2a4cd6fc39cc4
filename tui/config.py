"""dictgame's configuration: defaults < config.toml < DICTGAME_* environment < command-line flags."""

from __future__ import annotations

import os
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from ..engine.chat_template import ChatFormat
from ..engine.settings import GameSettings, PlayerSettings
from . import locations

_config_file: ContextVar[Path] = ContextVar("config_file")


class ConfigError(Exception):
    """A config file or setting that cannot be used; the message names it and what to do."""


class DictgameConfig(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DICTGAME_",
        env_nested_delimiter="__",
        extra="forbid",
        use_attribute_docstrings=True,
        validate_default=True,
    )

    model: Path | None = None
    """The GGUF both players use unless given their own; empty: the embedded SmolLM2-135M."""
    model_a: Path | None = None
    """The first player's GGUF (overrides `model`)."""
    model_b: Path | None = None
    """The second player's GGUF (overrides `model`)."""
    name_a: str = "Alice"
    """The first player's name."""
    name_b: str = "Bruno"
    """The second player's name."""
    lang_a: str = "English"
    """The language the first player speaks."""
    lang_b: str = "Spanish"
    """The language the second player speaks."""
    rounds: int = Field(default=10, ge=1, le=10_000)
    """A round is one message from each player."""
    words_per_message: int = Field(default=8, ge=1, le=100)
    """The move rule on message length."""
    temperature: float = Field(default=0.7, ge=0.0, le=2.0)
    """Sampling temperature for both players."""
    seed: int | None = Field(default=None, ge=0, le=2**31 - 1)
    """Seed of a new game; empty: a new random seed per game (stored with the game)."""
    opening: str = ""
    """The first player's first message; empty: the model writes its own greeting."""
    reprompt: Literal["resample", "feedback"] = "resample"
    """How a broken answer is asked again: a new sample, or with a note naming the rule
    (helps larger models; small ones copy the note)."""
    threads: int | None = Field(default=None, ge=1, le=512)
    """CPU threads per generation; empty: chosen for this machine."""
    context_size: int = Field(default=4096, ge=256, le=1_048_576)
    """llama.cpp context window per player, in tokens."""
    gpu_layers: int = Field(default=0, ge=-1)
    """Layers offloaded to the GPU (-1: all); needs a GPU build of llama-cpp-python."""
    chat_format: ChatFormat = "template"
    """How prompts are written: with the model's own chat template, or `plain` (### headers),
    for a model whose template is missing, broken, or refused as unsafe."""
    db: Path = Field(default_factory=locations.default_db_path)
    """The SQLite file where games are saved."""
    keys: dict[str, str] = Field(default_factory=dict)
    """Key remapping: binding id to keys, e.g. {"game.pause" = "p", "app.quit" = "ctrl+c"}."""
    theme: str = "textual-dark"
    """The terminal UI's theme (chosen from the command palette, and remembered)."""
    backend: Literal["llama", "scripted"] = "llama"
    """`scripted` plays without a model (phrasebook players), for demos and tests."""
    scripted_token_delay: float = Field(default=0.0, ge=0.0, le=5.0)
    """Seconds between words of the scripted backend, to behave like a model in demos and tests."""
    show_llama_log: bool = False
    """Also print llama.cpp's log to stderr (headless only); it always goes to the log file."""

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

    def game_settings(self, seed: int) -> GameSettings:
        """The settings of a new game, from this configuration."""
        return GameSettings(
            players=(
                PlayerSettings(name=self.name_a, language=self.lang_a, model=_text(self.model_for(0))),
                PlayerSettings(name=self.name_b, language=self.lang_b, model=_text(self.model_for(1))),
            ),
            rounds=self.rounds,
            words_per_message=self.words_per_message,
            temperature=self.temperature,
            seed=seed,
            opening=self.opening,
            reprompt=self.reprompt,
        )


def _text(path: Path | None) -> str | None:
    return str(path.expanduser()) if path is not None else None


def load_config(config_file: Path | None = None, **overrides: object) -> DictgameConfig:
    """Read the configuration; a bad file or value raises ConfigError naming it."""
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
        return DictgameConfig(**given)
    except ValidationError as error:
        raise ConfigError(_describe(error, path, given)) from None
    finally:
        _config_file.reset(token)


def _describe(error: ValidationError, path: Path, given: dict[str, object]) -> str:
    """One line: which setting, where it came from, what is wrong with it."""
    first = error.errors()[0]
    name = ".".join(str(part) for part in first["loc"]) or "?"
    if name in given:
        origin = f"--{name.replace('_', '-')}"
    elif f"DICTGAME_{name.upper()}" in os.environ:
        origin = f"environment variable DICTGAME_{name.upper()}"
    else:
        origin = f"config file {path}"
    problem = "unknown setting (a typo?)" if first["type"] == "extra_forbidden" else first["msg"]
    return f"{origin}: {name}: {problem}"

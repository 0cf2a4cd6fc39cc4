"""The `dictgame` command. Its subcommand and flag names are a contract other tools rely on.

Heavy imports (llama.cpp, Textual) happen inside the commands that need them, so
`dictgame --help` and the first screen come up at once.
"""

from __future__ import annotations

import argparse
import logging
import secrets
import sys
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..engine.words import plural, sentence
from . import locations
from .config import ConfigError, DictgameConfig, load_config
from .logs import setup_logging
from .signals import output_closed, stop_on_signals, stopped
from .terminal import guard_standard_streams

if TYPE_CHECKING:  # imported by the commands that need them, to keep start-up fast
    from ..engine.settings import GameSettings
    from ..engine.state import GameState
    from ..saves import GameStore

log = logging.getLogger("dictgame.cli")

EXIT_BAD_INPUT = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="dictgame",
        description="Two local language models build a common dictionary by talking. "
        "With no command, opens the terminal UI.",
    )
    parser.add_argument("--version", action="version", version=f"dictgame {version('dictgame')}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", type=Path, help="the SQLite file of saved games")
    common.add_argument("--config", type=Path, help="a config.toml to read instead of the default")
    runtime = argparse.ArgumentParser(add_help=False)
    runtime.add_argument("--threads", type=int, help="CPU threads per generation")
    runtime.add_argument("--context-size", type=int, help="context window per player, in tokens")
    runtime.add_argument("--gpu-layers", type=int, help="layers to offload to the GPU (-1: all)")
    runtime.add_argument("--headless", action="store_true", help="play in the terminal without the UI")
    runtime.add_argument(
        "--chat-format", choices=["template", "plain"],
        help="prompt with the model's chat template, or in a plain format that needs none",
    )
    game = argparse.ArgumentParser(add_help=False)
    game.add_argument("--rounds", type=int, help="rounds to play (a round is a message from each)")
    game.add_argument("--lang-a", help="the first player's language")
    game.add_argument("--lang-b", help="the second player's language")
    game.add_argument("--name-a", help="the first player's name")
    game.add_argument("--name-b", help="the second player's name")
    game.add_argument("--model", type=Path, help="GGUF file for both players")
    game.add_argument("--model-a", type=Path, help="GGUF file for the first player")
    game.add_argument("--model-b", type=Path, help="GGUF file for the second player")
    game.add_argument("--seed", type=int, help="seed of the game (default: random)")
    game.add_argument("--words-per-message", type=int, help="word limit of a message")
    game.add_argument("--temperature", type=float, help="sampling temperature")
    game.add_argument("--opening", help="the first player's first message")
    game.add_argument(
        "--reprompt", choices=["resample", "feedback"],
        help="ask a broken answer again as a new sample, or with a note naming the rule",
    )

    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    play = commands.add_parser("play", parents=[common, runtime, game], help="play a new game")
    play.set_defaults(handler=command_play)
    new = commands.add_parser("new", parents=[common, runtime, game], help="open the UI on a new game")
    new.set_defaults(handler=command_play)
    resume = commands.add_parser("resume", parents=[common, runtime], help="continue a saved game")
    resume.add_argument("game_id", type=int, metavar="ID")
    resume.set_defaults(handler=command_resume)
    listing = commands.add_parser("list", parents=[common], help="list saved games")
    listing.set_defaults(handler=command_list)
    export = commands.add_parser("export", parents=[common], help="export a game")
    export.add_argument("game_id", type=int, metavar="ID")
    export.add_argument("--format", choices=["markdown", "json"], default="markdown")
    export.set_defaults(handler=command_export)
    models = commands.add_parser("models", parents=[common], help="list GGUF models found on this machine")
    models.set_defaults(handler=command_models)
    return parser


def main(argv: list[str] | None = None) -> int:
    guard_standard_streams()  # before anything is printed: names, messages and paths are data
    args = build_parser().parse_args(argv)
    log_path = setup_logging(locations.log_file())
    try:
        config = _config_from(args)
        if getattr(args, "headless", False) and config.show_llama_log:
            setup_logging(locations.log_file(), llama_to_stderr=True)
        handler = getattr(args, "handler", command_home)
        if not _opens_the_ui(args):
            stop_on_signals()  # Ctrl+C, SIGTERM, SIGHUP: one line, exit 128 + the signal
        return handler(args, config)
    except KeyboardInterrupt as stop:
        return stopped(stop)
    except BrokenPipeError:
        return output_closed()
    except Exception as error:
        if isinstance(error, _user_errors()):
            log.warning("%s", error)
            print(f"dictgame: {sentence(str(error))}", file=sys.stderr)
            return EXIT_BAD_INPUT
        log.exception("unexpected error")
        where = f"; details in {log_path}" if log_path else ""
        print(f"dictgame: {sentence(f'unexpected error: {error}{where}')}", file=sys.stderr)
        return 1


def _opens_the_ui(args: argparse.Namespace) -> bool:
    return args.command is None or (args.command in ("play", "new", "resume") and not args.headless)


def _user_errors() -> tuple[type[Exception], ...]:
    """Errors caused by the user's files or settings: one line, exit code 2, no traceback."""
    from ..engine.backend import ContextOverflowError
    from ..engine.versions import UnsupportedLlamaCpp
    from ..models import ModelFileError
    from ..saves import GameInUse, GameNotFound, SaveFileError

    errors: list[type[Exception]] = [
        ConfigError,
        UnsupportedLlamaCpp,
        ModelFileError,
        SaveFileError,
        GameNotFound,
        GameInUse,
        ContextOverflowError,
    ]
    if "dictgame.engine.llama_runtime" in sys.modules:
        from ..engine.llama_runtime import ModelLoadError

        errors.append(ModelLoadError)
    return tuple(errors)


_CONFIG_FLAGS = (
    "db", "threads", "context_size", "gpu_layers", "rounds", "lang_a", "lang_b", "name_a",
    "name_b", "model", "model_a", "model_b", "seed", "words_per_message", "temperature", "opening",
    "reprompt", "chat_format",
)


def _config_from(args: argparse.Namespace) -> DictgameConfig:
    overrides: dict[str, Any] = {name: getattr(args, name, None) for name in _CONFIG_FLAGS}
    return load_config(getattr(args, "config", None), **overrides)


def _open_store(config: DictgameConfig) -> GameStore:
    from ..saves import GameStore

    return GameStore.open(config.db.expanduser())


# -- commands ----------------------------------------------------------------------


def command_home(args: argparse.Namespace, config: DictgameConfig) -> int:
    from .app import DictgameApp

    DictgameApp(config).run()
    return 0


def command_play(args: argparse.Namespace, config: DictgameConfig) -> int:
    seed = config.seed if config.seed is not None else secrets.randbelow(2**31)
    settings = config.game_settings(seed)
    if not args.headless:
        from .app import DictgameApp

        DictgameApp(config, new_game=settings).run()
        return 0
    from ..engine.state import GameState

    return _play_headless(config, None, GameState(settings))


def command_resume(args: argparse.Namespace, config: DictgameConfig) -> int:
    if not args.headless:
        from .app import DictgameApp

        DictgameApp(config, resume_game=args.game_id).run()
        return 0
    with _open_store(config) as store:
        state = store.load_game(args.game_id)
    return _play_headless(config, args.game_id, state)


def _play_headless(config: DictgameConfig, game_id: int | None, state: GameState) -> int:
    from ..engine.game_master import GameMaster
    from .headless import play_to_end
    from .players import open_backend, seat_players

    with _open_store(config) as store:
        backend = open_backend(config)
        try:
            # The players are seated before a new game is stored: a model file that cannot be
            # read or loaded leaves nothing behind.
            sessions = seat_players(backend, state.settings, config)
            if game_id is None:
                game_id = store.create_game(state.settings)
            print(f"Game {game_id}: {_title(state.settings)}", flush=True)
            with store.acquire(game_id):
                play_to_end(store, game_id, GameMaster(state, sessions), sys.stdout)
        except KeyboardInterrupt as stop:
            return stopped(stop, game_id=game_id, before_game=game_id is None)
        finally:
            backend.close()
    print(f"game id: {game_id}")
    return 0


def _title(settings: GameSettings) -> str:
    a, b = settings.players
    rounds = plural(settings.rounds, "round")
    return f"{a.name} ({a.language}) and {b.name} ({b.language}), {rounds}, seed {settings.seed}"


def command_list(args: argparse.Namespace, config: DictgameConfig) -> int:
    with _open_store(config) as store:
        games = store.list_games()
    if not games:
        print("No saved games yet. Start one with `dictgame`, or `dictgame play --headless` without the UI.")
        return 0
    print(f"{'id':>4}  {'languages':<22} {'status':<9} {'rounds':>7}  updated")
    for game in games:
        languages = " / ".join(game.languages)
        rounds = f"{game.moves_played // 2}/{game.rounds}"
        print(f"{game.id:>4}  {languages:<22} {game.status:<9} {rounds:>7}  {game.updated}")
    return 0


def command_export(args: argparse.Namespace, config: DictgameConfig) -> int:
    from ..engine.export import game_json, game_markdown

    with _open_store(config) as store:
        state = store.load_game(args.game_id)
    text = game_json(args.game_id, state) if args.format == "json" else game_markdown(args.game_id, state)
    sys.stdout.write(text + "\n")
    return 0


def command_models(args: argparse.Namespace, config: DictgameConfig) -> int:
    from ..models import default_search_dirs, find_models

    found = find_models(default_search_dirs(locations.models_dir()))
    print(f"{'name':<32} {'arch':<10} {'size':>8} {'quant':<8} {'context':>8} {'chat':<5} path")
    for model in found:
        if model.info is None:
            print(f"{'(unusable)':<32} {model.error}  {model.path}")
            continue
        info = model.info
        size = f"{info.size_bytes / 2**20:.0f} MiB"
        context = str(info.context_length or "?")
        chat = "yes" if info.has_chat_template else "no"
        print(
            f"{info.name[:32]:<32} {info.architecture[:10]:<10} {size:>8} {info.quantization[:8]:<8} "
            f"{context:>8} {chat:<5} {info.path}"
        )
    return 0

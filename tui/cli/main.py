"""The `dictgame` command. Its subcommand and flag names are a contract other tools rely on.

Heavy imports (llama.cpp, Textual) happen inside the commands that need them, so
`dictgame --help` and the first screen come up at once. The commands themselves live beside
this file (`commands.py`: one game; `study_commands.py`: runs, records, evaluation; the deal,
fine-tuning, self-play and serve commands) and call the services (`tui/services`).
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

from ...engine.words import sentence
from ..services import locations
from ..services.config import ConfigError, DictgameConfig, load_config
from ..services.logs import setup_logging
from ..services.signals import output_closed, stop_on_signals, stopped
from ..services.terminal import guard_standard_streams
from . import commands, deal_commands, finetune_commands, iterate, serve, study_commands

log = logging.getLogger("dictgame.cli")

EXIT_BAD_INPUT = 2

# Flags that set a game's own settings: they go into the config's `games.<game>` section.
GAME_FLAGS = ("rounds", "lang_a", "lang_b", "words_per_message", "temperature", "opening", "reprompt", "mode",
              "memory", "topic")
TOP_FLAGS = ("db", "game", "model", "model_a", "model_b", "name_a", "name_b", "seed", "seat_a", "seat_b")
SERVER_FLAGS = (
    "base_url", "base_url_a", "base_url_b", "server_model", "server_model_a", "server_model_b"
)
RUNTIME_FLAGS = ("threads", "context_size", "gpu_layers", "chat_format")


def _common_flags() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", type=Path, default=argparse.SUPPRESS, help="the SQLite file of saved games")
    common.add_argument("--config", type=Path, default=argparse.SUPPRESS, help="a config.toml to read instead of the default")
    return common


def _runtime_flags() -> argparse.ArgumentParser:
    # Global flags: before the command or after it. SUPPRESS keeps a value given before the
    # command from being reset by the command's own (absent) copy of the flag.
    runtime = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    runtime.add_argument("--threads", type=int, help="CPU threads per generation")
    runtime.add_argument("--context-size", type=int, help="context window per player, in tokens")
    runtime.add_argument("--gpu-layers", type=int, help="layers to offload to the GPU (-1: all)")
    runtime.add_argument(
        "--chat-format", choices=["template", "plain"],
        help="prompt with the model's chat template, or in a plain format that needs none",
    )
    runtime.add_argument(
        "--base-url", action="append", metavar="URL",
        help="an OpenAI-compatible server both players play through, e.g. "
        "http://127.0.0.1:8080/v1 (repeat for several servers: requests go to the least busy)",
    )
    for seat, which in (("a", "first"), ("b", "second")):
        runtime.add_argument(
            f"--base-url-{seat}", action="append", metavar="URL",
            help=f"a server the {which} player plays through (repeatable)",
        )
    runtime.add_argument("--server-model", help="the model a server plays (default: its first)")
    for seat, which in (("a", "first"), ("b", "second")):
        runtime.add_argument(f"--server-model-{seat}", help=f"the {which} player's server model")
    return runtime


def _seat_flags() -> argparse.ArgumentParser:
    seats = argparse.ArgumentParser(add_help=False)
    seats.add_argument("--game", help="the game to play (dictgame games lists them)")
    seats.add_argument("--model", type=Path, help="GGUF file for both players")
    seats.add_argument("--model-a", type=Path, help="GGUF file for the first player")
    seats.add_argument("--model-b", type=Path, help="GGUF file for the second player")
    seats.add_argument("--seed", type=int, help="seed (default: random)")
    for seat in "ab":
        seats.add_argument(f"--seat-{seat}", choices=["model", "human"], help=f"who plays seat {seat.upper()}: a model, or you")
    return seats


def _game_flags() -> argparse.ArgumentParser:
    game = argparse.ArgumentParser(add_help=False)
    game.add_argument("--rounds", type=int, help="Dictionary Discovery: rounds to play (a round is a message from each)")
    game.add_argument("--lang-a", help="Dictionary Discovery: the first player's language")
    game.add_argument("--lang-b", help="Dictionary Discovery: the second player's language")
    game.add_argument("--name-a", help="the first player's name")
    game.add_argument("--name-b", help="the second player's name")
    game.add_argument("--words-per-message", type=int, help="Dictionary Discovery: word limit of a message")
    game.add_argument("--temperature", type=float, help="sampling temperature")
    game.add_argument("--opening", help="Dictionary Discovery: the first player's first message")
    game.add_argument("--mode", choices=["free", "scenes", "invented"], help="Dictionary Discovery: free talk, or name and guess things of shared scenes in real or invented languages")
    game.add_argument(
        "--memory", action=argparse.BooleanOptionalAction, default=None,
        help="Dictionary Discovery: each player remembers and retrieves what matters now "
        "(free talk: instead of forgetting the oldest history; a guess: what the word heard "
        "meant before); on by default in a new invented-words game",
    )
    game.add_argument(
        "--topic", action=argparse.BooleanOptionalAction, default=None,
        help="Dictionary Discovery, free talk: each round both players talk about the same "
        "thing of the concept bank, each given it in its own words",
    )
    game.add_argument(
        "--reprompt", choices=["resample", "feedback"],
        help="ask a broken answer again as a new sample, or with a note naming the rule",
    )
    return game


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if not 1 <= value <= 256:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number from 1 to 256")
    return value


def build_parser() -> argparse.ArgumentParser:
    common, runtime, seats, game = _common_flags(), _runtime_flags(), _seat_flags(), _game_flags()
    parser = argparse.ArgumentParser(
        prog="dictgame",
        parents=[common, runtime],
        # Abbreviations on this level would read a command's own flag as a prefix of a global
        # one (`finetune --base` as `--base-url`); each command's parser still accepts them.
        allow_abbrev=False,
        description="Local language models play dialogue games: Dictionary Discovery, where "
        "two models build a common dictionary by talking, and others. With no command, opens "
        "the terminal UI.",
    )
    parser.add_argument("--version", action="version", version=f"dictgame {version('dictgame')}")
    parser.set_defaults(handler=commands.command_home)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, handler: Any, help: str, *parents: argparse.ArgumentParser) -> argparse.ArgumentParser:
        # The global flags (--db, --config, the runtime's) are accepted after every command too.
        command = sub.add_parser(name, parents=[common, runtime, *parents], help=help)
        command.set_defaults(handler=handler)
        return command

    for name, text in (("play", "play a new game"), ("new", "open the UI on a new game")):
        add(name, commands.command_play, text, seats, game).add_argument(
            "--headless", action="store_true", help="play in the terminal without the UI"
        )
    resume = add("resume", commands.command_resume, "continue a saved game")
    resume.add_argument("game_id", type=int, metavar="ID")
    resume.add_argument("--headless", action="store_true", help="play in the terminal without the UI")
    add("list", commands.command_list, "list saved games")
    export = add("export", commands.command_export, "export a game")
    export.add_argument("game_id", type=int, metavar="ID")
    export.add_argument("--format", choices=["markdown", "json"], default="markdown")
    delete = add("delete", commands.command_delete, "delete a saved game")
    delete.add_argument("game_id", type=int, metavar="ID")
    add("models", commands.command_models, "list GGUF models found on this machine")
    add("games", study_commands.command_games, "list the games and their experiments")
    instances = add("instances", study_commands.command_instances, "write a game's instances (clembench's instances.json)")
    instances.add_argument("game_name", metavar="GAME")
    instances.add_argument("--seed", type=int, default=0, help="seed of the instance generator")
    instances.add_argument("--out", type=Path, help="write to this file instead of printing")
    run = add("run", study_commands.command_run, "play every instance of a game as a stored run", seats, game)
    run.add_argument("--experiment", help="only this experiment")
    run.add_argument("--instances", type=Path, help="a clembench-shaped instances.json to play")
    run.add_argument("--resume", type=int, metavar="RUN_ID", help="finish this run")
    run.add_argument(
        "--parallel", type=_positive, default=1, metavar="N",
        help="episodes played at once (on a server: concurrent requests, which a batching "
        "server such as llama-server or vLLM serves together)",
    )
    run.add_argument("--runs", type=int, default=1, metavar="N", help="play each instance N times")
    run.add_argument("--episodes", type=int, metavar="N",
                     help="play exactly N episodes, drawn in turn from the experiments' instances "
                     "(repeated with new seeds past their number); instead of --runs")
    add("runs", study_commands.command_runs, "list runs")
    records = add("records", study_commands.command_records, "write a run as clembench records")
    records.add_argument("run_id", type=int, metavar="RUN_ID")
    records.add_argument("--out", type=Path, required=True, help="the results folder to write")
    evaluation = add("eval", study_commands.command_eval, "scores of runs per game and model")
    evaluation.add_argument("run_ids", type=int, nargs="+", metavar="RUN_ID")
    evaluation.add_argument("--csv", type=Path, help="also write the table as CSV")
    deal_commands.add_commands(add)
    serve.add_commands(add, served_opens_the_ui)
    finetune_commands.add_commands(add)
    iterate.add_commands(add)
    return parser


def served_opens_the_ui(argv: list[str]) -> bool:
    """Whether `dictgame ARGV` opens the terminal UI (what `serve` runs for each browser); a
    bad ARGV gets argparse's line and exit 2."""
    return opens_the_ui(build_parser().parse_args(argv))


def main(argv: list[str] | None = None) -> int:
    guard_standard_streams()  # before anything is printed: names, messages and paths are data
    args = build_parser().parse_args(argv)
    log_path = setup_logging(locations.log_file())
    try:
        config = _config_from(args)
        runtime = config.runtime
        to_stderr = getattr(args, "headless", False) and runtime.show_llama_log
        if to_stderr or runtime.llama_debug:
            setup_logging(locations.log_file(), to_stderr, runtime.llama_debug)
        if opens_the_ui(args):
            refuse_without_terminal()
        else:
            stop_on_signals()  # Ctrl+C, SIGTERM, SIGHUP: one line, exit 128 + the signal
        return int(args.handler(args, config))
    except KeyboardInterrupt as stop:
        return stopped(stop)
    except BrokenPipeError:
        return output_closed()
    except Exception as error:
        if isinstance(error, user_errors()):
            log.warning("%s", error)
            print(f"dictgame: {sentence(str(error))}", file=sys.stderr)
            return EXIT_BAD_INPUT
        log.exception("unexpected error")
        where = f"; details in {log_path}" if log_path else ""
        print(f"dictgame: {sentence(f'unexpected error: {error}{where}')}", file=sys.stderr)
        return 1


def opens_the_ui(args: argparse.Namespace) -> bool:
    return args.command is None or (args.command in ("play", "new", "resume") and not args.headless)


class NoTerminal(Exception):
    """The terminal UI was asked for where there is no terminal to draw it on."""


def refuse_without_terminal() -> None:
    """The UI draws on a terminal and reads its keys; without one it would draw into nowhere
    and spin: refuse at once, pointing at the headless form. Served to a browser
    (`dictgame serve`), Textual's web driver draws on the pipes it is given instead."""
    if os.environ.get("TEXTUAL_DRIVER"):
        return
    try:
        if all(stream is not None and stream.isatty() for stream in (sys.stdin, sys.stdout)):
            return
    except ValueError:  # a closed stream
        pass
    raise NoTerminal(
        "the terminal UI needs a terminal (stdin and stdout); without one, play with "
        "--headless (dictgame play --headless, dictgame resume ID --headless)"
    )


# Errors caused by the user's files, settings or server (one line, exit code 2, no traceback),
# by the module that defines each. They are looked up in the modules already loaded when an
# error arrives (a module whose error was raised is loaded): nothing is imported on the error
# path, where after a training run that ran out of memory importing the save layer failed too
# and the one line was lost, nor at the start of a command that never opens a save.
USER_ERRORS: dict[str, tuple[str, ...]] = {
    "dictgame.engine.backend": ("ContextOverflowError",),
    "dictgame.engine.core.instances": ("InstancesError",),
    "dictgame.engine.core.registry": ("UnknownGame",),
    "dictgame.engine.tuning": ("FinetuneError",),
    "dictgame.engine.versions": ("UnsupportedLlamaCpp",),
    "dictgame.engine.players.openai_http": ("ServerError",),
    "dictgame.engine.players.llama.model": ("ModelLoadError",),
    "dictgame.models.gguf_info": ("ModelFileError",),
    "dictgame.saves.errors": ("SaveFileError", "GameNotFound", "GameInUse", "DamagedGame", "DamagedRun"),
    "dictgame.saves.runs": ("RunNotFound",),
}


def user_errors() -> tuple[type[Exception], ...]:
    """The user's errors among what is loaded now (see USER_ERRORS)."""
    loaded = [getattr(sys.modules[module], name) for module, names in USER_ERRORS.items()
              if module in sys.modules for name in names]
    return (NoTerminal, ConfigError, *loaded)


def _config_from(args: argparse.Namespace) -> DictgameConfig:
    """The configuration with the flags on top; nested sections merge key by key."""
    path = getattr(args, "config", None)
    overrides: dict[str, Any] = {
        name: getattr(args, name, None) for name in (*TOP_FLAGS, *SERVER_FLAGS)
    }
    runtime = {name: getattr(args, name) for name in RUNTIME_FLAGS if getattr(args, name, None) is not None}
    if runtime:
        overrides["runtime"] = runtime
    game_values = {name: getattr(args, name) for name in GAME_FLAGS if getattr(args, name, None) is not None}
    if game_values:
        game = overrides["game"] or load_config(path, **overrides).game
        overrides["games"] = {game: game_values}
    return load_config(path, **overrides)

"""`dictgame serve`: the terminal UI in a browser, for studies with people.

Textual's own server (textual-serve) starts one app process per browser session: the
`dictgame` command itself, with the --db, --config and runtime flags `serve` was given, so
every session's games go to the same database as the terminal's.

In a study the participants are kept apart: each browser is a session, known by a cookie of
its own, whose app shows and deletes only the games that session started, and remembers its
own form choices and theme instead of the host's. The host sees every game (`dictgame list`,
`export`); `serve --share` lets every session see every game instead.

Serving beyond this machine is an explicit choice. On 127.0.0.1 (the default), ::1 or
localhost only this machine reaches the server, and it serves without more. On any other
address (even another of 127.0.0.0/8) a random token, printed at start in the address to
open, is needed for every request, the page and the websocket that drives the app alike:
the page's address carries it once, and a cookie bound to this server carries it after.
Two checks keep other web pages away in both cases: a websocket must come from this server's
own page (browsers let any page open a websocket anywhere), and on loopback the Host must be
a loopback name (a DNS-rebound name would otherwise reach a loopback server).
"""

from __future__ import annotations

import argparse
import asyncio
import secrets
import shlex
import sys
from collections.abc import Callable
from functools import partial
from pathlib import Path

from ..services.config import DictgameConfig, check_keys
from ..services.loopback import needs_token

EXIT_BAD_INPUT = 2
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
# The flags of the served command that name where games are kept and how models run: the
# same for every browser session as for `serve` itself.
FORWARDED_FLAGS = (
    "db", "config", "threads", "context_size", "gpu_layers", "chat_format",
    "base_url", "base_url_a", "base_url_b", "server_model", "server_model_a", "server_model_b",
)


def app_argv(args: argparse.Namespace) -> list[str]:
    """The command a browser session runs: dictgame with the forwarded flags, then the
    app's own arguments (those after `--`)."""
    forwarded: list[str] = []
    for name in FORWARDED_FLAGS:
        value = getattr(args, name, None)
        for item in value if isinstance(value, list) else [value]:
            if item is not None:
                text = str(Path(item).resolve()) if isinstance(item, Path) else str(item)
                forwarded += [f"--{name.replace('_', '-')}", text]
    return [sys.executable, "-m", "dictgame.tui", *forwarded, *args.app_args]


def command_serve(
    args: argparse.Namespace, config: DictgameConfig, opens_the_ui: Callable[[list[str]], bool],
) -> int:
    """Serve what `opens_the_ui(args.app_args)` says is the terminal UI (the command line's own
    judgement of a dictgame command; a bad one ends with argparse's line, exit 2)."""
    from ..games import all_keys
    from .web_server import BrowserServer, ServeError

    if not opens_the_ui(args.app_args):
        print("dictgame: serve runs the terminal UI: after -- give nothing, play, new or "
              "resume ID (without --headless)", file=sys.stderr)
        return EXIT_BAD_INPUT
    check_keys(config, all_keys())  # refused here, not by every session's app
    token = secrets.token_urlsafe(24) if needs_token(args.host) else None
    server = BrowserServer(shlex.join(app_argv(args)), args.host, args.port, token, args.share)
    try:
        asyncio.run(server.run())
    except ServeError as error:
        print(f"dictgame: {error}", file=sys.stderr)
        return EXIT_BAD_INPUT
    return 0


def port_number(text: str) -> int:
    value = int(text) if text.isdigit() else -1
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number from 0 to 65535")
    return value


def add_commands(
    add: Callable[..., argparse.ArgumentParser], opens_the_ui: Callable[[list[str]], bool],
) -> None:
    """The subcommand, on the parser's `add`; `opens_the_ui` judges the command each browser
    session runs."""
    serve = add(
        "serve", partial(command_serve, opens_the_ui=opens_the_ui),
        "serve the terminal UI to browsers (for studies with people)",
    )
    serve.add_argument(
        "--host", default=DEFAULT_HOST,
        help=f"address to serve on (default {DEFAULT_HOST}: this machine only; any other "
        "needs the token printed at start)",
    )
    serve.add_argument(
        "--port", type=port_number, default=DEFAULT_PORT,
        help=f"port to serve on (default {DEFAULT_PORT}; 0: any free port)",
    )
    serve.add_argument(
        "--share", action="store_true",
        help="every browser session sees (and may delete) every saved game; by default each "
        "sees only the games it started (the host sees all with dictgame list)",
    )
    serve.add_argument(
        "app_args", nargs="*", metavar="-- ARGS",
        help="what each browser session runs, as after dictgame: e.g. -- play --game hellogame",
    )

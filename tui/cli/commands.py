"""The commands that play, show and manage one game at a time."""

from __future__ import annotations

import argparse
import secrets
import sys
from typing import Any

from ...engine.words import plural
from ..services.config import DictgameConfig
from ..services.server_failures import ServerStopped, server_failures
from ..services.signals import stopped
from ..services.store import open_store


def new_seed(config: DictgameConfig) -> int:
    return config.seed if config.seed is not None else secrets.randbelow(2**31)


def command_home(args: argparse.Namespace, config: DictgameConfig) -> int:
    from ..screens.app import DictgameApp

    DictgameApp(config).run()
    return 0


def command_play(args: argparse.Namespace, config: DictgameConfig) -> int:
    from ...engine.games import get_game
    from ..services.players import check_servers

    config = check_servers(config, get_game(config.game))
    settings = config.game_settings(new_seed(config))
    if not args.headless:
        from ..screens.app import DictgameApp

        DictgameApp(config, new_game=settings).run()
        return 0
    return play_headless(config, None, settings)


def command_resume(args: argparse.Namespace, config: DictgameConfig) -> int:
    # A game that cannot be opened is one line and exit 2, with or without the UI.
    with open_store(config) as store:
        state = store.load_game(args.game_id)
    if not args.headless:
        from ..screens.app import DictgameApp

        DictgameApp(config, resume_game=args.game_id).run()
        return 0
    return play_headless(config, args.game_id, state.settings, state)


def play_headless(
    config: DictgameConfig, game_id: int | None, settings: Any, state: Any = None
) -> int:
    from ...engine.games import game_for_settings
    from ..services.episodes import open_episode
    from ..services.headless import play_to_end
    from ..services.person import TerminalPerson
    from ..services.players import SeatError, open_backend, seat_players, seat_provenance

    game = game_for_settings(settings)

    def person(seat: int) -> TerminalPerson:
        return TerminalPerson(settings.players[seat].name, sys.stdin, sys.stdout)

    with open_store(config) as store:
        backend = open_backend(config)
        try:
            # The players are seated before a new game is stored: a model file that cannot be
            # read or loaded leaves nothing behind.
            try:
                sessions = seat_players(backend, settings, config, game, person)
                players = seat_provenance(backend, settings, config, game)
            except SeatError as error:
                print(f"dictgame: {error}", file=sys.stderr)
                return 2
            if game_id is None:
                state = game.new_state(settings)
            with open_episode(store, game, state, sessions, players, game_id=game_id) as episode:
                game_id = episode.game_id
                print(f"Game {game_id}: {game.title}: {describe(settings, game)}", flush=True)
                with server_failures(f"dictgame resume {game_id} --headless"):
                    play_to_end(episode.master, episode.saver, game_id, sys.stdout)
        except KeyboardInterrupt as stop:
            return stopped(stop, game_id=game_id, before_game=game_id is None)
        except ServerStopped as stop:
            return stop.exit_code
        finally:
            backend.close()
    print(f"game id: {game_id}")
    return 0


def describe(settings: Any, game: Any) -> str:
    """One line naming the players and what they play."""
    invented = getattr(settings, "mode", None) == "invented"  # not what they speak there
    players = " and ".join(
        f"{p.name} ({'invented language' if invented else p.language})"
        if getattr(p, "language", "") else p.name for p in settings.players
    )
    rounds = getattr(settings, "rounds", None)
    length = f", {plural(rounds, 'round')}" if rounds else ""
    return f"{players}{length}, seed {settings.seed}"


def command_list(args: argparse.Namespace, config: DictgameConfig) -> int:
    with open_store(config) as store:
        games = store.list_games()
    if not games:
        print("No saved games yet. Start one with `dictgame`, or `dictgame play --headless` without the UI.")
        return 0
    from ..services.game_summary import COLUMNS, cells

    rows = [COLUMNS, *(cells(game) for game in games)]
    if any(game.session for game in games):  # a served study's: which browser started each
        rows = [(*row[:-1], name, row[-1]) for row, name in zip(
            rows, ["browser", *((game.session or "-")[:8] for game in games)], strict=True
        )]
    widths = [max(len(row[n]) for row in rows) for n in range(len(rows[0]) - 1)]
    for row in rows:
        print("  ".join([*(cell.ljust(width) for cell, width in zip(row, widths)), row[-1]]))
    return 0


def command_export(args: argparse.Namespace, config: DictgameConfig) -> int:
    from ...engine.core.export import export_text
    from ...engine.games import game_of

    with open_store(config) as store:
        state = store.load_game(args.game_id)
        players = store.seat_histories(args.game_id)
    sys.stdout.write(export_text(game_of(state), args.game_id, state, args.format, players) + "\n")
    return 0


def command_delete(args: argparse.Namespace, config: DictgameConfig) -> int:
    with open_store(config) as store:
        store.delete_game(args.game_id)
    print(f"Game {args.game_id} deleted.")
    return 0


def command_models(args: argparse.Namespace, config: DictgameConfig) -> int:
    from ...models import embedded_model_path
    from ..services.lineage import lineage_line
    from ..services.model_choices import models_to_pick
    from ..services.model_names import model_title

    found = models_to_pick(config)
    default = (config.model.expanduser() if config.model else embedded_model_path()).resolve()
    width = max([len("name"), *(len(model_title(m.path)) for m in found)])
    print(f"  {'name':<{width}} {'arch':<10} {'size':>8} {'quant':<8} {'context':>8} {'chat':<5} path")
    for model in found:
        mark = "*" if model.path.resolve() == default else " "
        if model.info is None:
            print(f"{mark} {'(unusable)':<{width}} {model.error}  {model.path}")
            continue
        info = model.info
        size = f"{info.size_bytes / 2**20:.0f} MiB"
        context = str(info.context_length or "?")
        chat = "yes" if info.has_chat_template else "no"
        print(
            f"{mark} {model_title(model.path):<{width}} {info.architecture[:10]:<10} {size:>8} "
            f"{info.quantization[:8]:<8} {context:>8} {chat:<5} {info.path}"
        )
        if info.lineage:  # what dictgame fine-tuned it from, under its row
            print(f"    {lineage_line(info.lineage)}")
    print("(* marks the default: what a new game plays unless given --model, or model in the config)")
    return 0

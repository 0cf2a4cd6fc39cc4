"""The commands that play, show and manage one game at a time."""

from __future__ import annotations

import argparse
import secrets
import sys
from typing import TYPE_CHECKING, Any

from ..engine.core.episode import GameMaster
from .config import DictgameConfig
from .signals import stopped

if TYPE_CHECKING:  # imported by the commands that need them, to keep start-up fast
    from ..saves import GameStore



def open_store(config: DictgameConfig) -> GameStore:
    from ..saves import GameStore

    return GameStore.open(config.db.expanduser())


def new_seed(config: DictgameConfig) -> int:
    return config.seed if config.seed is not None else secrets.randbelow(2**31)


def command_home(args: argparse.Namespace, config: DictgameConfig) -> int:
    from .app import DictgameApp

    DictgameApp(config).run()
    return 0


def command_play(args: argparse.Namespace, config: DictgameConfig) -> int:
    settings = config.game_settings(new_seed(config))
    if not args.headless and any(p.human for p in settings.players):
        print("dictgame: a person plays a seat in the headless game for now: add --headless",
              file=sys.stderr)
        return 2
    if not args.headless:
        from .app import DictgameApp

        DictgameApp(config, new_game=settings).run()
        return 0
    return play_headless(config, None, settings)


def command_resume(args: argparse.Namespace, config: DictgameConfig) -> int:
    if not args.headless:
        from .app import DictgameApp

        DictgameApp(config, resume_game=args.game_id).run()
        return 0
    with open_store(config) as store:
        state = store.load_game(args.game_id)
    return play_headless(config, args.game_id, state.settings, state)


def play_headless(
    config: DictgameConfig, game_id: int | None, settings: Any, state: Any = None
) -> int:
    from ..engine.games import game_for_settings
    from .headless import play_to_end
    from .person import TerminalPerson
    from .players import SeatError, open_backend, seat_players

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
            except SeatError as error:
                print(f"dictgame: {error}", file=sys.stderr)
                return 2
            if game_id is None:
                game_id = store.create_game(settings, game)
                state = game.new_state(settings)
            print(f"Game {game_id}: {game.title}: {describe(settings, game)}", flush=True)
            with store.acquire(game_id):
                play_to_end(GameMaster(state, sessions, game), store.saver(game_id), game_id, sys.stdout)
        except KeyboardInterrupt as stop:
            return stopped(stop, game_id=game_id, before_game=game_id is None)
        finally:
            backend.close()
    print(f"game id: {game_id}")
    return 0


def describe(settings: Any, game: Any) -> str:
    """One line naming the players and what they play."""
    players = " and ".join(
        f"{p.name} ({p.language})" if getattr(p, "language", "") else p.name for p in settings.players
    )
    rounds = getattr(settings, "rounds", None)
    length = f", {rounds} round{'s' if rounds != 1 else ''}" if rounds else ""
    return f"{players}{length}, seed {settings.seed}"


def command_list(args: argparse.Namespace, config: DictgameConfig) -> int:
    with open_store(config) as store:
        games = store.list_games()
    if not games:
        print("No saved games yet. Start one with: dictgame play --headless (or just dictgame)")
        return 0
    print(f"{'id':>4}  {'game':<11} {'about':<22} {'status':<9} {'rounds':>7}  updated")
    for game in games:
        rounds = f"{game.rounds_played}/{game.rounds}"
        updated = game.updated.strftime("%Y-%m-%d %H:%M")
        print(
            f"{game.id:>4}  {game.game[:11]:<11} {game.summary[:22]:<22} {game.status:<9} "
            f"{rounds:>7}  {updated}"
        )
    return 0


def command_export(args: argparse.Namespace, config: DictgameConfig) -> int:
    from ..engine.core.export import export_text
    from ..engine.games import game_of

    with open_store(config) as store:
        state = store.load_game(args.game_id)
    sys.stdout.write(export_text(game_of(state), args.game_id, state, args.format) + "\n")
    return 0


def command_delete(args: argparse.Namespace, config: DictgameConfig) -> int:
    with open_store(config) as store:
        store.delete_game(args.game_id)
    print(f"Game {args.game_id} deleted.")
    return 0


def command_models(args: argparse.Namespace, config: DictgameConfig) -> int:
    from ..models import default_search_dirs, find_models
    from . import locations

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

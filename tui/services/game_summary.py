"""A saved game in one line, the same on the home screen and in `dictgame list`: which game,
what about, who plays, which round (as the game screen counts it), how it stands, when it was
last played (to the minute, local time), played by whom (as the game recorded it, never the
model a setting named)."""

from __future__ import annotations

from datetime import datetime

from ...engine.games import UnknownGame, get_game
from ...saves import GameSummary

# Column titles, in order; the players and models come last: a narrow terminal cuts those
# first, never the date. The game is named as `--game` names it.
COLUMNS = ("id", "game", "about", "round", "outcome", "last played", "players", "models")


def last_played(value: object) -> str:
    """When a game was last played, to the minute, in local time."""
    if isinstance(value, int | float):
        value = datetime.fromtimestamp(value)
    elif isinstance(value, str):
        text = value
        try:
            value = datetime.fromisoformat(text)
        except ValueError:
            return text
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone()
        return value.strftime("%Y-%m-%d %H:%M")
    return str(value)


def round_shown(rounds_played: int, rounds: int) -> int:
    """The round a game is in: the next to play, or the last once all are played."""
    return min(rounds_played + 1, rounds) if rounds else rounds_played


def game_title(name: str) -> str:
    try:
        return get_game(name).title
    except UnknownGame:
        return name


def outcome(game: GameSummary) -> str:
    """Playing or aborted; a finished game says how it ended (success, lose)."""
    if game.status.value == "finished" and game.outcome:
        return game.outcome.split(":")[0]
    return game.status.value


def cells(game: GameSummary) -> tuple[str, ...]:
    models = " / ".join(dict.fromkeys(game.played_by))
    return (
        str(game.id),
        game.game,
        game.summary,
        f"{round_shown(game.rounds_played, game.rounds)} of {game.rounds}",
        outcome(game),
        last_played(game.updated),
        ", ".join(game.player_names),
        models,
    )


def describe(game: GameSummary) -> str:
    """The game named fully, for a question about it ("Delete game 3 (...)?")."""
    _, _, about, round_, state, when, players, models = cells(game)
    return (
        f"game {game.id}: {game_title(game.game)}, {about}, {players}, round {round_}, "
        f"{state}, last played {when}, on {models}"
    )

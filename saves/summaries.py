"""The saved-games list: one line per game of any kind, as the home screen and
`dictgame list` show it."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlite_utils import Database

from ..engine.core.game import GameStatus
from .seat_players import seat_histories


class GameSummary(BaseModel):
    """One line of the saved-games list, for games of every kind."""

    model_config = ConfigDict(frozen=True)

    id: int
    game: str
    # What the game is about in a few words ("English / Spanish", a topic, a name).
    summary: str
    player_names: tuple[str, str]
    # The model each seat's settings named (None: the default), and who really played it
    # (engine/core/provenance.py: a file's name, a server's model, scripted, mixed, unknown).
    models: tuple[str | None, str | None]
    played_by: tuple[str, ...]
    status: GameStatus
    outcome: str
    moves_played: int
    rounds_played: int
    rounds: int
    created: datetime
    updated: datetime
    # The browser session (`dictgame serve`) that started the game; None: started elsewhere.
    session: str | None = None

    @property
    def languages(self) -> tuple[str, ...]:
        """Dictionary Discovery's languages, from its summary."""
        return tuple(self.summary.split(" / "))



def list_games(db: Database, session: str | None = None) -> list[GameSummary]:
    """Saved games, the most recently played first (only a browser session's, if given)."""
    if session is None:
        games = list(db.query("select * from games order by updated desc, id desc"))
    else:
        games = list(db.query(
            "select * from games where session = ? order by updated desc, id desc", [session]
        ))
    players: dict[int, list[dict[str, Any]]] = {}
    for row in db.query("select * from players order by game_id, seat"):
        players.setdefault(row["game_id"], []).append(row)
    return [
        GameSummary(
            id=game["id"],
            game=game["game"],
            summary=game["summary"],
            player_names=tuple(p["name"] for p in players[game["id"]]),
            models=tuple(p["model"] for p in players[game["id"]]),
            played_by=tuple(
                "programmatic" if p["model"] == "programmatic" else history.name
                for p, history in zip(players[game["id"]], seat_histories(db, game["id"]))
            ),
            status=game["status"],
            outcome=game["outcome"],
            moves_played=game["moves_played"],
            rounds_played=game["rounds_played"],
            rounds=game["rounds"],
            created=game["created"],
            updated=game["updated"],
            session=game["session"],
        )
        for game in games
    ]

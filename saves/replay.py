"""A saved game's rows turned back into its state: the settings, moves and edits parsed by the
game's own record types and replayed through its `restore`. A row that no longer parses (a
file edited by hand, or written by a buggy version) is a `DamagedGame` naming the game and
the row; other games are unaffected."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from ..engine.core.game import GameStatus
from ..engine.games import UnknownGame, get_game
from .errors import DamagedGame


def restored_state(
    game_id: int, row: dict[str, Any], move_rows: list[dict[str, Any]], edit_rows: list[dict[str, Any]]
) -> Any:
    """The state of the game in `row` (its `games` row) after its moves and edits."""
    try:
        game = get_game(row["game"])
    except UnknownGame as error:
        raise DamagedGame(game_id, f"it is a game dictgame does not know ({error})") from None
    settings = _parse(game_id, "its settings", lambda: game.settings_type.model_validate_json(row["settings_json"]))
    moves = [
        _parse(game_id, f"move {m['move_index']}", lambda m=m: game.record_type.model_validate_json(m["record_json"]))
        for m in move_rows
    ]
    edits = []
    if game.edit_type is not None:
        edit_type = game.edit_type
        edits = [
            _parse(game_id, f"edit {e['seq']}", lambda e=e: edit_type.model_validate_json(e["data_json"]))
            for e in edit_rows
        ]
    try:
        state = game.restore(settings, moves, edits)
    except (ValueError, KeyError, TypeError) as error:
        raise DamagedGame(game_id, f"its moves do not replay ({error})") from None
    if row["status"] == GameStatus.ABORTED.value and not game.outcome(state).over:
        state.aborted = row["outcome"].removeprefix("aborted: ") or "stopped"
    return state


def _parse(game_id: int, what: str, parse: Any) -> Any:
    try:
        return parse()
    except (ValidationError, ValueError) as error:
        first = str(error).splitlines()[0]
        raise DamagedGame(game_id, f"{what} cannot be read ({first})") from None

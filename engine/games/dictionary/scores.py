"""The scores of a game (shared/GAME.md), computed from its state so they are never out of date."""

from __future__ import annotations

from pydantic import BaseModel

from .dictionary import pairs_of
from .scenes import language_codes
from .state import GameState


class PlayerScores(BaseModel):
    dictionary_size: int
    requests: int
    parsed: int
    violated: int
    violated_moves: int
    completion_tokens: int
    prompt_tokens: int
    generation_seconds: float
    decode_seconds: float

    @property
    def tokens_per_second(self) -> float:
        """Decode speed, prompt evaluation excluded."""
        return self.completion_tokens / self.decode_seconds if self.decode_seconds > 0 else 0.0


class Scores(BaseModel):
    players: tuple[PlayerScores, PlayerScores]
    common: int
    union: int
    agreement: float
    moves: int
    rounds: int


def score(state: GameState) -> Scores:
    with state.lock:
        dictionaries = state.dictionaries
        codes = language_codes(state.settings)
        pairs = (pairs_of(dictionaries[0], 0, codes), pairs_of(dictionaries[1], 1, codes))
        moves = list(state.moves)
    players = []
    for seat in (0, 1):
        own = [m for m in moves if m.seat == seat]
        attempts = [a for m in own for a in m.attempts]
        players.append(
            PlayerScores(
                dictionary_size=len(dictionaries[seat]),
                requests=len(attempts),
                parsed=sum(1 for a in attempts if a.violation is None),
                violated=sum(1 for a in attempts if a.violation is not None),
                violated_moves=sum(1 for m in own if m.violated),
                completion_tokens=sum(a.completion_tokens for a in attempts),
                prompt_tokens=sum(a.prompt_tokens for a in attempts),
                generation_seconds=sum(a.seconds for a in attempts),
                decode_seconds=sum(a.seconds - a.prompt_seconds for a in attempts),
            )
        )
    common = len(pairs[0] & pairs[1])
    union = len(pairs[0] | pairs[1])
    return Scores(
        players=(players[0], players[1]),
        common=common,
        union=union,
        agreement=common / union if union else 0.0,
        moves=len(moves),
        rounds=len(moves) // 2,
    )

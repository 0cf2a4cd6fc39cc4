"""Who really played each seat of a game: the backend, the model file and its sha256 or the
server's model, and the chat format; stored with the game, read by records, evaluation,
exports and screens so that no figure is labelled with a model that did not play.

A seat's player can change when a game is resumed with another configuration, so a game keeps
a list of (first move, player) per seat; a seat played by more than one player is `mixed`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

PlayerKind = Literal["llama.cpp", "server", "scripted", "person", "programmatic", "unknown"]
# A seat played by different players in different parts of one game (or episodes of a run).
MIXED = "mixed"
UNKNOWN = "unknown"
PROGRAMMATIC = "programmatic"


class SeatPlayer(BaseModel):
    """One seat's player, as it was when it played. `unknown` is what a save from before these
    records says: its settings named a model, but not whether it was played, or by what."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: PlayerKind
    # A GGUF file's name (llama.cpp), or the model name a server answered with.
    model: str | None = None
    sha256: str | None = None
    # The servers' addresses (server seats).
    url: str | None = None
    # How prompts were written: `template` (the model's own chat template), `plain`, or
    # `server` (the server applies its own template).
    chat_format: str | None = None
    # For `unknown` only: the model the old save's settings named (never taken as the player).
    configured: str | None = None

    @property
    def name(self) -> str:
        """The player's name in records and tables: a file's name without `.gguf`, a server's
        model by its last part, or the kind itself."""
        if self.kind in ("llama.cpp", "server") and self.model:
            last = Path(self.model).name or self.model
            return last[: -len(".gguf")] if last.lower().endswith(".gguf") else last
        if self.kind == "person":
            return "human"
        return self.kind

    def describe(self) -> str:
        """One line for exports and `dictgame show`: every fact recorded, nothing more."""
        parts: list[str] = [self.kind]
        if self.model:
            parts.append(self.model)
        if self.sha256:
            parts.append(f"sha256 {self.sha256}")
        if self.url:
            parts.append(f"at {self.url}")
        if self.chat_format:
            parts.append(f"chat format {self.chat_format}")
        if self.configured:
            parts.append(f"settings named {self.configured}")
        return ", ".join(parts)


UNKNOWN_PLAYER = SeatPlayer(kind="unknown")


class SeatHistory(BaseModel):
    """A seat's players over one game, in the order they took the seat."""

    model_config = ConfigDict(frozen=True)

    # (first move played, player)
    spells: tuple[tuple[int, SeatPlayer], ...] = ()

    @property
    def players(self) -> tuple[SeatPlayer, ...]:
        return tuple(dict.fromkeys(player for _, player in self.spells))

    @property
    def name(self) -> str:
        """The seat's player name; `mixed` where more than one played it (another file under
        the same name too), `unknown` if none was recorded."""
        players = self.players
        if not players:
            return UNKNOWN
        return players[0].name if len(players) == 1 else MIXED


def seat_names(histories: Sequence[SeatHistory]) -> tuple[str, ...]:
    return tuple(history.name for history in histories)


def pair_name(names: Sequence[str]) -> str:
    """The players of a game as `clem run` names a model pair: the model seats' names joined
    by "--", one name when both are the same; seats the game plays itself are left out."""
    played = [name for name in names if name != PROGRAMMATIC]
    if not played:
        return PROGRAMMATIC
    return played[0] if len(set(played)) == 1 else "--".join(played)


def mixture_note(label: str, pairs: dict[str, int]) -> str | None:
    """One line saying that `label` (a run) was played by more than one set of players,
    and by whom how often; None when one set played it all."""
    if len(pairs) < 2:
        return None
    counts = ", ".join(f"{pair} ({count})" for pair, count in sorted(pairs.items()))
    return f"{label} mixes players: {counts}"

"""What a game is: data and plain functions over its state, no lifecycle hooks.

The game master (`episode.GameMaster`) asks a game for its next `Turn`, has the referee put
each of the turn's `Ask`s to the player, and hands the answers back to the game's `apply`,
which returns the move's record. Everything else a game says about itself (its outcome, its
scores, its instances) is a function of its state.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, Generic, Literal, TypeVar

from pydantic import BaseModel

from ..backend import ChatMessage
from .memory import Retrieved
from .records import Attempt, MoveRecord
from .settings import CommonSettings

# Reads a model's raw answer: the value, and the move rule it broke (None if none).
Parser = Callable[[str], tuple[Any, str | None]]


@dataclass(frozen=True)
class Ask:
    """One request to a player: the game master's words, how the answer is read, its bounds."""

    step: str
    instruction: str
    parse: Parser
    max_tokens: int
    # A JSON schema the answer must match; a model backend constrains sampling to it.
    json_schema: dict[str, Any] | None = None
    # How often a broken answer is asked again; None: the settings' `max_reprompts`.
    reprompts: int | None = None
    # The game master's words when it asks again with feedback (`reprompt = "feedback"`).
    feedback: Callable[[str], str] | None = None
    # Whether a broken answer is asked again with the feedback whatever the settings'
    # `reprompt` says: for rules a player cannot guess from a plain second try.
    always_feedback: bool = False
    # The temperature the answer is sampled at; None: the settings' `temperature`. A choice
    # among a few given answers is the player's best guess, asked greedily (0.0).
    temperature: float | None = None
    # Asked with the player's rules only, not the exchanges before: where the backend gives
    # one, on a session of its own (`aside`), so the ask costs the same at any round and the
    # conversation's cache stays whole for the asks that need it.
    alone: bool = False


@dataclass(frozen=True)
class Turn:
    """Whose turn it is and what that player is asked, in order."""

    seat: int
    round: int
    # The player's rules, shown first.
    system: str
    # What the player saw and said before, oldest first, each exchange a few chat messages.
    # When the context is full the referee stops showing the oldest exchanges.
    history: tuple[tuple[ChatMessage, ...], ...]
    asks: tuple[Ask, ...]
    # The message this turn answers, if any (for records and views).
    incoming: str | None = None
    # The asks that follow `asks`, made from their answers: what the game master says next
    # may depend on what the player answered (a guess judged right or wrong).
    then: Callable[[tuple[Answer, ...]], tuple[Ask, ...]] | None = None
    # The memories the prompts of this turn show (where the game's memory is on).
    retrieved: tuple[Retrieved, ...] = ()


@dataclass(frozen=True)
class Answer:
    """What the referee got for one `Ask`: the parsed value of the last try, and every try."""

    step: str
    value: Any
    violated: bool
    attempts: tuple[Attempt, ...]


class Result(StrEnum):
    PLAYING = "playing"
    SUCCESS = "success"
    LOSE = "lose"
    ABORTED = "aborted"


class GameStatus(StrEnum):
    """Where a saved game stands, as lists show it."""

    PLAYING = "playing"
    FINISHED = "finished"
    ABORTED = "aborted"


@dataclass(frozen=True)
class Outcome:
    result: Result
    reason: str = ""

    @property
    def over(self) -> bool:
        return self.result is not Result.PLAYING

    @property
    def status(self) -> GameStatus:
        if self.result is Result.PLAYING:
            return GameStatus.PLAYING
        return GameStatus.ABORTED if self.result is Result.ABORTED else GameStatus.FINISHED


PLAYING = Outcome(Result.PLAYING)

SettingsT = TypeVar("SettingsT", bound=CommonSettings)


class EpisodeState(Generic[SettingsT]):
    """What every game's state holds: its settings and the moves applied, under one lock.

    The lock is there because a person may change the state (an edit) from the UI thread
    while a worker plays; a game's own state adds what its rules need.
    """

    game_name: ClassVar[str]

    def __init__(self, settings: SettingsT) -> None:
        self.settings = settings
        self.moves: list[MoveRecord] = []
        # Why the game was stopped early by the game master (a rule), if it was.
        self.aborted: str | None = None
        self.lock = threading.RLock()

    @property
    def moves_played(self) -> int:
        return len(self.moves)

    def check_contiguous(self) -> None:
        if [m.move_index for m in self.moves] != list(range(len(self.moves))):
            raise ValueError("the stored moves are not contiguous")

    def apply_move(self, record: Any) -> None:
        """Count a finished move: each game's state takes its own kind of record and says
        what the move changes."""
        raise NotImplementedError


Seat = Literal["model", "programmatic"]
StateT = TypeVar("StateT", bound=EpisodeState[Any])


@dataclass(frozen=True)
class Scores:
    """A game's own figures for an episode and per round (clembench's two levels)."""

    episode: dict[str, float]
    rounds: dict[int, dict[str, float]] = field(default_factory=dict)
    # 0-100, the game's measure of how well it was played (clembench's Main Score).
    main: float = 0.0


@dataclass(frozen=True)
class HeldOutFigures:
    """A game's own figures of one model's held-out games, for `dictgame iterate`'s table."""

    headers: tuple[str, ...]
    cells: tuple[str, ...]
    # Each game's score, in the order the states were given: what the paired gain compares.
    scores: tuple[float, ...]


@dataclass(frozen=True)
class Reward:
    """What an episode earned each player, for choosing the transcripts a model learns from
    (`engine.core.finetune`); a game without its own: the Main Score, the same for both."""

    # Each seat's score; NaN where there is none (clembench's Main Score of an aborted game).
    scores: tuple[float, float]
    # `above_avg` compares a score with the mean of the episodes of the same group only
    # (scores under different objectives do not compare).
    group: str = ""
    # Kept by every filter whatever the scores: a game's own success that scores nothing.
    kept: bool = False


@dataclass(frozen=True)
class Experiment:
    """A named group of instances sharing a condition (clembench's experiment)."""

    name: str
    instances: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class Game(Generic[StateT]):
    """A game as data and plain functions; `engine.games` registers each one by name."""

    name: str
    title: str
    description: str
    settings_type: type[CommonSettings]
    record_type: type[MoveRecord]
    seats: tuple[Seat, Seat]
    new_state: Callable[[Any], StateT]
    next_turn: Callable[[StateT], Turn | None]
    # Applies a finished turn's answers to the state (under its lock) and returns the move's
    # record and the notices to show for it; the only way a move counts.
    apply: Callable[[StateT, Turn, tuple[Answer, ...], float], tuple[MoveRecord, list[Any]]]
    outcome: Callable[[StateT], Outcome]
    scores: Callable[[StateT], Scores]
    # The instance generator: experiments from a seed, with a local random.Random.
    experiments: Callable[[int], list[Experiment]]
    # The settings of one episode, from an instance and the caller's settings.
    settings_for: Callable[[dict[str, Any], dict[str, Any]], CommonSettings]
    # A saved game rebuilt from its settings, moves, and the person's edits; None: a new
    # state with the moves applied again in order, for a game without edits (`replayed`).
    restore: Callable[[Any, Sequence[Any], Sequence[Any]], StateT] = None  # type: ignore[assignment]
    # The answer of a programmatic seat (the game's own code plays it).
    programmatic: Callable[[StateT, int, Ask], str] | None = None
    # One short line of what a game is about, for lists ("English / Spanish").
    summary: Callable[[Any], str] = lambda settings: ""
    # The type of the person's edits, where the game has any.
    edit_type: type[BaseModel] | None = None
    # The game's own lines about a game, for transcripts and the end of a headless game.
    report: Callable[[Any], list[str]] = lambda state: []
    # The instance a single game (not a run) plays, from its seed: none for a game whose
    # settings say it all; for others one drawn from the experiments (`drawn_instance`).
    play_instance: Callable[[int], dict[str, Any]] = lambda seed: {}
    # The game's own export (game id, state, "json" or "markdown"); None: the core's.
    export: Callable[[int, Any, str], str] | None = None
    # What each player earned, where players score apart; None: the Main Score is both's.
    reward: Callable[[StateT], Reward] | None = None
    # The answers that earned something on their own, where a game scores single moves (a
    # right guess): move index -> the steps of that move; what the `rewarded` fine-tuning
    # filter keeps. None: the game scores whole episodes only.
    rewarded: Callable[[StateT], dict[int, frozenset[str]]] | None = None
    # The game's own figures of a model's held-out games; None: clembench's (Main Score,
    # success, aborts).
    held_out_figures: Callable[[list[StateT]], HeldOutFigures] | None = None
    # The experiment a model's self-play iterations play when none is asked for (`dictgame
    # iterate`); None: all of the game's experiments.
    iterate_experiment: str | None = None
    # What `settings_for` reads from the caller's settings beyond the settings model's fields
    # (the config's section for the game takes them too): Dictionary Discovery's per-seat
    # languages and names.
    given_keys: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.restore is None:
            object.__setattr__(self, "restore", replayed(self.new_state, self.title))


def replayed(
    new_state: Callable[[Any], StateT], title: str
) -> Callable[[Any, Sequence[Any], Sequence[Any]], StateT]:
    """The restore of a game without edits: a new state, the saved moves applied in order."""

    def restore(settings: Any, moves: Sequence[Any], edits: Sequence[Any]) -> StateT:
        if edits:
            raise ValueError(f"{title} has no edits to restore")
        state = new_state(settings)
        for move in sorted(moves, key=lambda m: m.move_index):
            state.apply_move(move)
        return state

    return restore


def drawn_instance(experiments: Callable[[int], list[Experiment]], seed: int) -> dict[str, Any]:
    """One instance of a game's experiments, drawn with the seed (a local Random)."""
    rng = random.Random(seed)
    experiment = rng.choice(experiments(seed))
    return dict(rng.choice(experiment.instances))

"""Played episodes as clembench records, in clemcore 3.7's layout, so its `clem eval` reads them.

    <out>/<model pair>/<game>/<experiment>/experiment.json
    <out>/<model pair>/<game>/<experiment>/instance_<game_id:05d>/
        instance.json  interactions.json  player_<n>.requests.json  scores.json  completed.json

`clem eval -r <out>` reads every file whose name ends in `scores.json` under `<out>` and takes
the model pair, game, experiment and episode from the four folders above it; of the scores it
uses only "Aborted" and "Main Score". The model pair folder is named as `clem run` names it:
the models of the model seats joined by "--", one name when both seats play the same model
(`clem run -m A` on a two-player game), programmatic seats left out.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..backend import ChatMessage
from .game import EpisodeState, Game, Outcome, Turn
from .provenance import PROGRAMMATIC, UNKNOWN, SeatHistory, pair_name
from .records import Attempt, MoveRecord
from .referee import shown_before
from .scores import (
    METRIC_ABORTED,
    METRIC_LOSE,
    METRIC_REQUEST_COUNT,
    METRIC_REQUEST_COUNT_PARSED,
    METRIC_REQUEST_COUNT_VIOLATED,
    METRIC_SUCCESS,
    episode_scores,
    request_metrics,
    round_scores,
)

# The clemcore release whose record format these files follow.
CLEM_VERSION = "3.7.2"


@dataclass(frozen=True)
class PlayedEpisode:
    """One episode to record: the game, the experiment and instance it played, its end state."""

    game: Game[Any]
    experiment: str
    instance: dict[str, Any]
    state: EpisodeState[Any]
    # Who really played each seat (GameStore.seat_histories).
    players: tuple[SeatHistory, ...]

    @property
    def models(self) -> tuple[str, ...]:
        """Each seat's player as the game recorded it (engine/core/provenance.py): a GGUF
        file's name, a server's model, `scripted`, `human`, `mixed`, `unknown`; a seat the
        game plays itself is "programmatic"."""
        return tuple(
            PROGRAMMATIC if kind == "programmatic"
            else self.players[seat].name if seat < len(self.players) else UNKNOWN
            for seat, kind in enumerate(self.game.seats)
        )

    @property
    def pair(self) -> str:
        """The model pair folder, as `clem run` names it from the models it was given."""
        return pair_name(self.models)

    @property
    def outcome(self) -> Outcome:
        with self.state.lock:
            return self.game.outcome(self.state)

    @property
    def finished(self) -> bool:
        """Only finished episodes are recorded: clemcore writes no records for a game that
        stopped on an error, so `clem eval` does not count it at all."""
        return self.outcome.over

    @property
    def game_id(self) -> int:
        try:
            return int(self.instance["game_id"])
        except (KeyError, TypeError, ValueError):
            raise ValueError(
                f"{self.game.name}/{self.experiment}: the instance has no integer game_id"
            ) from None

    @property
    def folder(self) -> Path:
        """Where the episode's files go, relative to the results folder."""
        name = self.experiment
        if not name or name in (".", "..") or "/" in name or "\\" in name:
            raise ValueError(f"experiment name {name!r} cannot be a folder name")
        return Path(self.pair, self.game.name, name, f"instance_{self.game_id:05d}")


def write_records(episodes: Iterable[PlayedEpisode], out_dir: Path) -> list[Path]:
    """Write each finished episode's records under `out_dir`; returns the episode folders.

    Unfinished episodes are left out (see `PlayedEpisode.finished`). Two episodes that would
    share a folder (the same instance played twice by the same pair) are refused before
    anything is written, as `clem eval` would count only one of them.
    """
    chosen = [episode for episode in episodes if episode.finished]
    seen: dict[Path, PlayedEpisode] = {}
    for episode in chosen:
        if episode.folder in seen:
            raise ValueError(
                f"two episodes would be recorded in {episode.folder}: the same instance played "
                "twice by the same models; record them into separate folders"
            )
        seen[episode.folder] = episode
    written = []
    for folder, episode in seen.items():
        _write_episode(episode, Path(out_dir) / folder)
        written.append(Path(out_dir) / folder)
    return written


def _write_episode(episode: PlayedEpisode, folder: Path) -> None:
    game, state = episode.game, episode.state
    with state.lock:
        moves = list(state.moves)
        rounds = round_scores(game, state)
        scores = episode_scores(game, state)
    outcome = episode.outcome
    # clemcore numbers rounds from 0, in the order they were played.
    numbers = sorted(rounds)
    index_of = {number: index for index, number in enumerate(numbers)}
    players = _players(episode)
    infos = _model_infos(episode)
    meta = {
        "game_name": game.name,
        "experiment_name": episode.experiment,
        "game_id": episode.game_id,
        "results_folder": episode.pair,
        "clem_version": CLEM_VERSION,
        "round_count": max(1, len(numbers)),
        "completed": True,
    }
    turns: list[list[dict[str, Any]]] = [[] for _ in range(max(1, len(numbers)))]
    calls: dict[int, list[dict[str, Any]]] = {seat: [] for seat in range(len(game.seats))}
    for move in moves:
        index = index_of[move.round]
        turns[index].extend(_move_events(move, _player(move.seat)))
        calls[move.seat].extend(
            {"round": index, "call": call} for call in _calls(episode, moves, move)
        )
    ended = moves[-1].finished_at if moves else 0.0
    result = f"{outcome.result.value}: {outcome.reason}" if outcome.reason else outcome.result.value
    turns[-1].append(_event("GM", "GM", "game result", result, ended))

    # What clemcore's recorder adds to the interactions: request counts per round, and the
    # outcome as the game logs it (so clemcore's own scorer could read these files too).
    per_round = [request_metrics(a for m in moves if m.round == n for a in m.attempts)
                 for n in numbers]
    counts = (METRIC_REQUEST_COUNT, METRIC_REQUEST_COUNT_VIOLATED, METRIC_REQUEST_COUNT_PARSED)
    interactions = {
        "meta": meta,
        "player_models": infos,
        "players": players,
        "turns": turns,
        **{key: [figures[key] for figures in per_round] for key in counts},
        **{key: int(scores[key]) for key in (METRIC_ABORTED, METRIC_LOSE, METRIC_SUCCESS)},
    }
    _store(episode.instance, folder / "instance.json")
    _store(interactions, folder / "interactions.json")
    for seat, seat_calls in calls.items():
        if not seat_calls:
            continue
        name = _player(seat)
        _store(
            {
                "meta": {
                    "game_name": game.name,
                    "experiment_name": episode.experiment,
                    "game_id": episode.game_id,
                    "player_name": name,
                    "game_role": players[name]["game_role"],
                    "model_name": players[name]["model_name"],
                    "round_count": meta["round_count"],
                    "completed": True,
                },
                "calls": seat_calls,
            },
            folder / f"player_{seat + 1}.requests.json",
        )
    _store(
        {
            "meta": meta,
            "player_models": infos,
            "players": players,
            "round scores": {index_of[n]: figures for n, figures in rounds.items()},
            "episode scores": scores,
        },
        folder / "scores.json",
    )
    _store({"timestamp": _time(ended)}, folder / "completed.json")
    experiment = {
        "name": episode.experiment,
        "timestamp": _time(moves[0].started_at if moves else ended),
        "game_name": game.name,
        "player_models": infos,
    }
    _store(experiment, folder.parent / "experiment.json")


def _player(seat: int) -> str:
    # clemcore's transcripts need "GM" and "Player <n>".
    return f"Player {seat + 1}"


def _players(episode: PlayedEpisode) -> dict[str, dict[str, str]]:
    players: dict[str, dict[str, str]] = OrderedDict(
        GM={"game_role": "Game Master", "model_name": PROGRAMMATIC}
    )
    for seat, model in enumerate(episode.models):
        players[_player(seat)] = {
            "game_role": episode.state.settings.players[seat].name,
            "model_name": model,
        }
    return players


def _model_infos(episode: PlayedEpisode) -> dict[int, dict[str, Any]]:
    """The model seats' players, as clemcore's `Model.to_infos` lists the models it was
    given, with what the game recorded of each (backend, file and sha256, or server)."""
    settings = episode.state.settings
    infos: dict[int, dict[str, Any]] = {}
    for seat, (kind, name) in enumerate(zip(episode.game.seats, episode.models)):
        if kind == "model":
            played = episode.players[seat].players if seat < len(episode.players) else ()
            infos[len(infos)] = {
                "model_spec": {
                    "model_name": name,
                    "players": [player.model_dump(exclude_none=True) for player in played],
                },
                "gen_args": {"temperature": settings.temperature},
            }
    return infos


def _move_events(move: MoveRecord, player: str) -> list[dict[str, Any]]:
    """Each request of the move and its answer, and a game master's note for each broken rule."""
    if not move.attempts:
        # The game said this message for the player (a fixed opening): nobody was asked.
        return [_event("GM", "GM", "fixed message", move.message, move.started_at)]
    events = []
    at = move.started_at
    for attempt in move.attempts:
        events.append(_event("GM", player, "send message", attempt.instruction, at, "context"))
        at += attempt.seconds
        events.append(_event(player, "GM", "get message", attempt.raw_output, at, "response"))
        if attempt.violation is not None:
            note = f"{attempt.step}: {attempt.violation}"
            events.append(_event("GM", "GM", "parse error", note, at))
    return events


def _event(
    sender: str, receiver: str, kind: str, content: str, at: float, label: str | None = None
) -> dict[str, Any]:
    action = {"type": kind, "content": content}
    if label is not None:
        action["label"] = label
    return {"from": sender, "to": receiver, "timestamp": _time(at), "action": action}


def _calls(
    episode: PlayedEpisode, moves: list[MoveRecord], move: MoveRecord
) -> list[dict[str, Any]]:
    """One call per attempt: the prompt the player was given, and what came back.

    The prompt is rebuilt from the game: its rules and the earlier exchanges it shows before
    this move (within the settings' history budget; none for an ask put alone), then the
    request (with the broken answer and the game master's feedback for a re-prompt with
    feedback). Exchanges the referee hid to fit a full context are not known afterwards, so
    they are shown; `prompt_tokens` says what was read.
    """
    turn = _turn_before(episode, moves, move.move_index)
    alone = {ask.step for ask in turn.asks if ask.alone} if turn is not None else set()
    talk = shown_before(turn, episode.state.settings) if turn is not None else ()
    calls = []
    first: dict[str, Attempt] = {}
    previous: Attempt | None = None
    at = move.started_at
    for attempt in move.attempts:
        asked = first.setdefault(attempt.step, attempt)
        follow_up = [ChatMessage("user", attempt.instruction)]
        if attempt is not asked and attempt.instruction != asked.instruction and previous:
            follow_up = [
                ChatMessage("user", asked.instruction),
                ChatMessage("assistant", previous.raw_output),
                ChatMessage("user", attempt.instruction),
            ]
        previous = attempt
        shown = talk[:1] if attempt.step in alone else talk
        if attempt.model:
            prompt: Any = {"messages": [_message(m) for m in (*shown, *follow_up)]}
            response: dict[str, Any] = {
                "response": attempt.raw_output,
                "finish_reason": attempt.finish_reason,
                "usage": {
                    "prompt_tokens": attempt.prompt_tokens,
                    "cached_tokens": attempt.cached_tokens,
                    "completion_tokens": attempt.completion_tokens,
                },
                "seconds": attempt.seconds,
            }
        else:
            # As clemcore records a programmatic player: the request, and its answer.
            prompt = _message(follow_up[-1])
            response = {"clem_player": {"response": attempt.raw_output, "model_name": PROGRAMMATIC}}
        at += attempt.seconds
        calls.append(
            {"timestamp": _time(at), "manipulated_prompt_obj": prompt, "raw_response_obj": response}
        )
    return calls


def _turn_before(episode: PlayedEpisode, moves: list[MoveRecord], move_index: int) -> Turn | None:
    """The turn the game gave before this move, from the game rebuilt up to it."""
    game = episode.game
    before = game.restore(episode.state.settings, moves[:move_index], ())
    return game.next_turn(before)


def _message(message: ChatMessage) -> dict[str, str]:
    return {"role": message.role, "content": message.content}


def _time(at: float) -> str:
    return datetime.fromtimestamp(at).isoformat()


def _store(data: Any, path: Path) -> None:
    """As clemcore stores JSON: UTF-8, indented, NaN written as `NaN` (which it reads back)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")

"""`dictgame run --parallel N`: N episodes in flight, never more; the same episodes as one at a
time; a failing episode stops the run with nothing half-played saved; on the real model too."""

from __future__ import annotations

import io
import os
import sqlite3
import threading
import time
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import pytest
from test_cli import dictgame

from dictgame.engine.backend import (
    CancelToken,
    ChatMessage,
    Generation,
    GenerationRequest,
    TokenCallback,
)
from dictgame.engine.core.instances import pick
from dictgame.engine.games import get_game
from dictgame.engine.players.llama import LlamaBackend
from dictgame.engine.scripted import ScriptedBackend, ScriptedSession
from dictgame.models import embedded_model_path
from dictgame.saves import GameStore
from dictgame.saves.runs import create_run, episodes
from dictgame.tui.services.config import DictgameConfig
from dictgame.tui.services.players import sequences_per_context
from dictgame.tui.services.runner import play_run


class Overlap:
    """Counts the generations in flight at once, across every session."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.most = 0


class WatchedSession:
    def __init__(self, inner: ScriptedSession, overlap: Overlap, fail_on: str | None) -> None:
        self.inner, self.overlap, self.fail_on = inner, overlap, fail_on

    def generate(
        self, request: GenerationRequest, on_text: TokenCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Generation:
        with self.overlap.lock:
            self.overlap.now += 1
            self.overlap.most = max(self.overlap.most, self.overlap.now)
        try:
            if self.fail_on and any(self.fail_on in m.content for m in request.messages):
                time.sleep(0.1)  # while the other episodes are mid-move
                raise ConnectionError(f"no answer for {self.fail_on}")
            return self.inner.generate(request, on_text, cancel)
        finally:
            with self.overlap.lock:
                self.overlap.now -= 1

    def reset(self) -> None:
        self.inner.reset()


class WatchedBackend(ScriptedBackend):
    def __init__(self, fail_on: str | None = None) -> None:
        super().__init__(token_delay=0.01)
        self.overlap = Overlap()
        self.fail_on = fail_on
        self.sessions = 0

    def session(self, model_path: Path) -> Any:
        self.sessions += 1
        return WatchedSession(super().session(model_path), self.overlap, self.fail_on)


def a_run(db: Path, game: str = "hellogame", experiment: str = "en") -> int:
    instances = pick(get_game(game).experiments(0), experiment)[0].instances
    with GameStore.open(db) as store:
        return create_run(store, game, {"game": game, "seed": 0},
                          [(experiment, {"game_id": n, **i}) for n, i in enumerate(instances)])


def played(db: Path, run_id: int) -> list[tuple[str | None, list[str]]]:
    with GameStore.open(db) as store:
        return [
            (row.status, [m.message for m in store.load_game(row.game_id).moves])
            if row.game_id is not None else (None, [])
            for row in episodes(store, run_id)
        ]


@pytest.mark.parametrize("parallel", [1, 3])
def test_n_episodes_are_in_flight_at_once_never_more_and_play_as_one_at_a_time(
    parallel: int, tmp_path: Path
) -> None:
    config = DictgameConfig(db=tmp_path / "games.db", backend="scripted", game="dictionary",
                            games={"dictionary": {"rounds": 2}})
    run_id = a_run(config.db, "dictionary", "english-french")
    backend = WatchedBackend()
    out = io.StringIO()
    with GameStore.open(config.db) as store:
        assert play_run(store, run_id, config, backend, out, parallel=parallel) == 3
    assert backend.overlap.most == parallel  # each episode has its two players; one speaks
    assert backend.sessions == 2 * parallel  # a pair of players per episode in flight, reused

    alone = DictgameConfig(db=tmp_path / "alone.db", backend="scripted", game="dictionary",
                           games={"dictionary": {"rounds": 2}})
    alone_run = a_run(alone.db, "dictionary", "english-french")
    with GameStore.open(alone.db) as store:
        play_run(store, alone_run, alone, ScriptedBackend(), io.StringIO())
    assert played(config.db, run_id) == played(alone.db, alone_run)

    counts = [line.split("]")[1].split()[0] for line in out.getvalue().splitlines()]
    assert counts == ["0/3", "1/3", "2/3", "3/3"]  # the progress line counts each episode once


def test_an_episode_that_fails_stops_the_run_and_nothing_half_played_is_saved(tmp_path: Path) -> None:
    config = DictgameConfig(db=tmp_path / "games.db", backend="scripted", game="dictionary",
                            games={"dictionary": {"rounds": 3}})
    run_id = a_run(config.db, "dictionary", "english-french")
    # Each instance names its players: every request that names the second episode's first
    # player fails, after the other episodes have started their moves.
    with GameStore.open(config.db) as store:
        second = episodes(store, run_id)[1].instance
    backend = WatchedBackend(fail_on=second["name_a"])
    with GameStore.open(config.db) as store, pytest.raises(ConnectionError):
        play_run(store, run_id, config, backend, io.StringIO(), parallel=3)
    after_failure = played(config.db, run_id)
    with GameStore.open(config.db) as store:
        for row in episodes(store, run_id):
            if row.game_id is not None:
                state = store.load_game(row.game_id)
                assert [m.move_index for m in state.moves] == list(range(state.moves_played))
    assert any(status == "playing" for status, _ in after_failure)

    with GameStore.open(config.db) as store:
        play_run(store, run_id, config, ScriptedBackend(), io.StringIO(), parallel=3)
    finished = played(config.db, run_id)
    assert all(status == "finished" for status, _ in finished)
    for (status, before), (_, after) in zip(after_failure, finished):
        if status == "finished":
            assert after == before  # not played again


@pytest.mark.real_model
def test_a_parallel_run_in_process_on_the_real_model(tmp_path: Path) -> None:
    db = tmp_path / "games.db"
    run = dictgame("run", "--game", "hellogame", "--experiment", "en", "--parallel", "2",
                   "--seed", "1", "--db", str(db), timeout=600)
    assert run.returncode == 0, run.stderr
    assert "5/5 episodes" in run.stdout
    with sqlite3.connect(db) as connection:
        statuses = [s for (s,) in connection.execute(
            "select g.status from episodes e join games g on g.id = e.game_id")]
    assert len(statuses) == 5 and all(s in ("finished", "aborted") for s in statuses)


@pytest.mark.real_model
def test_episodes_played_at_once_play_as_one_at_a_time_on_the_real_model(tmp_path: Path) -> None:
    """`--parallel 4` in-process, each player in a context of its own: greedy, every episode
    plays exactly the moves it plays alone. With `shared_context`, the players decode together
    as sequences of shared contexts, and a batch of another shape sums in another order, which
    may flip a near tie and what follows it (see test_batched_decoding.py): most episodes are
    identical there and every one is close."""
    shared = tmp_path / "shared.toml"
    shared.write_text("[runtime]\nshared_context = true\n")
    runs = {}
    for label, parallel, config in (("alone", "1", []), ("own", "4", []),
                                    ("shared", "4", ["--config", str(shared)])):
        db = tmp_path / f"games-{label}.db"
        run = dictgame(*config, "run", "--game", "hellogame", "--experiment", "en", "--temperature",
                       "0", "--parallel", parallel, "--seed", "1", "--db", str(db), timeout=600)
        assert run.returncode == 0, run.stderr
        runs[label] = played(db, 1)
    alone = ["\n".join(moves) for _, moves in runs["alone"]]
    for label in ("own", "shared"):
        assert len(runs[label]) == len(alone)
        assert all(status in ("finished", "aborted") and moves for status, moves in runs[label])
    assert ["\n".join(moves) for _, moves in runs["own"]] == alone
    together = ["\n".join(moves) for _, moves in runs["shared"]]
    assert all(SequenceMatcher(None, a, b).ratio() >= 0.25 for a, b in zip(together, alone))
    assert sum(a == b for a, b in zip(together, alone)) > len(alone) / 2


@pytest.mark.parametrize(("parallel", "threads", "cores", "sequences"), [
    (1, None, 2, 1),   # one episode: a context a player, as a game in the UI
    (4, 1, 2, 4),      # two one-thread loops on two cores, two episodes each
    (4, 2, 2, 8),      # one two-thread loop takes both cores: every player in it
    (3, 1, 2, 3),      # six players, three in each of two contexts
    (2, 4, 16, 2),     # four four-thread loops would fit, but two episodes need only two
    (8, None, 16, 8),  # the default of eight threads a loop: two loops on sixteen cores
])
def test_episodes_are_spread_over_as_many_decode_loops_as_the_cores_hold(
    parallel: int, threads: int | None, cores: int, sequences: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(cores)))
    assert sequences_per_context(parallel, threads, cores) == sequences
    assert sequences_per_context(parallel, threads) == sequences  # the cores of this process


@pytest.mark.real_model
def test_players_of_parallel_episodes_fill_one_context_after_another(tmp_path: Path) -> None:
    """Eight players at four a context: two contexts, decoding side by side."""
    backend = LlamaBackend(n_ctx=512, n_threads=1, batch_sequences=4)
    request = GenerationRequest(messages=(ChatMessage("user", "Say hello."),), max_tokens=4, seed=1)
    try:
        sessions = [backend.session(embedded_model_path()) for _ in range(8)]
        threads = [threading.Thread(target=s.generate, args=(request,)) for s in sessions]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert backend.shared_contexts() == 2
        decodes, sequences = backend.decode_counts()
        assert decodes and sequences > decodes  # each context batched its players together
    finally:
        backend.close()

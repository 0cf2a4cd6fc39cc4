"""Players on a real OpenAI-compatible server: llama-cpp-python's own, started on loopback with
the embedded SmolLM2 model. Streaming, the schema really applied, cancel, whole games through
the `dictgame` command, a run of episodes at once, and the server killed mid-move."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from llama_server import LoopbackServer, free_port

from dictgame.engine.backend import (
    CancelToken,
    ChatMessage,
    GenerationCancelled,
    GenerationRequest,
)
from dictgame.engine.games import get_game
from dictgame.engine.games.dictionary.dictionary import MAX_WORD_CHARS
from dictgame.engine.games.dictionary.rules import CONFIDENCE_LEVELS, update_schema
from dictgame.engine.players.openai_http import OpenAIBackend, ServerOptions
from dictgame.models import embedded_model_path

pytestmark = pytest.mark.real_model

DICTGAME = str(Path(sys.executable).parent / "dictgame")
POEM = (ChatMessage("user", "Write a long poem about the sea, the wind and the boats."),)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LoopbackServer]:
    log = tmp_path_factory.mktemp("server") / "server.log"
    with LoopbackServer(embedded_model_path(), log) as running:
        yield running


@pytest.fixture(scope="session")
def backend(server: LoopbackServer) -> Iterator[OpenAIBackend]:
    players = OpenAIBackend([server.url])
    yield players
    players.close()


def session_on(backend: OpenAIBackend) -> Any:
    return backend.session(backend.check(None))


def dictgame(*args: str, timeout: float = 300, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "DICTGAME_BACKEND"}
    return subprocess.run([DICTGAME, *args], capture_output=True, text=True, timeout=timeout,
                          env={**environment, **env})


def one_line(stderr: str) -> str:
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, stderr
    assert "Traceback" not in stderr
    return lines[0]


def test_streamed_pieces_make_up_the_answer(backend: OpenAIBackend) -> None:
    pieces: list[str] = []
    generation = session_on(backend).generate(
        GenerationRequest(POEM, max_tokens=12, seed=5), on_text=pieces.append
    )
    assert len(pieces) > 1
    assert "".join(pieces) == generation.text
    assert generation.finish_reason == "length"
    assert generation.completion_tokens == 12
    assert 0 < generation.prompt_seconds < generation.seconds


def test_the_schema_really_constrains_the_answer(server: LoopbackServer) -> None:
    """The dictionary update's own schema, asked for with a prompt that invites prose: sent as
    the server honours it, the answer parses and keeps every bound; sent as nothing, it does
    not (so the constraint, not the model, made it JSON)."""
    schema = update_schema(max_operations=2)
    request = GenerationRequest(POEM, max_tokens=120, seed=11, temperature=0.8, json_schema=schema)
    constrained = OpenAIBackend([server.url], ServerOptions(schema_form="json_object"))
    unconstrained = OpenAIBackend([server.url], ServerOptions(schema_form="none"))
    try:
        answer = session_on(constrained).generate(request)
        free = session_on(unconstrained).generate(request)
    finally:
        constrained.close()
        unconstrained.close()
    assert answer.finish_reason == "stop", answer.text
    assert matches_update_schema(json.loads(answer.text), max_operations=2), answer.text
    assert not parses_as_update(free.text), free.text


def matches_update_schema(document: Any, max_operations: int) -> bool:
    if not isinstance(document, dict) or set(document) != {"updates"}:
        return False
    updates = document["updates"]
    return isinstance(updates, list) and len(updates) <= max_operations and all(
        isinstance(u, dict)
        and u.get("op") in ("add", "revise", "remove")
        and isinstance(u.get("word"), str) and 1 <= len(u["word"]) <= MAX_WORD_CHARS
        and isinstance(u.get("meaning"), str) and len(u["meaning"]) <= MAX_WORD_CHARS
        and u.get("confidence") in CONFIDENCE_LEVELS
        for u in updates
    )


def parses_as_update(text: str) -> bool:
    try:
        return matches_update_schema(json.loads(text), max_operations=2)
    except json.JSONDecodeError:
        return False


def test_cancel_mid_generation_stops_at_once_and_the_server_plays_on(backend: OpenAIBackend) -> None:
    session = session_on(backend)
    cancel = CancelToken()
    cancelled_at: list[float] = []

    seen: list[str] = []

    def cancel_on_third_piece(piece: str) -> None:
        seen.append(piece)
        if len(seen) == 3:
            cancelled_at.append(time.perf_counter())
            cancel.cancel()

    with pytest.raises(GenerationCancelled):
        session.generate(GenerationRequest(POEM, max_tokens=400, seed=2),
                         on_text=cancel_on_third_piece, cancel=cancel)
    assert time.perf_counter() - cancelled_at[0] < 0.5
    after = session.generate(GenerationRequest(POEM, max_tokens=5, seed=2))
    assert after.completion_tokens == 5


def test_a_waiting_request_is_cancelled_before_its_first_piece(backend: OpenAIBackend) -> None:
    """While the server is busy with another request, a cancel does not wait for it."""
    first, second = session_on(backend), session_on(backend)
    busy = threading.Thread(target=lambda: first.generate(
        GenerationRequest(POEM, max_tokens=60, seed=1)))
    busy.start()
    time.sleep(0.3)
    cancel = CancelToken()
    threading.Timer(0.2, cancel.cancel).start()
    started = time.perf_counter()
    with pytest.raises(GenerationCancelled):
        second.generate(GenerationRequest(POEM, max_tokens=60, seed=1), cancel=cancel)
    assert time.perf_counter() - started < 0.7
    busy.join()


def test_a_game_with_one_seat_on_the_server_and_one_local(server: LoopbackServer, tmp_path: Path) -> None:
    db = tmp_path / "games.db"
    played = dictgame("play", "--headless", "--rounds", "1", "--seed", "4", "--words-per-message",
                      "6", "--base-url-b", server.url, "--db", str(db))
    assert played.returncode == 0, played.stderr
    record = json.loads(dictgame("export", "1", "--format", "json", "--db", str(db)).stdout)
    assert record["status"] == "finished"
    assert [m["move_index"] for m in record["messages"]] == [0, 1]
    assert all(m["text"] and m["completion_tokens"] > 0 for m in record["messages"])
    first, second = (p["model"] for p in record["settings"]["players"])
    assert first is None  # the embedded model, in-process
    assert second == f"server:{embedded_model_path()}"  # the server's name for its model


def test_a_parallel_run_survives_the_server_being_killed(tmp_path: Path) -> None:
    """Two episodes at a time; the server dies once the first is over: the run stops with
    one line, and `--resume` against the restarted server finishes it, replaying nothing."""
    db = tmp_path / "games.db"
    instances = tmp_path / "instances.json"
    greetings = get_game("hellogame").experiments(2)[0].instances[:3]
    instances.write_text(json.dumps({"experiments": [{"name": "en", "game_instances": [
        {"game_id": n, **instance} for n, instance in enumerate(greetings)]}]}))
    server = LoopbackServer(embedded_model_path(), tmp_path / "server.log").start()
    run = ["run", "--game", "hellogame", "--instances", str(instances), "--parallel", "2",
           "--db", str(db), "--base-url", server.url]
    try:
        first = subprocess.Popen(
            [DICTGAME, *run], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            env={k: v for k, v in os.environ.items() if k != "DICTGAME_BACKEND"},
        )
        deadline = time.monotonic() + 180
        while not finished_episodes(db) and time.monotonic() < deadline:
            assert first.poll() is None, first.stderr.read() if first.stderr else ""
            time.sleep(0.05)
        server.kill()
        _, stderr = first.communicate(timeout=120)
        assert first.returncode == 75, stderr
        assert "dictgame run --resume 1" in one_line(stderr)
        done_before = {game_id: moves for game_id, moves in finished_episodes(db).items()}
        assert 1 <= len(done_before) < 3

        server.start()
        again = dictgame("run", "--resume", "1", "--parallel", "2", "--db", str(db),
                         "--base-url", server.url)
        assert again.returncode == 0, again.stderr
        assert "3/3 episodes" in again.stdout
    finally:
        server.stop()
    done = finished_episodes(db)
    assert len(done) == 3 and len(saved_games(db)) == 3  # no episode was started twice
    assert all(done[game_id] == moves for game_id, moves in done_before.items())


def finished_episodes(db: Path) -> dict[int, list[str]]:
    """Each finished (or aborted) episode's game and its saved moves."""
    if not db.exists():
        return {}
    connection = sqlite3.connect(db, timeout=10)
    try:
        rows = connection.execute(
            "select g.id from episodes e join games g on g.id = e.game_id "
            "where g.status in ('finished', 'aborted')").fetchall()
        return {game_id: [r for (r,) in connection.execute(
            "select record_json from moves where game_id = ? order by move_index", [game_id])]
            for (game_id,) in rows}
    except sqlite3.OperationalError:
        return {}
    finally:
        connection.close()


def test_a_server_killed_mid_move_stops_the_game_and_resume_finishes_it(tmp_path: Path) -> None:
    db = tmp_path / "games.db"
    server = LoopbackServer(embedded_model_path(), tmp_path / "server.log").start()
    try:
        game = subprocess.Popen(
            [DICTGAME, "play", "--headless", "--rounds", "1", "--seed", "8", "--words-per-message",
             "6", "--base-url", server.url, "--db", str(db)],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            env={k: v for k, v in os.environ.items() if k != "DICTGAME_BACKEND"},
        )
        wait_for_moves(db, 1, game)
        server.kill()
        _, stderr = game.communicate(timeout=120)
        assert game.returncode == 75, stderr  # not 0: the game was still playing
        line = one_line(stderr)
        assert server.url in line and "dictgame resume 1 --headless" in line
        assert saved_moves(db) == [0]  # the move being played when the server died is not saved

        without_address = dictgame("resume", "1", "--headless", "--db", str(db))
        assert without_address.returncode == 2
        assert "--base-url" in one_line(without_address.stderr)
        still_down = dictgame("resume", "1", "--headless", "--base-url", server.url,
                              "--db", str(db), DICTGAME_SERVER__RETRIES="0")
        assert still_down.returncode == 2
        assert "does not answer" in one_line(still_down.stderr)

        server.start()
        resumed = dictgame("resume", "1", "--headless", "--base-url", server.url, "--db", str(db))
        assert resumed.returncode == 0, resumed.stderr
    finally:
        server.stop()
    assert saved_moves(db) == [0, 1]
    record = json.loads(dictgame("export", "1", "--format", "json", "--db", str(db)).stdout)
    assert record["status"] == "finished"


def wait_for_moves(db: Path, count: int, game: subprocess.Popen[str]) -> int:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert game.poll() is None, game.stderr.read() if game.stderr else ""
        moves = saved_moves(db) if db.exists() else []
        if len(moves) >= count:
            return len(moves)
        time.sleep(0.05)
    raise AssertionError("no move was saved")


def saved_moves(db: Path) -> list[int]:
    connection = sqlite3.connect(db, timeout=10)
    try:
        return [i for (i,) in connection.execute("select move_index from moves order by move_index")]
    except sqlite3.OperationalError:  # the tables are not there yet
        return []
    finally:
        connection.close()


def test_bad_servers_give_one_clear_line_and_store_nothing(server: LoopbackServer, tmp_path: Path) -> None:
    db = tmp_path / "games.db"
    down = f"http://127.0.0.1:{free_port()}/v1"
    cases = [
        (["--base-url", down], [down, "does not answer"]),
        (["--base-url", server.url, "--server-model", "no-such-model"], ["no-such-model", "does not serve"]),
        (["--base-url", "ftp://example.org/v1"], ["--base-url", "not an http"]),
    ]
    for flags, words in cases:
        failed = dictgame("play", "--headless", "--rounds", "1", *flags, "--db", str(db),
                          DICTGAME_SERVER__RETRIES="0")
        assert failed.returncode == 2, failed.stderr
        line = one_line(failed.stderr)
        assert all(word in line for word in words), line
    silent = SilentServer()
    try:
        failed = dictgame("play", "--headless", "--rounds", "1", "--base-url", silent.url,
                          "--db", str(db), DICTGAME_SERVER__TIMEOUT="1", DICTGAME_SERVER__RETRIES="0")
    finally:
        silent.close()
    assert failed.returncode == 2, failed.stderr
    assert "no answer within 1 s" in one_line(failed.stderr)
    assert not db.exists() or not saved_games(db)


def saved_games(db: Path) -> list[int]:
    with sqlite3.connect(db) as connection:
        return [i for (i,) in connection.execute("select id from games")]


class SilentServer:
    """Accepts connections and never answers: a server that hangs."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/v1"
        self.held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        try:
            while True:
                self.held.append(self.listener.accept()[0])
        except OSError:
            return

    def close(self) -> None:
        self.listener.close()
        for connection in self.held:
            connection.close()

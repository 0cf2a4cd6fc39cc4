"""Each game records who really played each seat (backend, model file and its sha256 or
server, chat format), and every table, record and export names that player: a scripted game
is never labelled with the embedded model, a save from before these records says `unknown`,
and a run played by more than one set of players says so."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from dictgame.engine.core.provenance import SeatHistory, SeatPlayer, pair_name
from dictgame.engine.games import get_game
from dictgame.models import embedded_model_path
from dictgame.models.digest import file_sha256
from dictgame.saves import GameStore
from dictgame.tui.services.config import with_people


def dictgame(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "dictgame"), *args],
        capture_output=True, text=True, timeout=600, env={**os.environ, **(env or {})},
    )


SCRIPTED = {"DICTGAME_BACKEND": "scripted"}


def eval_rows(output: str) -> dict[str, list[str]]:
    """`dictgame eval`'s table rows by game, each split into its cells."""
    lines = output.splitlines()
    body = lines[2:]
    return {line.split()[0]: line.split() for line in body if line and not line.startswith("(")}


def test_a_scripted_run_is_evaluated_recorded_listed_and_exported_as_scripted(tmp_path: Path) -> None:
    db = str(tmp_path / "games.db")
    played = dictgame("run", "--game", "hellogame", "--experiment", "en", "--db", db, env=SCRIPTED)
    assert played.returncode == 0, played.stderr
    evaluated = dictgame("eval", "1", "--db", db)
    assert evaluated.returncode == 0, evaluated.stderr
    assert eval_rows(evaluated.stdout)["hellogame"][1] == "scripted"
    assert "SmolLM2" not in evaluated.stdout and "mixes" not in evaluated.stdout

    out = tmp_path / "records"
    recorded = dictgame("records", "1", "--out", str(out), "--db", db)
    assert recorded.returncode == 0, recorded.stderr
    assert {p.name for p in out.iterdir()} == {"scripted"}
    interactions = json.loads(
        (out / "scripted/hellogame/en/instance_00000/interactions.json").read_text("utf-8"))
    (spec,) = [info["model_spec"] for info in interactions["player_models"].values()]
    assert spec == {"model_name": "scripted", "players": [{"kind": "scripted"}]}

    listed = dictgame("list", "--db", db).stdout.splitlines()
    assert all(line.rstrip().endswith("scripted / programmatic") for line in listed[1:]), listed
    record = json.loads(dictgame("export", "1", "--format", "json", "--db", db).stdout)
    assert [seat["played_by"] for seat in record["players"]] == ["scripted", "programmatic"]
    markdown = dictgame("export", "1", "--format", "markdown", "--db", db).stdout
    assert "## Who played" in markdown and "scripted (from move 0)" in markdown


def test_a_model_files_sha256_is_computed_once_and_kept_by_path_size_and_time(tmp_path: Path) -> None:
    model, cache = tmp_path / "m.gguf", tmp_path / "cache" / "sha.json"
    model.write_bytes(b"first weights")
    first = file_sha256(model, cache)
    assert first == hashlib.sha256(b"first weights").hexdigest()
    # Other bytes of the same size and time: the kept digest is given, the file is not read.
    stat = model.stat()
    model.write_bytes(b"other weights")
    os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert file_sha256(model, cache) == first
    # A new modification time (or size) is another file: read anew.
    os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert file_sha256(model, cache) == hashlib.sha256(b"other weights").hexdigest()
    # A damaged cache is only a cache: the digest is computed again.
    cache.write_text("{not json", "utf-8")
    assert file_sha256(model, cache) == hashlib.sha256(b"other weights").hexdigest()


def test_the_embedded_models_digest_is_read_once_then_looked_up_at_once(tmp_path: Path) -> None:
    """The figure behind "a game still starts at once": the first game on a file reads it
    whole, every later one only looks the digest up."""
    path, cache = embedded_model_path(), tmp_path / "sha.json"
    started = time.perf_counter()
    digest = file_sha256(path, cache)
    first = time.perf_counter() - started
    started = time.perf_counter()
    assert file_sha256(path, cache) == digest
    again = time.perf_counter() - started
    print(f"sha256 of {path.name} ({path.stat().st_size / 2**20:.0f} MiB): first {first:.3f} s, "
          f"cached {again * 1000:.2f} ms")
    assert again < 0.05 and again < first / 10


def test_a_seat_played_by_two_players_is_mixed_and_pairs_are_named_from_the_players() -> None:
    scripted, smol = SeatPlayer(kind="scripted"), SeatPlayer(kind="llama.cpp", model="a.gguf", sha256="1")
    same_name = SeatPlayer(kind="llama.cpp", model="a.gguf", sha256="2")
    assert SeatHistory(spells=((0, smol),)).name == "a"
    assert SeatHistory(spells=((0, smol), (4, smol))).name == "a"
    assert SeatHistory(spells=((0, scripted), (4, smol))).name == "mixed"
    # Another file under the same name is another player.
    assert SeatHistory(spells=((0, smol), (4, same_name))).name == "mixed"
    assert SeatHistory().name == "unknown"
    assert SeatPlayer(kind="server", model="Qwen/Qwen2.5-7B-Instruct").name == "Qwen2.5-7B-Instruct"
    assert pair_name(("a", "programmatic")) == "a"
    assert pair_name(("scripted", "a")) == "scripted--a"


def test_saves_from_before_the_records_say_unknown_and_never_guess(tmp_path: Path) -> None:
    """A save written before seat players were recorded: what its settings named is kept as
    named, a person and the game's own player are known, every model seat is `unknown`."""
    db = tmp_path / "games.db"
    hello = get_game("hellogame")
    dictionary = get_game("dictionary")
    served = with_people(dictionary.settings_for(
        dictionary.play_instance(0), {"models": ("server:Qwen/Qwen2.5-7B-Instruct", None)}
    ), (False, True))
    with GameStore.open(db) as store:
        store.create_game(hello.settings_for(hello.play_instance(0), {"models": ("m/a.gguf", None)}), hello)
        store.create_game(served, dictionary)
    with sqlite3.connect(db) as connection:  # as the previous version left it
        connection.execute("drop table seat_players")
        connection.execute("delete from _dictgame_migrations where name = 'm005_seat_players'")
    with GameStore.open(db) as store:
        first, second = store.seat_histories(1), store.seat_histories(2)
    assert [h.players for h in first] == [
        (SeatPlayer(kind="unknown", configured="m/a.gguf"),), (SeatPlayer(kind="programmatic"),)]
    assert [h.players for h in second] == [
        (SeatPlayer(kind="server", model="Qwen/Qwen2.5-7B-Instruct"),), (SeatPlayer(kind="person"),)]
    listed = dictgame("list", "--db", str(db)).stdout
    assert "unknown / programmatic" in listed and "SmolLM2" not in listed


def test_old_saves_are_unknown_until_resumed_and_then_mixed(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    path.write_bytes((Path(__file__).parent / "fixtures" / "saves-0.1.0.db").read_bytes())
    with GameStore.open(path) as store:
        assert {h.name for g in store.list_games() for h in store.seat_histories(g.id)} == {"unknown"}
    resumed = dictgame("resume", "2", "--headless", "--db", str(path), env=SCRIPTED)
    assert resumed.returncode == 0, resumed.stderr
    with GameStore.open(path) as store:
        histories = store.seat_histories(2)
        moves = store.load_game(2).moves_played
    assert [h.name for h in histories] == ["mixed", "mixed"]
    assert [kind for _, p in histories[0].spells for kind in [p.kind]] == ["unknown", "scripted"]
    assert 0 < histories[0].spells[1][0] < moves


@pytest.mark.real_model
def test_a_game_on_the_embedded_model_records_its_file_sha256_and_chat_format(tmp_path: Path) -> None:
    db = str(tmp_path / "games.db")
    instances = tmp_path / "one.json"
    made = dictgame("instances", "hellogame", "--out", str(instances))
    assert made.returncode == 0, made.stderr
    data = json.loads(instances.read_text("utf-8"))
    data["experiments"] = [{**data["experiments"][0],
                            "game_instances": data["experiments"][0]["game_instances"][:1]}]
    instances.write_text(json.dumps(data), "utf-8")
    played = dictgame("run", "--game", "hellogame", "--instances", str(instances), "--db", db)
    assert played.returncode == 0, played.stderr
    record = json.loads(dictgame("export", "1", "--format", "json", "--db", db).stdout)
    (spell,) = record["players"][0]["spells"]
    path = embedded_model_path()
    assert spell == {
        "from_move": 0, "kind": "llama.cpp", "model": path.name,
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(), "chat_format": "template",
    }
    assert eval_rows(dictgame("eval", "1", "--db", db).stdout)["hellogame"][1] == path.stem


@pytest.mark.real_model
def test_a_run_finished_by_another_backend_says_it_mixes_players(tmp_path: Path) -> None:
    """Started on the scripted backend and stopped, the same run finished on the embedded
    model: each row is named by who played it, and the run says it mixes players."""
    db = str(tmp_path / "games.db")
    started = dictgame("run", "--game", "hellogame", "--experiment", "en", "--db", db, env=SCRIPTED)
    assert started.returncode == 0, started.stderr
    with sqlite3.connect(db) as connection:  # as if stopped after two episodes
        connection.execute("pragma foreign_keys = on")
        connection.execute("delete from games where id in (select game_id from episodes where seq >= 2)")
    finished = dictgame("run", "--game", "hellogame", "--experiment", "en", "--db", db, env=SCRIPTED | {
        "DICTGAME_BACKEND": "llama"})
    assert finished.returncode == 0, finished.stderr
    assert "Run 1 has these arguments: finishing it" in finished.stdout
    evaluated = dictgame("eval", "1", "--db", db).stdout
    stem = embedded_model_path().stem
    assert f"(run 1 mixes players: {stem} (3), scripted (2))" in evaluated
    models = {line.split()[1]: line.split()[2] for line in evaluated.splitlines()[2:]
              if line.startswith("hellogame")}
    assert models == {stem: "3", "scripted": "2"}

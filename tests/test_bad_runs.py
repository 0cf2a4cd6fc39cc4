"""Bad input in the study commands, through the real `dictgame` command: a stored run whose
rows no longer parse, and an instances file that is JSON but not this game's. Each is one
clear line and exit 2, in every command that reads it; nothing is stored from a bad file."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from test_bad_inputs import SCRIPTED, assert_clean_failure, dictgame

# What a hand edit or a buggy version may leave in a run's rows.
DAMAGES = {
    "arguments not JSON": "update runs set arguments_json = '{broken'",
    "arguments not an object": "update runs set arguments_json = '[]'",
    "an instance not JSON": "update episodes set instance_json = '{broken' where seq = 1",
    "an instance without game_id": "update episodes set instance_json = '{}' where seq = 1",
}
# Every command that reads a stored run.
READERS = (
    ("eval", "1"), ("records", "1", "--out", "records"), ("analyze", "1"),
    ("run", "--resume", "1"), ("finetune-data", "1", "--out", "data.jsonl"),
)


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Run 1 (hellogame) and run 2 (firstlast), both played to the end on the scripted backend."""
    db = tmp_path_factory.mktemp("runs") / "games.db"
    for game, experiment in (("hellogame", "en"), ("firstlast", "animals")):
        played = dictgame("run", "--game", game, "--experiment", experiment, "--db", str(db), env=SCRIPTED)
        assert played.returncode == 0, played.stderr
    return db


@pytest.mark.parametrize("damage", DAMAGES)
def test_a_run_whose_rows_no_longer_parse_is_one_line_in_every_command(
    two_runs: Path, tmp_path: Path, damage: str
) -> None:
    db = tmp_path / "games.db"
    db.write_bytes(two_runs.read_bytes())
    with sqlite3.connect(db) as connection:
        connection.execute(DAMAGES[damage] + (" and run_id = 1" if "episodes" in DAMAGES[damage]
                                               else " where id = 1"))
    for command in READERS:
        assert_clean_failure(dictgame(*command, "--db", str(db), cwd=tmp_path), "Run 1 is damaged")
    # The list shows it as damaged, and the other run as it is; the other run still evaluates.
    listed = dictgame("runs", "--db", str(db))
    assert listed.returncode == 0, listed.stderr
    lines = {line.split()[0]: line for line in listed.stdout.splitlines()[1:]}
    assert "damaged:" in lines["1"] and "6/6" in lines["2"], listed.stdout
    other = dictgame("eval", "2", "--db", str(db))
    assert other.returncode == 0 and "firstlast" in other.stdout, other.stderr


def test_an_episode_damaged_before_it_was_played_stops_its_run_in_one_line(
    tmp_path: Path, two_runs: Path
) -> None:
    db = tmp_path / "games.db"
    db.write_bytes(two_runs.read_bytes())
    with sqlite3.connect(db) as connection:  # its game not played yet, its instance emptied
        connection.execute("pragma foreign_keys = on")
        connection.execute("delete from games where id = (select game_id from episodes "
                           "where run_id = 1 and seq = 4)")
        connection.execute("update episodes set instance_json = '{\"game_id\": 4}' "
                           "where run_id = 1 and seq = 4")
    assert_clean_failure(dictgame("run", "--resume", "1", "--db", str(db), env=SCRIPTED),
                         "Run 1 is damaged", "episode 4", "no target_name")


def instances(tmp_path: Path, game: str, change: dict[str, object] | None = None,
              drop: str | None = None) -> Path:
    """The game's own instances file, with one field changed or dropped in every instance."""
    made = dictgame("instances", game)
    document = json.loads(made.stdout)
    for experiment in document["experiments"]:
        for instance in experiment["game_instances"]:
            instance.update(change or {})
            if drop:
                del instance[drop]
    path = tmp_path / f"{game}-{len(list(tmp_path.glob('*.json')))}.json"
    path.write_text(json.dumps(document), "utf-8")
    return path


@pytest.mark.parametrize(("game", "file_of", "words"), [
    ("hellogame", "dealnodeal", ("not an instance of Hello Game", "it has counts")),
    ("dictionary", "dealnodeal", ("not an instance of Dictionary Discovery", "lang_a")),
    ("firstlast", "hellogame", ("not an instance of First and Last", "topic")),
    ("dealnodeal", "firstlast", ("not an instance of Deal or No Deal", "values")),
])
def test_another_games_instances_file_is_one_line_and_nothing_is_stored(
    tmp_path: Path, game: str, file_of: str, words: tuple[str, ...]
) -> None:
    db = str(tmp_path / "games.db")
    other = instances(tmp_path, file_of)
    assert_clean_failure(
        dictgame("run", "--game", game, "--instances", str(other), "--db", db, env=SCRIPTED), *words)
    assert "No runs yet" in dictgame("runs", "--db", db).stdout


def test_an_instances_file_with_a_field_missing_or_of_the_wrong_kind_is_one_line(tmp_path: Path) -> None:
    db = str(tmp_path / "games.db")
    missing = instances(tmp_path, "hellogame", drop="target_name")
    assert_clean_failure(dictgame("run", "--game", "hellogame", "--instances", str(missing),
                                  "--db", db, env=SCRIPTED), "Hello Game cannot play it", "no target_name")
    wrong = instances(tmp_path, "hellogame", change={"language": 7})
    assert_clean_failure(dictgame("run", "--game", "hellogame", "--instances", str(wrong),
                                  "--db", db, env=SCRIPTED), "Hello Game cannot play it", "language")
    numbered = instances(tmp_path, "hellogame", change={"game_id": "first"})
    assert_clean_failure(dictgame("run", "--game", "hellogame", "--instances", str(numbered),
                                  "--db", db, env=SCRIPTED), "game_id is not a whole number")
    assert "No runs yet" in dictgame("runs", "--db", db).stdout

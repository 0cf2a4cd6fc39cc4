"""Studies through the real `dictgame` command: games, instances, runs, records, evaluation."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from test_cli import SCRIPTED, assert_clean_failure, dictgame


def test_games_lists_every_game_with_its_experiments() -> None:
    result = dictgame("games")
    assert result.returncode == 0, result.stderr
    assert "dictionary" in result.stdout and "Dictionary Discovery" in result.stdout
    assert "english-spanish" in result.stdout


def test_instances_are_seeded_and_written_as_clembench_reads_them(tmp_path: Path) -> None:
    out = tmp_path / "instances.json"
    assert dictgame("instances", "dictionary", "--seed", "4", "--out", str(out)).returncode == 0
    document = json.loads(out.read_text())
    again = json.loads(dictgame("instances", "dictionary", "--seed", "4").stdout)
    other = json.loads(dictgame("instances", "dictionary", "--seed", "5").stdout)
    assert document == again != other
    first = document["experiments"][0]
    assert set(first) == {"name", "game_instances"}
    assert [i["game_id"] for i in first["game_instances"]] == list(range(len(first["game_instances"])))


def test_a_run_is_stored_recorded_and_evaluated(tmp_path: Path) -> None:
    db = tmp_path / "games.db"
    run = dictgame("run", "--game", "dictionary", "--experiment", "english-spanish",
                   "--rounds", "2", "--db", str(db), env=SCRIPTED)
    assert run.returncode == 0, run.stderr
    assert "3/3 episodes" in run.stdout and run.stdout.strip().endswith("run id: 1")
    listed = dictgame("list", "--db", str(db)).stdout
    assert listed.count("dictionary") == 3

    results = tmp_path / "results"
    records = dictgame("records", "1", "--out", str(results), "--db", str(db))
    assert records.returncode == 0, records.stderr
    scores = sorted(results.glob("*/dictionary/english-spanish/instance_*/scores.json"))
    assert len(scores) == 3

    table = tmp_path / "eval.csv"
    evaluation = dictgame("eval", "1", "--csv", str(table), "--db", str(db))
    assert evaluation.returncode == 0, evaluation.stderr
    rows = list(csv.DictReader(io.StringIO(table.read_text())))
    assert len(rows) == 1 and rows[0]["game"] == "dictionary"
    assert float(rows[0]["% played"]) == 100.0
    assert rows[0]["game"] in evaluation.stdout

    again = dictgame("run", "--game", "dictionary", "--experiment", "english-spanish",
                     "--rounds", "2", "--db", str(db), env=SCRIPTED)
    assert again.returncode == 0 and "Run 1 has these arguments" in again.stdout
    assert dictgame("list", "--db", str(db)).stdout.count("dictionary") == 3


def test_a_run_plays_an_instances_file(tmp_path: Path) -> None:
    instances = {"experiments": [{"name": "custom", "game_instances": [
        {"game_id": 0, "lang_a": "German", "lang_b": "Italian", "seed": 3, "rounds": 1}]}]}
    path = tmp_path / "instances.json"
    path.write_text(json.dumps(instances))
    db = tmp_path / "games.db"
    run = dictgame("run", "--instances", str(path), "--db", str(db), env=SCRIPTED)
    assert run.returncode == 0, run.stderr
    record = json.loads(dictgame("export", "1", "--format", "json", "--db", str(db)).stdout)
    assert [p["language"] for p in record["settings"]["players"]] == ["German", "Italian"]
    assert record["settings"]["rounds"] == 1


def test_bad_study_inputs_give_one_clear_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert_clean_failure(dictgame("run", "--instances", str(broken), env=SCRIPTED),
                         str(broken), "not an instances file")
    assert_clean_failure(dictgame("run", "--game", "chess", env=SCRIPTED), "chess", "the games are")
    assert_clean_failure(dictgame("instances", "chess"), "chess")
    assert_clean_failure(dictgame("run", "--experiment", "klingon", env=SCRIPTED), "klingon")
    assert_clean_failure(dictgame("eval", "9", "--db", str(tmp_path / "g.db")), "no run 9")

"""A person in either seat of every game, headless: the real `dictgame` command, the person's
answers piped to its standard input, under the same move rules as a model's, stored like a
model's, and resumed on the person's turn."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from test_cli import SCRIPTED, assert_clean_failure, dictgame

from dictgame.engine.games import get_game


def play(*args: str, answers: list[str], db: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).parent / "dictgame"), *args, "--db", str(db)],
        input="".join(line + "\n" for line in answers),
        capture_output=True, text=True, timeout=120, env={**os.environ, **SCRIPTED},
    )


def record(db: Path, game_id: int = 1) -> dict:
    return json.loads(dictgame("export", str(game_id), "--format", "json", "--db", str(db)).stdout)


def test_a_person_negotiates_a_deal_with_a_model(tmp_path: Path) -> None:
    db = tmp_path / "games.db"
    # Seed 5: 3 books, 3 hats, 1 ball; the person (A) speaks first; the scripted model (B)
    # states the split it wants, and proposes it once the person agrees.
    result = play("play", "--headless", "--game", "dealnodeal", "--seat-a", "human", "--seed", "5",
                  answers=["Hello!", "[message] Hello, I would like the ball and the books.",
                           "[message] Agreed: you take (0 books, 2 hats, 0 balls), I take the rest.",
                           "(3 books, 1 hats, 1 balls)"], db=db)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "== Your rules, Player A ==" in out and "To you, a book is worth 2" in out
    # Only the person's own values are shown to them.
    assert "a hat is worth 3" not in out
    assert "    ! move rule: a reply must start with [message] or [propose]" in out
    assert "Player B has made a private proposal. Now make yours." in out
    assert "Game 1 finished after" in out
    assert "Outcome: success: deal: Player A takes (3 books, 1 hat, 1 ball)" in out
    game = record(db)
    assert game["settings"]["players"][0]["human"] is True
    assert [(m["seat"], m["kind"]) for m in game["moves"]] == [
        (0, "message"), (1, "message"), (0, "message"), (1, "propose"), (1, "take"), (0, "take")
    ]
    first = game["moves"][0]
    assert [a["raw_output"] for a in first["attempts"]] == [
        "Hello!", "[message] Hello, I would like the ball and the books."
    ]
    assert game["moves"][5]["take"] == [3, 1, 1]


def test_a_models_proposal_is_not_shown_to_the_person_before_theirs(tmp_path: Path) -> None:
    db = tmp_path / "games.db"
    # The model (A) states its split, the person agrees, the model proposes first.
    result = play("play", "--headless", "--game", "dealnodeal", "--seat-b", "human", "--seed", "5",
                  answers=["[message] Agreed.", "1 1 1"], db=db)
    assert result.returncode == 0, result.stderr
    played, report = result.stdout.split("Game 1 finished")
    assert "[round 2] Player A: (a private proposal)" in played
    # A's proposal shows only in the report, after B's.
    assert '{"books": 1, "hats": 0, "balls": 1}' not in played
    assert "Player A: values book 2, hat 0, ball 4; proposed (1 book, 0 hats, 1 ball)" in report
    assert [m["kind"] for m in record(db)["moves"]][-2:] == ["take", "take"]


def test_a_person_who_leaves_resumes_on_their_own_turn(tmp_path: Path) -> None:
    db = tmp_path / "games.db"
    left = play("play", "--headless", "--game", "dealnodeal", "--seat-b", "human", "--seed", "5",
                answers=[], db=db)
    assert left.returncode == 0, left.stderr
    assert "Game 1 paused: no more input. Resume it with: dictgame resume 1 --headless" in left.stdout
    # The model (A) spoke first; the game stopped waiting for the person.
    assert [m["seat"] for m in record(db)["moves"]] == [0]
    resumed = play("resume", "1", "--headless", answers=["[message] You take what you said."], db=db)
    # The person's answer, the model's reply, and the person's turn again, with no more input.
    assert "Game 1 paused" in resumed.stdout and "== Player B, your turn ==" in resumed.stdout
    moves = record(db)["moves"]
    assert [m["seat"] for m in moves] == [0, 1, 0]
    assert moves[1]["message"] == "[message] You take what you said."
    listed = dictgame("list", "--db", str(db)).stdout
    assert "playing" in listed


def test_a_person_in_every_game(tmp_path: Path) -> None:
    instance = get_game("hellogame").play_instance(3)
    hello = play("play", "--headless", "--game", "hellogame", "--seat-a", "human", "--seed", "3",
                 answers=[f"GREET: Hello {instance['target_name']}, welcome!"], db=tmp_path / "h.db")
    assert hello.returncode == 0, hello.stderr
    assert "finished after 1 round.\n  Outcome: success" in hello.stdout

    firstlast = play("play", "--headless", "--game", "firstlast", "--seat-b", "human", "--seed", "2",
                     answers=["I SAY: " + "anything at all"] * 3, db=tmp_path / "f.db")
    assert firstlast.returncode == 0, firstlast.stderr
    assert "Player B" in firstlast.stdout and "I SAY:" in firstlast.stdout

    # Without a topic: with one, each message must say the round's topic word.
    dictionary = play("play", "--headless", "--seat-a", "human", "--rounds", "2", "--seed", "1",
                      "--no-topic", answers=["hello friend", '{"updates": []}', "water sun"],
                      db=tmp_path / "d.db")
    assert dictionary.returncode == 0, dictionary.stderr
    game = record(tmp_path / "d.db")
    assert game["status"] == "finished"
    assert [m["text"] for m in game["messages"] if m["seat"] == 0] == ["hello friend", "water sun"]


def test_seats_a_person_cannot_take_give_one_clear_line(tmp_path: Path) -> None:
    db = tmp_path / "games.db"
    assert_clean_failure(
        play("play", "--headless", "--game", "hellogame", "--seat-b", "human", answers=[], db=db),
        "seat B of Hello Game is played by the game itself",
    )
    assert_clean_failure(dictgame("run", "--game", "dealnodeal", "--seat-a", "human", "--db", str(db),
                                  env=SCRIPTED), "a run plays models only")
    assert_clean_failure(dictgame("play", "--seat-a", "human", "--db", str(db), env=SCRIPTED), "--headless")
    robot = dictgame("play", "--headless", "--seat-a", "robot")
    assert robot.returncode == 2 and "argument --seat-a: invalid choice: 'robot'" in robot.stderr
    assert not db.exists() or "No saved games" in dictgame("list", "--db", str(db)).stdout

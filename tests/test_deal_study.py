"""Deal or No Deal studies through the real `dictgame` command: self-play runs, their analysis
(checked against figures worked out by hand), and fine-tuning data read back by Hugging Face
transformers' chat template application, as fine-tuning tools consume it."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from test_cli import SCRIPTED, assert_clean_failure, dictgame

from dictgame.engine.core.episode import GameMaster, play
from dictgame.engine.core.provenance import SeatPlayer
from dictgame.engine.games.dealnodeal import DEALNODEAL
from dictgame.engine.games.dealnodeal.analysis import PlayedGame, analyze, table_text
from dictgame.engine.games.dealnodeal.scripted import negotiator
from dictgame.engine.scripted import Responder, ScriptedBackend, replies_in_order
from dictgame.saves import GameStore
from dictgame.saves.runs import create_run, episodes

# 1 book, 2 hats, 3 balls; A: book 2, hat 1, ball 2; B: book 4, hat 0, ball 2.
INSTANCE = {"counts": [1, 2, 3], "values": [[2, 1, 2], [4, 0, 2]], "first": 0, "seed": 1}


def proposals(first: dict[str, int], second: dict[str, int]) -> list[str]:
    """A short game: a message each, then A proposes first, then B."""
    return ["[message] Let us divide.", "[message] Yes.", "[propose]", json.dumps(first), json.dumps(second)]


NEGOTIATED = negotiator  # A takes (1, 0, 2): 6 points; B (0, 2, 1): 2 points; not Pareto-optimal
NO_DEAL = proposals({"books": 1, "hats": 2, "balls": 3}, {"books": 1, "hats": 0, "balls": 0})
ABORTED = ["[message] Hi.", "hello", "hello", "hello", "hello", "hello"]
# A (0, 2, 3): 8 points, B (1, 0, 0): 4 points; the best joint total, so Pareto-optimal.
GENEROUS = proposals({"books": 0, "hats": 2, "balls": 3}, {"books": 1, "hats": 0, "balls": 0})
# A (0, 2, 2): 6 points, B (1, 0, 1): 6 points; under comp both score 0, and it is a deal.
EVEN = proposals({"books": 0, "hats": 2, "balls": 2}, {"books": 1, "hats": 0, "balls": 1})
# A takes everything: 10 to 0.
GREEDY = proposals({"books": 1, "hats": 2, "balls": 3}, {"books": 0, "hats": 0, "balls": 0})


SCRIPTED_PLAYER = SeatPlayer(kind="scripted")


def stored_run(db: Path, objective: str, scripts: list[Responder | list[str]]) -> int:
    """A run of scripted games on one instance, stored as `dictgame run` stores its runs."""
    instance = {**INSTANCE, "objective": objective}
    with GameStore.open(db) as store:
        run_id = create_run(
            store, "dealnodeal", {"game": "dealnodeal", "objective": objective},
            [(objective, {"game_id": number, **instance}) for number in range(len(scripts))],
        )
        for row, script in zip(episodes(store, run_id), scripts, strict=True):
            settings = DEALNODEAL.settings_for(row.instance, {"models": (None, None), "names": (None, None)})
            game_id = store.create_game(settings, DEALNODEAL, row.instance, episode=row)
            responder = script if callable(script) else replies_in_order(script)
            session = ScriptedBackend(responder).session(Path("a"))
            play(GameMaster(DEALNODEAL.new_state(settings), (session, session), DEALNODEAL),
                 store.saver(game_id, (SCRIPTED_PLAYER, SCRIPTED_PLAYER)))
    return run_id


@pytest.fixture
def study(tmp_path: Path) -> Path:
    db = tmp_path / "study.db"
    assert stored_run(db, "self", [NEGOTIATED, NO_DEAL, ABORTED, GENEROUS]) == 1
    assert stored_run(db, "comp", [EVEN, GREEDY]) == 2
    return db


def test_analysis_per_objective_matches_the_figures_worked_out_by_hand(study: Path, tmp_path: Path) -> None:
    table = tmp_path / "deal.csv"
    result = dictgame("analyze", "1", "2", "--csv", str(table), "--db", str(study))
    assert result.returncode == 0, result.stderr
    rows = {row["objective"]: row for row in csv.DictReader(io.StringIO(table.read_text()))}
    figures = {name: {k: v for k, v in row.items() if k not in ("objective", "model", "tokens")}
               for name, row in rows.items()}
    assert figures["self"] == {
        "games": "4", "score_a": "3.5000", "score_b": "1.5000", "score": "2.5000",
        "joint_points": "5.0000", "agreement": "0.5000", "aborted": "0.2500",
        "pareto_optimal": "0.2500", "messages": "3.2500",
        # Six proposals (the aborted game made none); NO_DEAL's first claimed every item.
        "took_all": "0.1667",
    }
    assert figures["comp"] == {
        "games": "2", "score_a": "5.0000", "score_b": "-5.0000", "score": "0.0000",
        "joint_points": "11.0000", "agreement": "1.0000", "aborted": "0.0000",
        "pareto_optimal": "1.0000", "messages": "4.0000",
        "took_all": "0.2500",  # GREEDY's first of four proposals
    }
    # Named by who played, as the games recorded it (the scripted backend), not by a model.
    assert rows["self"]["model"] == "scripted"
    # The scripted backend counts a word as a token: the words of the replies that counted.
    even_words = sum(len(text.split()) for text in EVEN)
    assert float(rows["comp"]["tokens"]) == (even_words + sum(len(t.split()) for t in GREEDY)) / 2
    assert "Pareto-optimal" in result.stdout and "self" in result.stdout and "50%" in result.stdout


def test_the_table_shows_rates_as_percentages() -> None:
    games = [
        PlayedGame("coop", "m", (6, 4), (10, 10), True, False, True, 4, 40, proposals=2, took_all=0),
        PlayedGame("coop", "m", (0, 0), (0, 0), False, True, False, 2, 20, proposals=2, took_all=1),
    ]
    (row,) = analyze(games)
    assert (row.agreement, row.aborts, row.pareto, row.joint_points, row.tokens) == (0.5, 0.5, 0.5, 5.0, 30.0)
    assert row.took_all == 0.25
    assert table_text([row]).splitlines()[2].split()[7:11] == ["50%", "50%", "50%", "25%"]


def chat_template_tokenizer() -> object:
    """Hugging Face transformers' tokenizer carrying the embedded model's own chat template
    (read from its GGUF header); its vocabulary does not matter for rendering a chat."""
    from tokenizers import Tokenizer
    from tokenizers.models import WordLevel
    from transformers import PreTrainedTokenizerFast

    from dictgame.models import embedded_model_path
    from dictgame.models.gguf_info import read_model_info

    template = read_model_info(embedded_model_path()).chat_template
    vocabulary = Tokenizer(WordLevel({"<unk>": 0}, unk_token="<unk>"))
    return PreTrainedTokenizerFast(tokenizer_object=vocabulary, chat_template=template)


def test_finetuning_data_keeps_what_each_filter_keeps_and_fine_tuning_tools_read_it(
    study: Path, tmp_path: Path
) -> None:
    tokenizer = chat_template_tokenizer()
    kept = {}
    for keep in ("above_avg", "nonzero", "all"):
        out = tmp_path / f"{keep}.jsonl"
        result = dictgame("finetune-data", "1", "2", "--filter", keep, "--out", str(out), "--db", str(study))
        assert result.returncode == 0, result.stderr
        lines = out.read_text("utf-8").splitlines()
        assert f"{len(lines)} examples from 6 games ({keep})" in result.stdout
        kept[keep] = [json.loads(line) for line in lines]
        for example in kept[keep]:
            messages = example["messages"]
            assert list(example) == ["messages"]
            roles = [m["role"] for m in messages]
            assert roles[0] == "system" and roles[-1] == "assistant"
            assert roles[1:] == ["user", "assistant"] * (len(roles) // 2)
            rendered = tokenizer.apply_chat_template(messages, tokenize=False)  # type: ignore[attr-defined]
            at = 0
            for message in messages:
                at = rendered.index(f"<|im_start|>{message['role']}\n{message['content']}<|im_end|>", at)
    # self, mean score 2.5: A of the negotiated game (6), both of the generous one (8, 4);
    # comp, mean 0: both of the even deal (0-0, a valid deal), A of the greedy one (10).
    assert len(kept["above_avg"]) == 6
    # Every score above 0: B of the negotiated game (2) too.
    assert len(kept["nonzero"]) == 7
    # All twelve transcripts but the aborted game's B, who never said anything valid.
    assert len(kept["all"]) == 11
    systems = [e["messages"][0]["content"] for e in kept["above_avg"]]
    assert sum("Your goal: get as many more points" in s for s in systems) == 3
    # Each player's transcript names only its own values.
    for example in kept["all"]:
        system = example["messages"][0]["content"]
        assert ("a book is worth 2" in system) != ("a book is worth 4" in system)


def test_a_selfplay_run_of_the_cooperative_experiment_is_stored_and_analyzed(tmp_path: Path) -> None:
    db = tmp_path / "games.db"
    run = dictgame("run", "--game", "dealnodeal", "--experiment", "coop", "--runs", "2",
                   "--db", str(db), env=SCRIPTED)
    assert run.returncode == 0, run.stderr
    assert "Run 1: 20 episodes of Deal or No Deal" in run.stdout and "20/20 episodes" in run.stdout
    with GameStore.open(db) as store:
        played = episodes(store, 1)
        seeds = [row.instance["seed"] for row in played]
        # The repeat plays the same ten games with their seeds moved on, numbered on.
        assert [row.instance["counts"] for row in played[:10]] == [row.instance["counts"] for row in played[10:]]
        assert [s + 1 for s in seeds[:10]] == seeds[10:]
        assert [row.instance["game_id"] for row in played] == list(range(20))
    records = dictgame("records", "1", "--out", str(tmp_path / "results"), "--db", str(db))
    assert records.returncode == 0, records.stderr
    assert len(list((tmp_path / "results").glob("*/dealnodeal/coop/instance_*/scores.json"))) == 20
    analysis = dictgame("analyze", "1", "--db", str(db))
    assert analysis.returncode == 0, analysis.stderr
    line = next(line for line in analysis.stdout.splitlines() if line.startswith("coop"))
    assert line.split()[2] == "20" and "100%" in line  # the scripted negotiators always agree
    again = dictgame("run", "--game", "dealnodeal", "--experiment", "coop", "--runs", "2",
                     "--db", str(db), env=SCRIPTED)
    assert "Run 1 has these arguments" in again.stdout


def test_bad_study_inputs_give_one_clear_line(tmp_path: Path) -> None:
    db = tmp_path / "games.db"
    assert dictgame("run", "--game", "hellogame", "--db", str(db), env=SCRIPTED).returncode == 0
    assert_clean_failure(dictgame("analyze", "1", "--db", str(db)), "Hello Game", "not Deal or No Deal")
    assert_clean_failure(dictgame("finetune-data", "7", "--out", str(tmp_path / "x.jsonl"), "--db", str(db)),
                         "There is no run 7")
    assert_clean_failure(dictgame("run", "--game", "dealnodeal", "--runs", "0", "--db", str(db)), "--runs")
    assert dictgame("finetune-data", "1", "--filter", "best", "--out", "x", "--db", str(db)).returncode == 2


def test_a_run_of_exactly_n_episodes_takes_the_experiments_in_turn(tmp_path: Path) -> None:
    """`--episodes 7` of Hello Game (two experiments of five instances): seven games, the
    experiments alternating, the sixth instance of an experiment a repeat with its seed moved."""
    db = tmp_path / "games.db"
    run = dictgame("run", "--game", "hellogame", "--episodes", "7", "--db", str(db), env=SCRIPTED)
    assert run.returncode == 0, run.stderr
    assert "Run 1: 7 episodes of Hello Game" in run.stdout
    with GameStore.open(db) as store:
        played = episodes(store, 1)
    assert [row.experiment for row in played] == ["en", "de", "en", "de", "en", "de", "en"]
    assert [row.instance["game_id"] for row in played] == [0, 0, 1, 1, 2, 2, 3]
    assert len({row.instance["seed"] for row in played}) == 7
    twelve = dictgame("run", "--game", "hellogame", "--experiment", "en", "--episodes", "6",
                      "--db", str(db), env=SCRIPTED)
    assert twelve.returncode == 0, twelve.stderr
    with GameStore.open(db) as store:
        repeat = episodes(store, 2)
    assert [row.instance["game_id"] for row in repeat] == [0, 1, 2, 3, 4, 5]
    assert repeat[5].instance["seed"] == repeat[0].instance["seed"] + 1
    assert repeat[5].instance["target_name"] == repeat[0].instance["target_name"]
    assert_clean_failure(dictgame("run", "--game", "hellogame", "--episodes", "0", "--db", str(db)), "--episodes")
    assert_clean_failure(dictgame("run", "--game", "hellogame", "--episodes", "4", "--runs", "2",
                                  "--db", str(db)), "instead of --runs")

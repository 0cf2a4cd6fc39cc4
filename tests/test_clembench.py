"""Episodes recorded as clembench records, evaluated as `clem eval` does; and clemcore's own
`clem eval` (installed from PyPI into a virtualenv) reading them and printing the same figures."""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dictgame.engine.backend import GenerationRequest
from dictgame.engine.core.clembench import CLEM_VERSION, PlayedEpisode, write_records
from dictgame.engine.core.episode import GameMaster
from dictgame.engine.core.evaluation import Row, csv_text, evaluate, table_text
from dictgame.engine.core.game import Game, Result
from dictgame.engine.core.instances import generate
from dictgame.engine.core.provenance import SeatHistory, SeatPlayer
from dictgame.engine.games.dictionary import DICTIONARY
from dictgame.engine.scripted import Responder, ScriptedBackend, phrasebook_player

INSTANCES = {e["name"]: e["game_instances"] for e in generate(DICTIONARY, 7)["experiments"]}
# The same rules under another name: a second game for a model pair to have played.
ECHO = dataclasses.replace(DICTIONARY, name="dictionary-echo")
METRICS = {
    "Request Count", "Parsed Request Count", "Violated Request Count", "Request Success Ratio",
    "Aborted", "Lose", "Success", "Main Score",
}


def silent(request: GenerationRequest) -> str:
    return ""


SCRIPTED = SeatPlayer(kind="scripted")


def gguf(name: str) -> SeatPlayer:
    """A model file as a game records its player (the writer names players as recorded)."""
    return SeatPlayer(kind="llama.cpp", model=name, sha256="0" * 64, chat_format="template")


def histories(*players: SeatPlayer) -> tuple[SeatHistory, ...]:
    return tuple(SeatHistory(spells=((0, player),)) for player in players)


def play(
    experiment: str,
    number: int,
    *,
    game: Game[Any] = DICTIONARY,
    players: tuple[SeatPlayer, SeatPlayer] = (SCRIPTED, SCRIPTED),
    responders: tuple[Responder, Responder] = (phrasebook_player, phrasebook_player),
    **settings: Any,
) -> PlayedEpisode:
    instance = INSTANCES[experiment][number]
    given = {"rounds": 2, **settings}
    state = game.new_state(game.settings_for(instance, given))
    sessions = tuple(ScriptedBackend(r).session(Path("unused")) for r in responders)
    master = GameMaster(state, sessions, game)
    while not master.over:
        master.play_next_move()
    return PlayedEpisode(game, experiment, instance, state, histories(*players))


def aborted(experiment: str, number: int, **kwargs: Any) -> PlayedEpisode:
    return play(experiment, number, responders=(silent, silent), on_violation="abort", **kwargs)


@pytest.fixture(scope="module")
def episodes() -> list[PlayedEpisode]:
    """Three pairs of players (the scripted one and two of model files); one pair played two
    games; some episodes aborted."""
    return [
        *(play("english-spanish", n) for n in range(3)),
        aborted("english-french", 0),
        *(play("spanish-french", n, game=ECHO) for n in range(2)),
        *(play("english-french", n, players=(gguf("alpha.gguf"), gguf("beta.gguf"))) for n in range(2)),
        aborted("english-spanish", 0, players=(gguf("gamma.gguf"), gguf("gamma.gguf"))),
        play("english-spanish", 1, game=ECHO, players=(gguf("gamma.gguf"), gguf("gamma.gguf"))),
    ]


def read(path: Path) -> Any:
    return json.loads(path.read_text("utf-8"))


def test_records_follow_clemcores_layout(episodes: list[PlayedEpisode], tmp_path: Path) -> None:
    written = write_records(episodes, tmp_path)
    assert [p.relative_to(tmp_path).as_posix() for p in written[:4]] == [
        "scripted/dictionary/english-spanish/instance_00000",
        "scripted/dictionary/english-spanish/instance_00001",
        "scripted/dictionary/english-spanish/instance_00002",
        "scripted/dictionary/english-french/instance_00000",
    ]
    for episode, folder in zip(episodes, written):
        asked = {f"player_{m.seat + 1}.requests.json" for m in episode.state.moves if m.attempts}
        assert {p.name for p in folder.iterdir()} == asked | {
            "instance.json", "interactions.json", "scores.json", "completed.json"}
        assert read(folder.parent / "experiment.json")["name"] == episode.experiment
        assert read(folder / "instance.json") == episode.instance

        interactions = read(folder / "interactions.json")
        assert interactions["meta"]["game_id"] == episode.instance["game_id"]
        assert interactions["players"]["GM"]["game_role"] == "Game Master"
        assert [interactions["players"][f"Player {n}"]["model_name"] for n in (1, 2)] == list(
            episode.models
        )
        moves = episode.state.moves
        rounds = sorted({m.round for m in moves})
        assert len(interactions["turns"]) == len(rounds)
        for seat in (0, 1):
            player = f"Player {seat + 1}"
            answers = [
                event["action"]["content"]
                for turn in interactions["turns"]
                for event in turn
                if event["from"] == player
            ]
            attempts = [a for m in moves if m.seat == seat for a in m.attempts]
            assert answers == [a.raw_output for a in attempts]
            for event in (e for turn in interactions["turns"] for e in turn):
                assert set(event) == {"from", "to", "timestamp", "action"}
            if attempts:
                calls = read(folder / f"player_{seat + 1}.requests.json")["calls"]
                assert [c["call"]["raw_response_obj"]["response"] for c in calls] == answers
        broken = [a for m in moves for a in m.attempts if a.violation]
        notes = [e for turn in interactions["turns"] for e in turn
                 if e["action"]["type"] == "parse error"]
        assert len(notes) == len(broken)

        scores = read(folder / "scores.json")
        assert set(scores["round scores"]) == {str(i) for i in range(len(rounds))}
        assert METRICS <= set(scores["episode scores"])
        main = scores["episode scores"]["Main Score"]
        if episode.outcome.result is Result.ABORTED:
            assert scores["episode scores"]["Aborted"] == 1 and math.isnan(main)
        else:
            assert main == episode.game.scores(episode.state).main


def test_requests_hold_the_prompt_each_player_was_sent(tmp_path: Path) -> None:
    """The rebuilt prompts are the very messages the players' models were given, re-prompts
    with the game master's feedback included."""
    sent: tuple[list[GenerationRequest], list[GenerationRequest]] = ([], [])

    def recording(seat: int) -> Responder:
        def respond(request: GenerationRequest) -> str:
            sent[seat].append(request)
            # The first player's first answer breaks a move rule, so it is asked again.
            return "" if seat == 0 and len(sent[0]) == 1 else phrasebook_player(request)

        return respond

    episode = play("english-french", 1, responders=(recording(0), recording(1)),
                   reprompt="feedback", rounds=3)
    (folder,) = write_records([episode], tmp_path)
    for seat in (0, 1):
        calls = read(folder / f"player_{seat + 1}.requests.json")["calls"]
        given = [c["call"]["manipulated_prompt_obj"]["messages"] for c in calls]
        assert given == [
            [{"role": m.role, "content": m.content} for m in request.messages]
            for request in sent[seat]
        ]
    assert len(read(folder / "player_1.requests.json")["calls"][1]["call"][
        "manipulated_prompt_obj"]["messages"]) == 4


def test_model_pair_folders_are_named_as_clem_run_names_them() -> None:
    """From who the game recorded as playing each seat, never from the model a setting named."""
    state = DICTIONARY.new_state(DICTIONARY.settings_for(INSTANCES["english-spanish"][0], {}))

    def pair(game: Game[Any], players: tuple[SeatPlayer, SeatPlayer]) -> str:
        return PlayedEpisode(game, "e", {"game_id": 0}, state, histories(*players)).pair

    assert pair(DICTIONARY, (SCRIPTED, SCRIPTED)) == "scripted"
    assert pair(DICTIONARY, (gguf("a.Q4_K_M.gguf"), gguf("b.gguf"))) == "a.Q4_K_M--b"
    assert pair(DICTIONARY, (gguf("same.gguf"), gguf("same.gguf"))) == "same"
    # Models a server played, by the server's name: a file's path, or a hub name.
    assert pair(DICTIONARY, (SeatPlayer(kind="server", model="/m/a.gguf"), gguf("a.gguf"))) == "a"
    assert pair(DICTIONARY, (SeatPlayer(kind="server", model="Qwen/Qwen2.5-7B-Instruct"), SCRIPTED)) == (
        "Qwen2.5-7B-Instruct--scripted")
    assert pair(DICTIONARY, (SeatPlayer(kind="unknown", configured="a.gguf"), gguf("a.gguf"))) == (
        "unknown--a")
    one_player = dataclasses.replace(DICTIONARY, seats=("model", "programmatic"))
    assert pair(one_player, (gguf("a.gguf"), gguf("b.gguf"))) == "a"


def test_a_programmatic_player_is_recorded_but_makes_no_model_requests(tmp_path: Path) -> None:
    def answer(state: Any, seat: int, ask: Any) -> str:
        return '{"updates": []}' if ask.json_schema else "Hola amigo"

    one_player = dataclasses.replace(
        DICTIONARY, name="dictionary-solo", seats=("model", "programmatic"), programmatic=answer
    )
    episode = play("english-spanish", 2, game=one_player, opening="Hello friend")
    (folder,) = write_records([episode], tmp_path)
    assert folder.relative_to(tmp_path).parts[:2] == ("scripted", "dictionary-solo")
    interactions = read(folder / "interactions.json")
    assert interactions["players"]["Player 2"]["model_name"] == "programmatic"
    first = interactions["turns"][0][0]
    assert (first["from"], first["action"]) == (
        "GM", {"type": "fixed message", "content": "Hello friend"})
    calls = read(folder / "player_2.requests.json")["calls"]
    assert {c["call"]["raw_response_obj"]["clem_player"]["response"] for c in calls} == {
        '{"updates": []}', "Hola amigo"}
    asked = [a for m in episode.state.moves if m.seat == 0 for a in m.attempts]
    assert read(folder / "scores.json")["episode scores"]["Request Count"] == len(asked)


def test_unfinished_episodes_are_neither_recorded_nor_counted(tmp_path: Path) -> None:
    state = DICTIONARY.new_state(DICTIONARY.settings_for(INSTANCES["english-spanish"][0], {}))
    backend = ScriptedBackend()
    GameMaster(state, (backend.session(Path("a")), backend.session(Path("b")))).play_next_move()
    unfinished = PlayedEpisode(DICTIONARY, "english-spanish", {"game_id": 0}, state,
                               histories(SCRIPTED, SCRIPTED))
    assert write_records([unfinished], tmp_path) == [] and evaluate([unfinished]) == []
    assert not any(tmp_path.iterdir())


def test_two_episodes_of_one_folder_are_refused(
    episodes: list[PlayedEpisode], tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="same instance played twice"):
        write_records([episodes[0], dataclasses.replace(episodes[0])], tmp_path)
    assert not any(tmp_path.iterdir())


def rows_by(rows: list[Row]) -> dict[tuple[str, str], Row]:
    return {(row.model, row.game): row for row in rows}


def test_evaluation_counts_aborted_episodes_as_not_played(episodes: list[PlayedEpisode]) -> None:
    rows = rows_by(evaluate(episodes))
    smol = rows["scripted", "dictionary"]
    mains = [e.game.scores(e.state).main for e in episodes[:3]]
    assert (smol.episodes, smol.played) == (4, 75.0)
    assert smol.quality == pytest.approx(sum(mains) / 3, abs=0.005)
    assert smol.clemscore == pytest.approx(0.75 * smol.quality, abs=0.005)
    agreements = [e.game.scores(e.state).episode["Agreement"] for e in episodes[:3]]
    assert smol.figures["Agreement"] == pytest.approx(sum(agreements) / 3, abs=1e-4)

    everything = rows["scripted", "all"]
    echo = rows["scripted", "dictionary-echo"]
    assert everything.played == (75.0 + 100.0) / 2
    assert everything.quality == pytest.approx((smol.quality + echo.quality) / 2, abs=0.005)

    gamma = rows["gamma", "dictionary"]
    assert gamma.played == 0.0 and math.isnan(gamma.quality) and math.isnan(gamma.clemscore)
    # A game nobody played to its end does not pull the mean quality down.
    assert rows["gamma", "all"].quality == rows["gamma", "dictionary-echo"].quality
    assert ("alpha--beta", "all") not in rows


def test_rows_print_as_a_table_and_as_csv(episodes: list[PlayedEpisode]) -> None:
    rows = evaluate(episodes)
    lines = table_text(rows).splitlines()
    assert len(lines) == 2 + len(rows)
    assert lines[0].split()[:4] == ["game", "model", "episodes", "%"]
    parsed = list(csv.DictReader(csv_text(rows).splitlines()))
    assert [(r["game"], r["model"]) for r in parsed] == [(row.game, row.model) for row in rows]
    for line, row in zip(parsed, rows):
        for column, value in (("% played", row.played), ("clemscore", row.clemscore)):
            assert line[column] == ("" if math.isnan(value) else repr(value))


# -- clemcore's own `clem eval` ----------------------------------------------------------------

CLEMCORE = f"clemcore=={CLEM_VERSION}"


def python_for_clemcore() -> str | None:
    """clemcore 3.7 installs on Python 3.10 to 3.12."""
    if (3, 10) <= sys.version_info[:2] <= (3, 12):
        return sys.executable
    for name in ("python3.12", "python3.11", "python3.10"):
        if found := shutil.which(name):
            return found
    return None


def pypi_reachable() -> bool:
    try:
        socket.create_connection(("pypi.org", 443), timeout=5).close()
        return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def clem(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """clemcore's `clem` command in a virtualenv of its own, built once and kept in pytest's
    cache folder (.pytest_cache, ignored by git) for later runs."""
    python = python_for_clemcore()
    if python is None:
        pytest.skip("clemcore 3.7 needs Python 3.10 to 3.12, and none was found")
    cache = getattr(request.config, "cache", None)
    venv = (cache.mkdir(f"clemcore-{CLEM_VERSION}-venv") if cache
            else tmp_path_factory.mktemp("clemcore-venv"))
    command, ready = venv / "bin" / "clem", venv / "installed"
    if ready.is_file() and command.is_file():
        return command
    subprocess.run([python, "-m", "venv", "--clear", str(venv)], check=True)
    installed = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", CLEMCORE],
        capture_output=True, text=True, timeout=900,
    )
    if installed.returncode != 0:
        why = installed.stderr.strip().splitlines()[-1:] or ["no output"]
        if not pypi_reachable():
            pytest.skip(f"{CLEMCORE} cannot be installed, PyPI is out of reach: {why[0]}")
        pytest.fail(f"pip could not install {CLEMCORE}:\n{installed.stderr[-3000:]}")
    ready.write_text(CLEMCORE)
    return command


def number(cell: str) -> float:
    return float(cell) if cell else math.nan


def same(ours: float, theirs: float) -> bool:
    return (math.isnan(ours) and math.isnan(theirs)) or ours == theirs


@pytest.mark.slow
def test_clem_eval_reads_our_records_and_finds_the_same_figures(
    clem: Path, episodes: list[PlayedEpisode], tmp_path: Path
) -> None:
    results = tmp_path / "results"
    write_records(episodes, results)
    done = subprocess.run([str(clem), "eval", "-r", str(results)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    with (results / "results.csv").open(encoding="utf-8") as table:
        theirs = {line[""]: line for line in csv.DictReader(table)}
    rows = rows_by(evaluate(episodes))
    assert set(theirs) == {model for model, _ in rows}
    for (model, game), row in rows.items():
        line = theirs[model]
        if game == "all" or (model, "all") not in rows:
            assert same(row.clemscore, number(line["-, clemscore"])), (model, game)
        if game == "all":
            assert same(row.played, number(line["all, Average % Played"]))
            assert same(row.quality, number(line["all, Average Quality Score"]))
        else:
            assert same(row.played, number(line[f"{game}, % Played"])), (model, game)
            assert same(row.quality, number(line[f"{game}, Quality Score"])), (model, game)


# The real embedded model in a short run of each game: the first two instances of an
# experiment (Dictionary Discovery one round long), as `dictgame run` plays them.
REAL_RUNS = {
    "dictionary": ("english-spanish", ["--rounds", "1"]),
    "hellogame": ("en", []),
    "firstlast": ("weather", []),
    "dealnodeal": ("self", []),
}


def dictgame(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(Path(sys.executable).parent / "dictgame"), *args], cwd=cwd,
                          capture_output=True, text=True, timeout=1800)


@pytest.mark.slow
@pytest.mark.real_model
def test_clem_eval_of_all_four_games_played_by_the_real_model_matches_dictgame_eval(
    clem: Path, tmp_path: Path
) -> None:
    """Records of every game, played by the embedded model on llama.cpp (not scripted players),
    read by clemcore's own `clem eval`: every figure it prints is the one `dictgame eval` prints."""
    db, results = str(tmp_path / "games.db"), tmp_path / "results"
    for run_id, (game, (experiment, flags)) in enumerate(REAL_RUNS.items(), start=1):
        made = dictgame("instances", game, "--out", str(tmp_path / f"{game}.json"), cwd=tmp_path)
        assert made.returncode == 0, made.stderr
        document = json.loads((tmp_path / f"{game}.json").read_text("utf-8"))
        (chosen,) = [e for e in document["experiments"] if e["name"] == experiment]
        chosen["game_instances"] = chosen["game_instances"][:2]
        document["experiments"] = [chosen]
        (tmp_path / f"{game}.json").write_text(json.dumps(document), "utf-8")
        played = dictgame("run", "--game", game, "--instances", str(tmp_path / f"{game}.json"),
                          *flags, "--db", db, cwd=tmp_path)
        assert played.returncode == 0, played.stderr
        recorded = dictgame("records", str(run_id), "--out", str(results), "--db", db, cwd=tmp_path)
        assert recorded.returncode == 0, recorded.stderr
    ours = tmp_path / "ours.csv"
    evaluated = dictgame("eval", "1", "2", "3", "4", "--csv", str(ours), "--db", db, cwd=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr
    rows = {(r["model"], r["game"]): r for r in csv.DictReader(ours.read_text("utf-8").splitlines())}
    assert {game for _, game in rows} == {*REAL_RUNS, "all"}
    assert {model for model, _ in rows} == {"SmolLM2-135M-Instruct.Q4_1"}, "not the embedded model"

    done = subprocess.run([str(clem), "eval", "-r", str(results)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    with (results / "results.csv").open(encoding="utf-8") as table:
        theirs = {line[""]: line for line in csv.DictReader(table)}
    assert set(theirs) == {model for model, _ in rows}
    compared = 0
    for (model, game), row in rows.items():
        line = theirs[model]
        pairs = ([("% played", "all, Average % Played"), ("quality score", "all, Average Quality Score"),
                  ("clemscore", "-, clemscore")] if game == "all" else
                 [("% played", f"{game}, % Played"), ("quality score", f"{game}, Quality Score")])
        for ours_column, their_column in pairs:
            assert same(number(row[ours_column]), number(line[their_column])), (model, game, ours_column)
            compared += 1
    print(f"{compared} figures of {len(rows)} rows the same in clem eval and dictgame eval:")
    print(evaluated.stdout)

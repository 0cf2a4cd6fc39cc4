"""Deal or No Deal: its rules as plain functions, its instance generator under the game's
constraints, whole scripted games (deal, no deal, abort, message cap), a restore from the
store, and one game on the embedded model."""

from __future__ import annotations

import json
import math
import random
from pathlib import Path

import pytest
from pydantic import ValidationError

from dictgame.engine.backend import GenerationRequest
from dictgame.engine.core.episode import GameMaster, NoSaver, play
from dictgame.engine.core.game import Result
from dictgame.engine.core.scores import episode_scores
from dictgame.engine.games import get_game
from dictgame.engine.games.dealnodeal import DEALNODEAL
from dictgame.engine.games.dealnodeal.instances import draw_instance, experiments, play_instance
from dictgame.engine.games.dealnodeal.items import (
    adds_up,
    best_joint,
    complement,
    instance_problem,
    pareto_optimal,
    points,
)
from dictgame.engine.games.dealnodeal.rules import Reply, parse_reply, parse_take, take_schema
from dictgame.engine.games.dealnodeal.scores import objective_scores
from dictgame.engine.games.dealnodeal.scripted import negotiator
from dictgame.engine.games.dealnodeal.settings import DealSettings
from dictgame.engine.games.dealnodeal.state import DealState
from dictgame.engine.scripted import Responder, ScriptedBackend, replies_in_order
from dictgame.saves import GameStore

# 1 book, 2 hats, 3 balls; A: book 2, hat 1, ball 2; B: book 4, hat 0, ball 2.
SETTINGS = {"counts": (1, 2, 3), "values": ((2, 1, 2), (4, 0, 2)), "first": 0}


def new_master(first: Responder, second: Responder | None = None, **settings: object) -> GameMaster:
    state = DEALNODEAL.new_state(DealSettings.model_validate({**SETTINGS, **settings}))
    sessions = (
        ScriptedBackend(first).session(Path("a")),
        ScriptedBackend(second or first).session(Path("b")),
    )
    return GameMaster(state, sessions, DEALNODEAL)


# -- the rules ---------------------------------------------------------------------------


def test_a_reply_is_a_message_or_the_wish_to_propose() -> None:
    assert parse_reply("[message] Hello there.", True) == (Reply("message", "Hello there."), None)
    assert parse_reply("  [MESSAGE]  two\n lines ", True) == (Reply("message", "two lines"), None)
    assert parse_reply("[propose] (1 books, 0 hats, 0 balls)", True) == (Reply("propose"), None)
    # A model going on with its partner's turn, or ending with the original's end mark.
    assert parse_reply("[message] Deal? [END] more", True)[0] == Reply("message", "Deal?")
    assert parse_reply("[message] Fine. [message] Player B: ok", True)[0] == Reply("message", "Fine.")
    assert parse_reply("Hello", True) == (None, "a reply must start with [message] or [propose]")
    assert parse_reply("[message]   ", True)[1] == "the message after [message] is empty"
    assert parse_reply("[propose]", False) == (None, "discuss how to divide the items before you propose")


def test_a_proposal_is_read_from_json_or_from_a_persons_words() -> None:
    counts = (1, 2, 3)
    assert parse_take('{"books": 1, "hats": 0, "balls": 2}', counts) == ((1, 0, 2), None)
    assert parse_take("(0 books, 2 hats, 3 balls)", counts) == ((0, 2, 3), None)
    assert parse_take("1 1 1", counts) == ((1, 1, 1), None)
    assert parse_take('{"books": 2, "hats": 0, "balls": 0}', counts) == (None, "you can take 0 to 1 book, not 2")
    assert parse_take("-1 0 0", counts)[1] == "you can take 0 to 1 book, not -1"
    assert parse_take("all of them", counts)[1] == "a proposal needs three counts: books, hats and balls"
    assert parse_take('{"books": 1.5, "hats": 0, "balls": 0}', counts)[1] is not None


def test_the_proposal_schema_allows_exactly_the_counts_there_are() -> None:
    schema = take_schema((1, 2, 3))
    assert [schema["properties"][item]["enum"] for item in ("books", "hats", "balls")] == [
        [0, 1], [0, 1, 2], [0, 1, 2, 3]
    ]
    assert schema["required"] == ["books", "hats", "balls"]


def test_points_deals_and_objectives() -> None:
    assert points((2, 1, 2), (1, 2, 0)) == 4
    assert complement((1, 2, 3), (1, 2, 0)) == (0, 0, 3)
    assert adds_up((1, 2, 3), (1, 2, 0), (0, 0, 3))
    assert not adds_up((1, 2, 3), (1, 2, 0), (0, 0, 2))
    assert objective_scores("self", (6, 4)) == (6, 4)
    assert objective_scores("coop", (6, 4)) == (10, 10)
    assert objective_scores("comp", (6, 4)) == (2, -2)


def test_pareto_optimal_deals_on_hand_made_cases() -> None:
    counts = (1, 2, 3)
    # A: book 2, hat 1, ball 2; B: book 4, hat 0, ball 2. Hats are worth nothing to B.
    values = ((2, 1, 2), (4, 0, 2))
    # A takes the hats and the balls, B the book: A 8, B 4. Anything better for one costs the other.
    assert pareto_optimal(counts, values, (0, 2, 3))
    # A takes everything but the hats: giving A the hats too is better for A and no worse for B.
    assert not pareto_optimal(counts, values, (1, 0, 3))
    # A takes the book (2 to A, 4 to B): swapping the book for a ball is better for both.
    assert not pareto_optimal(counts, values, (1, 2, 2))
    # Everything to one player is Pareto-optimal when that player values every item.
    assert pareto_optimal(counts, values, (1, 2, 3))
    # Identical values: every division is Pareto-optimal (the players' points sum to 20).
    same = ((2, 1, 2), (2, 1, 2))
    assert all(pareto_optimal(counts, same, take) for take in [(0, 0, 0), (1, 1, 1), (0, 2, 3)])
    assert best_joint(counts, values) == 4 + 2 + 6  # the book to B, hats to A, balls to either
    assert best_joint(counts, same) == 10 + 10 - 10  # whatever the division, 10 in all


# -- instances -----------------------------------------------------------------------------


def test_instances_keep_the_games_constraints_for_ten_thousand_seeds() -> None:
    for seed in range(10_000):
        instance = draw_instance(random.Random(seed))
        counts, values = tuple(instance["counts"]), tuple(tuple(v) for v in instance["values"])
        assert all(1 <= n <= 4 for n in counts) and 5 <= sum(counts) <= 7, seed
        for own in values:
            assert all(0 <= v <= 10 for v in own), seed
            assert sum(v * n for v, n in zip(own, counts)) == 10, seed
        assert all(values[0][i] or values[1][i] for i in range(3)), seed
        assert instance["first"] in (0, 1)
        assert instance_problem(counts, values) is None  # type: ignore[arg-type]


def test_instances_come_from_the_seed_alone_and_leave_global_random_alone() -> None:
    random.seed(7)
    before = random.random()
    random.seed(7)
    first = experiments(11)
    assert random.random() == before
    assert experiments(11) == first and experiments(12) != first
    assert [e.name for e in first] == ["self", "coop", "comp"]
    # The same games under each objective.
    strip = [[{k: v for k, v in i.items() if k != "objective"} for i in e.instances] for e in first]
    assert strip[0] == strip[1] == strip[2]
    assert {i["objective"] for i in first[1].instances} == {"coop"}
    assert play_instance(5) == play_instance(5) and "objective" not in play_instance(5)


def test_settings_refuse_an_instance_that_breaks_the_constraints() -> None:
    with pytest.raises(ValidationError, match="worth 10 to player 2"):
        DealSettings(counts=(1, 2, 3), values=((2, 1, 2), (4, 1, 2)))
    with pytest.raises(ValidationError, match="worth nothing to both"):
        DealSettings(counts=(2, 2, 2), values=((5, 0, 0), (0, 0, 5)))
    with pytest.raises(ValidationError, match="5 to 7 items"):
        DealSettings(counts=(4, 4, 2), values=((1, 1, 1), (1, 1, 1)))
    with pytest.raises(ValidationError):
        DealSettings(objective="greedy")  # type: ignore[arg-type]


def test_settings_for_an_instance_take_its_items_and_the_callers_models() -> None:
    instance = experiments(3)[1].instances[0]
    settings = get_game("dealnodeal").settings_for(
        instance, {"models": ("a.gguf", None), "names": ("Ann", None), "max_messages": 10}
    )
    assert settings.counts == tuple(instance["counts"]) and settings.objective == "coop"
    assert settings.players[0].name == "Ann" and settings.players[0].model == "a.gguf"
    assert settings.players[1].name == "Player B" and settings.max_messages == 10


# -- whole games -----------------------------------------------------------------------------


def test_two_negotiators_make_a_deal_with_hidden_proposals_and_private_values() -> None:
    asked: list[GenerationRequest] = []

    def listening(request: GenerationRequest) -> str:
        asked.append(request)
        return negotiator(request)

    master = new_master(listening, objective="coop")
    play(master, NoSaver())
    state = master.state
    assert master.outcome.result is Result.SUCCESS
    assert [(m.seat, m.kind) for m in state.moves] == [
        (0, "message"), (1, "message"), (0, "propose"), (0, "take"), (1, "take")
    ]
    first_take = state.moves[3].take
    assert state.proposals == {0: first_take, 1: complement((1, 2, 3), first_take)}
    # Each player is told only its own values.
    for request in asked:
        system = request.messages[0].content
        own = "a book is worth 2, a hat is worth 1" if "You are Player A" in system else "a book is worth 4, a hat is worth 0"
        assert own in system
    # B's proposal was asked without A's being shown, and under the schema.
    last = asked[-1]
    assert last.json_schema is not None
    assert "Player A has made a private proposal" in last.messages[-1].content
    assert all(json.dumps(dict(zip(("books", "hats", "balls"), first_take))) not in m.content
               for m in last.messages)
    scores = episode_scores(DEALNODEAL, state)
    a, b = state.points
    assert (scores["Points A"], scores["Points B"], scores["Score A"]) == (a, b, a + b)
    assert scores["Main Score"] == round(100 * (a + b) / 12, 2) and scores["Success"] == 1


def test_proposals_that_do_not_add_up_score_nothing() -> None:
    replies = ["[message] I want it all.", "[message] So do I.", "[propose]",
               '{"books": 1, "hats": 2, "balls": 3}', '{"books": 1, "hats": 0, "balls": 0}']
    master = new_master(replies_in_order(replies))
    play(master, NoSaver())
    assert master.outcome.result is Result.LOSE
    assert "do not add up" in master.outcome.reason
    assert master.state.points == (0, 0)
    scores = episode_scores(DEALNODEAL, master.state)
    assert (scores["Deal"], scores["Score A"], scores["Main Score"]) == (0, 0, 0)


def test_a_message_after_the_partner_proposed_is_not_asked_the_proposal_is() -> None:
    replies = ["[message] Books for me.", "[propose]", '{"books": 0, "hats": 2, "balls": 3}',
               '{"books": 1, "hats": 0, "balls": 0}']
    master = new_master(replies_in_order(replies))
    play(master, NoSaver())
    assert [(m.seat, m.kind) for m in master.state.moves] == [
        (0, "message"), (1, "propose"), (1, "take"), (0, "take")
    ]
    assert master.outcome.result is Result.SUCCESS and master.state.points == (2, 6)


def test_five_invalid_replies_in_a_row_abort_the_game() -> None:
    replies = ["[propose]", "[message] Hi.", "hello", "I want books", "...", "ok",
               "Player B: [message] fine"]
    master = new_master(replies_in_order(replies))
    play(master, NoSaver())
    state = master.state
    # Proposing before any message is asked again, with the rule named.
    opening = state.moves[0]
    assert [a.violation for a in opening.attempts] == [
        "discuss how to divide the items before you propose", None
    ]
    assert opening.attempts[1].instruction.startswith("That reply broke a rule: discuss how")
    assert master.outcome.result is Result.ABORTED
    assert master.outcome.reason == "Player B gave 5 invalid replies in a row"
    last = state.moves[-1]
    assert last.kind == "invalid" and len(last.attempts) == 5
    assert {a.violation for a in last.attempts} == {"a reply must start with [message] or [propose]"}
    scores = episode_scores(DEALNODEAL, state)
    assert scores["Aborted"] == 1 and math.isnan(scores["Main Score"])
    assert scores["Violated Request Count"] == 6


def test_the_message_cap_ends_the_game_without_a_deal() -> None:
    master = new_master(lambda request: "[message] Let us keep talking.", max_messages=4)
    play(master, NoSaver())
    assert master.state.moves_played == 4
    assert master.outcome.result is Result.LOSE
    assert master.outcome.reason == "no deal after 4 messages"


def test_a_game_stored_midway_resumes_as_if_never_stopped(tmp_path: Path) -> None:
    backend = ScriptedBackend(negotiator)
    with GameStore.open(tmp_path / "games.db") as store:
        settings = DealSettings.model_validate({**SETTINGS, "objective": "comp"})
        game_id = store.create_game(settings, DEALNODEAL)
        first = GameMaster(DEALNODEAL.new_state(settings), (backend.session(Path("a")),) * 2, DEALNODEAL)
        play(first, store.saver(game_id), moves=3)
        restored = store.load_game(game_id)
        assert isinstance(restored, DealState) and restored.proposing == 0
        second = GameMaster(restored, (backend.session(Path("a")),) * 2, DEALNODEAL)
        play(second, store.saver(game_id))
        assert store.list_games()[0].status == "finished"
    whole = GameMaster(DEALNODEAL.new_state(settings), (backend.session(Path("a")),) * 2, DEALNODEAL)
    play(whole, NoSaver())
    assert [m.message for m in restored.moves] == [m.message for m in whole.state.moves]
    a, b = restored.points
    assert DEALNODEAL.scores(restored).episode["Score A"] == a - b


@pytest.mark.real_model
def test_a_game_on_the_embedded_model_keeps_the_format_under_guided_replies() -> None:
    """SmolLM2-135M never starts a free reply with [message]; guided, every reply and every
    proposal parses at the first try, so the game ends by the rules, never by an abort."""
    from dictgame.engine.players.llama import LlamaBackend
    from dictgame.models import embedded_model_path

    backend = LlamaBackend(n_ctx=2048, n_threads=1)
    try:
        path = embedded_model_path()
        settings = DealSettings.model_validate({**SETTINGS, "max_messages": 6, "seed": 3, "guided": True})
        state = DEALNODEAL.new_state(settings)
        master = GameMaster(state, (backend.session(path), backend.session(path)), DEALNODEAL)
        play(master, NoSaver())
    finally:
        backend.close()
    assert master.outcome.result in (Result.SUCCESS, Result.LOSE), master.outcome
    assert [m.move_index for m in state.moves] == list(range(state.moves_played))
    for move in state.moves:
        (attempt,) = move.attempts
        assert attempt.model and attempt.completion_tokens > 0 and attempt.violation is None
        assert move.message.startswith(("[message] ", "[propose]"))
    scores = episode_scores(DEALNODEAL, state)
    assert scores["Request Count"] == state.moves_played == scores["Parsed Request Count"]


def test_guided_replies_are_asked_under_a_schema_and_read_back_as_text() -> None:
    asked: list[GenerationRequest] = []

    def listening(request: GenerationRequest) -> str:
        asked.append(request)
        return negotiator(request)

    master = new_master(listening, guided=True)
    play(master, NoSaver())
    assert master.outcome.result is Result.SUCCESS
    replies = [r for r in asked if r.json_schema and r.json_schema["type"] == "string"]
    # The first speaker may not propose yet: its schema allows only a message.
    assert "propose" not in replies[0].json_schema["pattern"]  # type: ignore[index]
    assert "propose" in replies[1].json_schema["pattern"]  # type: ignore[index]
    assert master.state.moves[0].attempts[0].raw_output.startswith('"[message] I take')
    assert master.state.moves[0].message.startswith("[message] I take")
    assert parse_reply('"[message] cut sho', True) == (Reply("message", "cut sho"), None)


async def test_the_panel_shows_items_values_and_proposals_only_once_both_are_in() -> None:
    from textual.app import App, ComposeResult

    from dictgame.tui.games.dealnodeal.panel import Panel

    master = new_master(negotiator, objective="coop")

    class Host(App[None]):
        def compose(self) -> ComposeResult:
            yield Panel(master.state, id="game-panel")

    app = Host()
    async with app.run_test():
        panel = app.query_one("#game-panel", Panel)
        shown = lambda: str(panel.content)  # noqa: E731
        assert "books" in shown() and "none yet" in shown()
        assert shown().splitlines()[3].split() == ["books", "1", "2", "4"]
        play(master, NoSaver(), moves=4)
        panel.show(master.state)
        assert "Player A proposed (hidden)" in shown() and "takes" not in shown()
        play(master, NoSaver())
        panel.show(master.state)
        a, b = master.state.points
        assert "Player A takes 1 book, " in shown() and f"scores {a + b} / {a + b}" in shown()
        assert "success" in shown()
        # With a person in seat B, the partner's values are private.
        person = master.state.settings.players[1].model_copy(update={"human": True})
        settings = master.state.settings.model_copy(
            update={"players": (master.state.settings.players[0], person)}
        )
        # A game's panel is made for its seats: a new one for this game.
        private = Panel(DEALNODEAL.new_state(settings), id="person-panel")
        await app.mount(private)
        private.show(private.state)
        assert str(private.content).splitlines()[3].split() == ["books", "1", "?", "4"]


async def test_a_game_chosen_in_the_new_game_form_is_played_with_its_panel(tmp_path: Path) -> None:
    import test_tui_games as tui_games
    from test_tui_support import wait_until
    from textual.widgets import Select

    from dictgame.tui.games.dealnodeal.panel import Panel
    from dictgame.tui.screens.app import DictgameApp
    from dictgame.tui.screens.game_screen import GameScreen, Mode
    from dictgame.tui.screens.new_game_screen import NewGameScreen
    from dictgame.tui.services.config import DictgameConfig

    config = DictgameConfig(db=tmp_path / "games.db", backend="scripted", seed=7)
    app = DictgameApp(config)
    async with app.run_test(size=tui_games.SIZE) as pilot:
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, NewGameScreen))
        # Picked by value: the key-by-key pick of test_tui_games loses a key on a loaded machine.
        app.screen.query_one("#game", Select).value = "dealnodeal"
        await wait_until(pilot, lambda: app.screen.query_one("#instance-settings").display)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, GameScreen))
        screen = app.screen
        assert isinstance(screen, GameScreen)
        await wait_until(pilot, lambda: screen.mode is Mode.FINISHED)
        panel = str(screen.query_one("#game-panel", Panel).content)
        assert "success" in panel and "takes" in panel
        assert screen.state.settings.objective == "self"  # the form's first experiment

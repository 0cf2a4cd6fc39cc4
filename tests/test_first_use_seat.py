"""A person's seat as a new user met it (issue 23): the first turn and the update step say
what to do in words a person reads, the status line tells of a refused answer, Deal or No
Deal shows every value once it is over, and the end's notice leaves the status line in view."""

from __future__ import annotations

from pathlib import Path

import test_tui_support as support
from test_tui_person import deal_config, say, text_of, turn_of_person
from test_tui_support import wait_until
from textual.widgets._toast import Toast

from dictgame.tui.screens.app import DictgameApp
from dictgame.tui.screens.game_screen import GameScreen, Mode
from dictgame.tui.services.config import DictgameConfig

config = support.config
SIZE = (120, 40)


async def test_the_first_turn_and_the_update_step_ask_a_person_in_words(
    config: DictgameConfig,
) -> None:
    person = config.model_copy(update={"seat_a": "human", "seed": 1})
    # Without a topic a model is cued with "..." alone (with one it is asked in words).
    settings = person.game_settings(seed=1).model_copy(update={"topic": False})
    app = DictgameApp(person, new_game=settings)
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, GameScreen)
        await turn_of_person(pilot, screen, "opening")
        asked = text_of(screen, "#person-asked")
        assert "You speak first: write the opening message." in asked
        assert "\n...\n" not in asked
        await say(pilot, "hello friend")
        await turn_of_person(pilot, screen, "update")
        asked = text_of(screen, "#person-asked")
        assert "Update your dictionary with what you learned." in asked
        assert "Add each word you learned as an entry, then send them with Done." in asked
        question = asked.split("Your rules")[0]
        assert "JSON" not in question and '"op"' not in question


async def test_the_status_line_says_the_persons_answer_was_refused(config: DictgameConfig) -> None:
    hello = config.model_copy(update={"game": "hellogame", "seat_a": "human"})
    app = DictgameApp(hello, new_game=hello.game_settings(seed=3))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, GameScreen)
        await wait_until(pilot, lambda: screen.person_turn.waiting)
        assert "your turn" in text_of(screen, "#status-line")
        await say(pilot, "Hi there")
        await wait_until(pilot, lambda: "refused" in text_of(screen, "#status-line"))
        status = text_of(screen, "#status-line")
        assert "your answer was refused (the answer does not start with GREET:)" in status


async def test_deal_shows_the_partners_values_once_the_game_is_over(config: DictgameConfig) -> None:
    deal = deal_config(config, seat_b="human")
    app = DictgameApp(deal, new_game=deal.game_settings(seed=5))
    async with app.run_test(size=SIZE) as pilot:
        screen = app.screen
        assert isinstance(screen, GameScreen)
        await turn_of_person(pilot, screen, "reply")
        assert text_of(screen, "#game-panel").count("?") == 3  # private while playing
        await say(pilot, "Agreed.")
        await turn_of_person(pilot, screen, "take")
        await pilot.press("1", "tab", "2", "tab", "0", "enter")
        await wait_until(pilot, lambda: screen.mode is Mode.FINISHED)
        panel = text_of(screen, "#game-panel")
        assert "?" not in panel
        values = screen.state.settings.values  # type: ignore[attr-defined]
        books = next(line for line in panel.splitlines() if line.startswith("books"))
        assert books.split()[2:] == [str(values[0][0]), str(values[1][0])]


async def test_the_end_notice_leaves_the_status_line_in_view(config: DictgameConfig) -> None:
    for size in ((120, 40), (80, 24)):
        app = DictgameApp(config, new_game=config.game_settings(seed=7))
        async with app.run_test(size=size, notifications=True) as pilot:
            screen = app.screen
            assert isinstance(screen, GameScreen)
            await wait_until(pilot, lambda: screen.mode is Mode.FINISHED)
            await wait_until(pilot, lambda: bool(screen.query(Toast)))
            await pilot.pause(0.3)
            status = screen.query_one("#status-line").region
            for toast in screen.query(Toast):
                assert not toast.region.overlaps(status), (size, toast.region, status)


def test_headless_the_person_who_speaks_first_is_told_so(tmp_path: Path) -> None:
    from test_person_seat import play

    played = play("play", "--headless", "--seat-a", "human", "--rounds", "1", "--seed", "1",
                  "--no-topic", answers=["hello friend", '{"updates": []}'], db=tmp_path / "g.db")
    assert played.returncode == 0, played.stderr
    first = played.stdout.split("your turn ==")[1]
    assert first.lstrip().startswith("You speak first: write the opening message.")
    assert "\n...\n" not in played.stdout

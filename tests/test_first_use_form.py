"""The new-game form as a new user met it (issue 23), driven with the keys and the mouse: the
config the person wrote wins over what the form remembers, Enter moves on without starting a
game, an empty seed is random, and a seat the game plays itself asks for no name."""

from __future__ import annotations

from typing import Any

import test_tui_support as support
from test_tui_games import choose_game
from test_tui_support import wait_until
from textual.widgets import Input, Select, Static

from dictgame.engine.games import get_game
from dictgame.engine.games.dictionary.settings import GameSettings
from dictgame.engine.scripted import ScriptedBackend
from dictgame.saves import GameStore
from dictgame.tui.screens.app import DictgameApp
from dictgame.tui.screens.game_screen import GameScreen
from dictgame.tui.screens.new_game_screen import NewGameScreen
from dictgame.tui.services.config import DictgameConfig
from dictgame.tui.services.ui_state import remember_new_game

config = support.config
SIZE = (120, 40)


def remember_an_unguided_deal(config: DictgameConfig) -> None:
    """The form's memory of a Deal game started before the person set guided replies."""
    settings = config.game_settings(5, "dealnodeal")
    assert not settings.guided  # type: ignore[attr-defined]
    remember_new_game("dealnodeal", settings.model_dump(mode="json"))


def text(widget: Any) -> str:
    return str(widget.content)


async def open_form(pilot: Any, app: DictgameApp) -> NewGameScreen:
    await pilot.press("n")
    await wait_until(pilot, lambda: isinstance(app.screen, NewGameScreen))
    assert isinstance(app.screen, NewGameScreen)
    return app.screen


async def test_the_configs_guided_replies_win_over_the_forms_memory_and_the_form_says_so(
    config: DictgameConfig,
) -> None:
    remember_an_unguided_deal(config)
    guided = config.model_copy(update={"games": {**config.games, "dealnodeal": {"guided": True}}})
    app = DictgameApp(guided, backend=ScriptedBackend())
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, app)
        assert form.game.name == "dealnodeal"  # remembered
        note = form.query_one("#config-note", Static)
        assert note.display and text(note) == "Used from your config: guided = true"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, GameScreen))
        assert app.screen.state.settings.guided  # type: ignore[attr-defined]
    with GameStore.open(guided.db) as store:
        (game,) = store.list_games()
        assert store.load_game(game.id).settings.guided


async def test_the_configs_rounds_win_over_remembered_rounds(config: DictgameConfig) -> None:
    remembered = config.model_copy(update={"games": {"dictionary": {"rounds": 9}}})
    remember_new_game("dictionary", remembered.game_settings(1).model_dump(mode="json"))
    app = DictgameApp(config, backend=ScriptedBackend())  # its config: 3 rounds
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, app)
        assert form.query_one("#rounds", Input).value == "3"
        assert "rounds = 3" in text(form.query_one("#config-note", Static))


async def test_enter_in_a_text_field_moves_on_and_starts_no_game(config: DictgameConfig) -> None:
    app = DictgameApp(config, backend=ScriptedBackend())
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, app)
        for field in ("#name-a", "#rounds", "#seed", "#opening"):
            form.query_one(field, Input).focus()
            await pilot.press("enter")
            await pilot.pause(0.1)
            assert app.screen is form
            assert app.focused is not form.query_one(field, Input)
        assert app.store.list_games() == []
        await pilot.press("ctrl+s")  # the start key still starts
        await wait_until(pilot, lambda: isinstance(app.screen, GameScreen))


async def test_the_first_game_starts_with_each_players_memory_on(config: DictgameConfig) -> None:
    """The first game (invented words) is played with memory, which measurably helped there,
    and its update listing the heard words' entries, which cost less and learned as well
    (docs/quality.md); the form carries both into the game it starts."""
    app = DictgameApp(config, backend=ScriptedBackend())
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, app)
        assert form.query_one("#mode", Select).value == "invented"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, GameScreen))
        settings = app.screen.state.settings  # type: ignore[attr-defined]
        assert settings.mode == "invented" and settings.memory is not None
        assert settings.update_shows == "heard"


async def test_the_first_game_switched_to_scenes_leaves_the_invented_games_own_settings(
    config: DictgameConfig,
) -> None:
    """Memory and the heard-words listing are what a new invented game sets; switched to
    scenes in the form, the game is as `dictgame play --mode scenes` starts it."""
    settings = await started_after_switching(config, "invented", ("up",), "scenes")
    assert (settings.memory, settings.update_shows) == (None, "dictionary")


async def started_after_switching(
    config: DictgameConfig, before: str, keys: tuple[str, ...], after: str
) -> GameSettings:
    """The game the form starts once the person has moved its mode field from `before` to
    `after` with the arrow keys."""
    app = DictgameApp(config, backend=ScriptedBackend())
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, app)
        mode = form.query_one("#mode", Select)
        assert mode.value == before
        mode.focus()
        await pilot.press("enter", *keys, "enter")
        await wait_until(pilot, lambda: mode.value == after)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, GameScreen))
        settings = app.screen.state.settings  # type: ignore[attr-defined]
    assert isinstance(settings, GameSettings) and settings.mode == after
    return settings


async def test_a_free_game_remembered_and_switched_to_invented_words_starts_with_memory(
    config: DictgameConfig,
) -> None:
    """The form remembers a free game (memory off); chosen invented words there, the game has
    memory on and the heard words' listing, as `dictgame play --mode invented` starts it
    (game.new_game_values)."""
    remember_new_game("dictionary", config.game_settings(2).model_dump(mode="json"))
    settings = await started_after_switching(config, "free", ("down", "down"), "invented")
    assert settings.memory is not None and settings.update_shows == "heard"


async def test_an_empty_seed_gives_each_deal_from_the_form_its_own(config: DictgameConfig) -> None:
    unseeded = config.model_copy(update={"seed": None})
    seeds = []
    for _ in range(2):
        app = DictgameApp(unseeded, backend=ScriptedBackend())
        async with app.run_test(size=SIZE) as pilot:
            form = await open_form(pilot, app)
            if form.game.name != "dealnodeal":
                await choose_game(pilot, app, "Deal or No Deal")
            assert form.query_one("#seed", Input).value == ""
            await pilot.press("ctrl+s")
            await wait_until(pilot, lambda: isinstance(app.screen, GameScreen))
            seeds.append(app.screen.state.settings.seed)  # type: ignore[attr-defined]
    instance_seed = get_game("dealnodeal").experiments(0)[0].instances[0]["seed"]
    assert seeds[0] != seeds[1] and instance_seed not in seeds


async def test_a_typed_seed_is_the_games_seed(config: DictgameConfig) -> None:
    app = DictgameApp(config, backend=ScriptedBackend())
    async with app.run_test(size=SIZE) as pilot:
        await open_form(pilot, app)
        await choose_game(pilot, app, "Deal or No Deal")
        app.screen.query_one("#seed", Input).value = "1234"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, GameScreen))
        assert app.screen.state.settings.seed == 1234  # type: ignore[attr-defined]


async def test_hello_games_guest_is_shown_as_the_games_and_the_greeter_keeps_its_name(
    config: DictgameConfig,
) -> None:
    app = DictgameApp(config, backend=ScriptedBackend())
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, app)
        await choose_game(pilot, app, "Hello Game")
        guest = get_game("hellogame").experiments(0)[0].instances[0]["target_name"]
        note = form.query_one("#game-seat-b", Static)
        assert note.display and text(note) == f"Played by the game itself: {guest}"
        assert not form.query_one("#name-b").region and not form.query_one("#model-b").region
        form.query_one("#instance", Input).value = "1"
        await pilot.pause(0.1)
        second = get_game("hellogame").experiments(0)[0].instances[1]["target_name"]
        assert text(note) == f"Played by the game itself: {second}"
        form.query_one("#name-a", Input).value = "Ada"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, GameScreen))
        players = app.screen.state.settings.players  # type: ignore[attr-defined]
        assert (players[0].name, players[1].name) == ("Ada", second)


async def test_the_forms_model_list_offers_the_models_fine_tuned_from_the_runs_screen(
    config: DictgameConfig,
) -> None:
    from test_first_use_commands import tiny_model
    from textual.widgets import Select

    tuned = tiny_model(config.db.parent / "finetuned" / "run-1-above_avg.gguf")
    llama = config.model_copy(update={"backend": "llama"})  # the form looks for models
    app = DictgameApp(llama, backend=ScriptedBackend())
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, app)
        select = form.query_one("#model-a", Select)
        await wait_until(pilot, lambda: len(select._options) > 2)
        labels = {str(value): str(label) for label, value in select._options}
        assert labels[str(tuned.resolve())].startswith("run-1-above_avg (fine-tuned, ")


async def test_the_form_says_when_the_instance_sets_what_the_config_asked(
    config: DictgameConfig,
) -> None:
    turns = config.model_copy(update={"games": {"firstlast": {"turns": 9, "temperature": 0.2}}})
    app = DictgameApp(turns, backend=ScriptedBackend())
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, app)
        await choose_game(pilot, app, "First and Last")
        assert text(form.query_one("#config-note", Static)) == (
            "Used from your config: temperature = 0.2; this instance sets its own turns"
        )
        assert form.query_one("#temperature", Input).value == "0.2"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, GameScreen))
        settings = app.screen.state.settings  # type: ignore[attr-defined]
        instance = get_game("firstlast").experiments(0)[0].instances[0]
        assert (settings.turns, settings.temperature) == (instance["turns"], 0.2)


async def test_the_first_game_is_invented_languages_unless_the_config_sets_a_mode(
    config: DictgameConfig,
) -> None:
    """Nothing remembered: the form opens on the first game (FIRST_GAME), the config's own
    rounds on top; a config that names a mode wins, and a remembered game is what it was."""
    for games, mode, rounds in (
        (config.games, "invented", "3"),
        ({"dictionary": {"mode": "scenes"}}, "scenes", "10"),
    ):
        chosen = config.model_copy(update={"games": games})
        app = DictgameApp(chosen, backend=ScriptedBackend())
        async with app.run_test(size=SIZE) as pilot:
            form = await open_form(pilot, app)
            assert form.query_one("#mode", Select).value == mode
            assert form.query_one("#rounds", Input).value == rounds
    remember_new_game("dictionary", config.game_settings(2).model_dump(mode="json"))
    app = DictgameApp(config, backend=ScriptedBackend())
    async with app.run_test(size=SIZE) as pilot:
        form = await open_form(pilot, app)
        assert form.query_one("#mode", Select).value == "free"

"""`dictgame serve`: the token rule on real HTTP requests, and the app in a real browser
(Debian's chromium, driven by playwright) playing on the embedded model."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from dictgame.saves import GameStore
from dictgame.tui.cli.main import build_parser
from dictgame.tui.cli.serve import app_argv
from dictgame.tui.services.loopback import needs_token

CHROMIUM = Path("/usr/bin/chromium")
# No sandbox (tests may run as root), no GPU, and nothing that reaches the network.
CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# The page draws the terminal on a canvas; what the app sends it is kept as text.
KEEP_THE_SCREEN = """
window.screenText = [];
const BrowserWebSocket = window.WebSocket;
window.WebSocket = class extends BrowserWebSocket {
  constructor(...args) {
    super(...args);
    const decoder = new TextDecoder();
    this.addEventListener("message", (event) => {
      if (typeof event.data !== "string") {
        window.screenText.push(decoder.decode(event.data, {stream: true}));
      }
    });
  }
};
"""
ESCAPE_SEQUENCE = re.compile(
    r"\x1b(\[[0-9;?<>=]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()][0-9A-Za-z]|[=>])"
)


@contextmanager
def serving(*flags: str) -> Iterator[str]:
    """`dictgame serve` running; yields the address it printed."""
    server = subprocess.Popen(
        [sys.executable, "-m", "dictgame.tui", "serve", "--port", "0", *flags],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert server.stdout is not None
        line = server.stdout.readline()
        assert line.startswith("Serving dictgame on "), line + server.stderr.read()
        yield line.split()[-1]
    finally:
        server.terminate()
        server.wait(timeout=30)


def status_of(url: str, headers: dict[str, str] | None = None) -> int:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {})) as answer:
            return int(answer.status)
    except urllib.error.HTTPError as refused:
        return refused.code


def test_only_this_machine_s_loopback_serves_without_a_token() -> None:
    loopback = ("127.0.0.1", "::1", "[::1]", "localhost", "LOCALHOST")
    assert not any(needs_token(h) for h in loopback)
    assert all(needs_token(h) for h in ("127.0.0.2", "0.0.0.0", "::", "192.168.1.20", "lab-pc"))


def test_beyond_loopback_nothing_is_served_without_the_printed_token(tmp_path: Path) -> None:
    with serving("--host", "127.0.0.2", "--db", str(tmp_path / "games.db")) as address:
        base, token = address.split("/?token=")
        assert len(token) >= 32
        for path in ("/", "/ws", "/static/js/textual.js", f"/?token={token[:-1]}"):
            assert status_of(base + path) == 403, path
        with urllib.request.urlopen(address) as page:
            assert page.status == 200
            port = base.rsplit(":", 1)[1]
            cookie = next(c for c in page.headers.get_all("Set-Cookie") if "_token_" in c)
            body = page.read().decode()
        assert f"dictgame_token_{port}={token}" in cookie and "HttpOnly" in cookie
        assert 'data-session-websocket-url="ws://127.0.0.2:' in body
        # The cookie the page set opens the rest, as the browser's websocket and scripts send it.
        sent = {"Cookie": cookie.split(";")[0]}
        assert status_of(base + "/static/js/textual.js", sent) == 200
        guess = {"Cookie": f"dictgame_token_{port}=guess"}
        assert status_of(base + "/static/js/textual.js", guess) == 403


def test_on_loopback_the_page_opens_without_a_token_but_not_to_other_pages(tmp_path: Path) -> None:
    with serving("--db", str(tmp_path / "games.db")) as address:
        assert "token" not in address and address.startswith("http://127.0.0.1:")
        assert status_of(address) == 200
        # A name that only resolves here through DNS rebinding, and a websocket from another site.
        assert status_of(address, {"Host": "attacker.example"}) == 403
        assert status_of(address + "ws", {"Origin": "http://attacker.example"}) == 403


def test_a_port_in_use_is_one_line_and_exit_2(tmp_path: Path) -> None:
    with serving("--db", str(tmp_path / "games.db")) as address:
        port = address.rsplit(":", 1)[1].strip("/")
        taken = subprocess.run(
            [sys.executable, "-m", "dictgame.tui", "serve", "--port", port],
            capture_output=True, text=True, timeout=60,
        )
    assert taken.returncode == 2
    assert taken.stderr == f"dictgame: cannot serve on 127.0.0.1 port {port}: in use\n"


def test_serve_runs_only_what_opens_the_ui() -> None:
    refused = subprocess.run(
        [sys.executable, "-m", "dictgame.tui", "serve", "--", "list"],
        capture_output=True, text=True, timeout=60,
    )
    assert refused.returncode == 2
    assert refused.stderr.startswith("dictgame: serve runs the terminal UI")


def test_serve_refuses_a_remap_of_an_unknown_key_before_serving(tmp_path: Path) -> None:
    """Each session's app would refuse it; serve does once, knowing every game's keys."""
    config = tmp_path / "config.toml"
    config.write_text('[ui]\nkeys = { "person.propse" = "ctrl+r" }\n')
    refused = subprocess.run(
        [sys.executable, "-m", "dictgame.tui", "--config", str(config), "serve", "--port", "0"],
        capture_output=True, text=True, timeout=60,
    )
    assert refused.returncode == 2
    assert refused.stderr.startswith(f"dictgame: Config file {config}: ui.keys: unknown binding")
    assert "'person.propse'" in refused.stderr and "person.propose" in refused.stderr


def test_each_session_runs_dictgame_with_the_flags_serve_was_given(tmp_path: Path) -> None:
    flags = ["--db", "games.db", "--threads", "2", "--base-url", "http://a:8080/v1",
             "--base-url", "http://b:8080/v1", "--server-model-b", "qwen"]
    serve = build_parser().parse_args(
        ["serve", "--port", "8001", *flags, "--", "play", "--game", "hellogame"]
    )
    argv = app_argv(serve)
    assert argv[:3] == [sys.executable, "-m", "dictgame.tui"]
    session = build_parser().parse_args(argv[3:])
    assert session.command == "play" and session.game == "hellogame"
    assert session.db == Path("games.db").resolve()  # the same file, wherever the app starts
    assert (session.threads, session.base_url, session.server_model_b) == (
        2, ["http://a:8080/v1", "http://b:8080/v1"], "qwen")
    assert "--port" not in argv and "--host" not in argv


def wait_for(what: str, condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"no {what} after {timeout} s"
        time.sleep(0.25)


@pytest.mark.real_model
def test_a_person_plays_a_seat_in_a_browser_and_sees_the_model_answer(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "the browser test needs Debian's chromium: apt-get install chromium"
    db = tmp_path / "games.db"
    config = tmp_path / "study.toml"
    # The person plays seat A of a free talk: the form offers "You" there from the config
    # (without a mode the form would open on the first game, invented words); without a
    # topic, whose word each message must say.
    config.write_text(
        'seed = 3\nseat_a = "human"\n[games.dictionary]\nmode = "free"\nrounds = 1\n'
        'words_per_message = 4\ntopic = false\n'
        "[runtime]\ncontext_size = 1024\n"
    )
    # Beyond loopback, through the token; --db and --config given to serve reach each
    # browser session's app.
    with (
        serving("--host", "127.0.0.2", "--db", str(db), "--config", str(config)) as address,
        sync_playwright() as p,
    ):
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.add_init_script(KEEP_THE_SCREEN)
            refused = page.goto(address.split("?")[0])
            assert refused is not None and refused.status == 403
            page.goto(address)

            def screen() -> str:
                return ESCAPE_SEQUENCE.sub("", "".join(page.evaluate("window.screenText")))

            wait_for("saved games screen", lambda: "No saved games yet" in screen(), 60)
            page.focus(".xterm-helper-textarea")  # keys go to the terminal, as after a click
            page.keyboard.press("n")
            wait_for("new-game form", lambda: "Start game" in screen(), 30)
            page.keyboard.press("Control+s")
            wait_for("the person's turn", lambda: "enter sends it" in screen(), 60)
            page.keyboard.type("hello friend good morning")
            page.keyboard.press("Enter")

            def played() -> list[str]:
                with GameStore.open(db) as store:
                    games = store.list_games()
                    if not games or games[0].moves_played < 2:
                        return []
                    return [m.text for m in store.load_game(games[0].id).messages]

            wait_for("round played", lambda: bool(played()), 240)
            mine, answer = played()
            assert mine == "hello friend good morning"  # stored like a model's message
            assert answer.strip(), "the model answered nothing to look for"
            wait_for("answer on the page", lambda: answer[:12] in screen(), 10)
            assert mine in screen()
        finally:
            browser.close()


def test_each_browser_gets_a_session_cookie_of_its_own_once(tmp_path: Path) -> None:
    with serving("--db", str(tmp_path / "games.db")) as address:
        port = address.rsplit(":", 1)[1].strip("/")
        sessions = []
        for _ in range(2):
            with urllib.request.urlopen(address) as page:
                (cookie,) = [c for c in page.headers.get_all("Set-Cookie") if "_session_" in c]
            assert cookie.startswith(f"dictgame_session_{port}=") and "HttpOnly" in cookie
            sessions.append(cookie.split(";")[0])
        assert sessions[0] != sessions[1]
        with urllib.request.urlopen(urllib.request.Request(address, headers={"Cookie": sessions[0]})) as page:
            assert not page.headers.get_all("Set-Cookie")  # a known browser keeps its session


async def test_a_browser_sessions_app_shows_only_its_own_games_and_memory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from test_tui_support import wait_until
    from textual.widgets import DataTable, Input

    from dictgame.engine.scripted import ScriptedBackend
    from dictgame.tui.screens.app import DictgameApp
    from dictgame.tui.screens.game_screen import GameScreen
    from dictgame.tui.screens.new_game_screen import NewGameScreen
    from dictgame.tui.services.config import DictgameConfig
    from dictgame.tui.services.ui_state import remember_new_game

    config = DictgameConfig(db=tmp_path / "games.db", backend="scripted", seed=7,
                            games={"dictionary": {"rounds": 1}})
    host = config.game_settings(1).model_copy(
        update={"players": tuple(p.model_copy(update={"name": "Hostname"})
                                 for p in config.game_settings(1).players)})
    remember_new_game("dictionary", host.model_dump(mode="json"))  # the host's last choices
    with GameStore.open(config.db) as store:
        hosts = store.create_game(config.game_settings(1))
        others = store.create_game(config.game_settings(2), session="another-browser-session")
    monkeypatch.setenv("DICTGAME_SESSION", "this-browser-session-1")
    app = DictgameApp(config, backend=ScriptedBackend())
    async with app.run_test(size=(120, 40)) as pilot:
        assert not app.screen.query_one("#games", DataTable).row_count
        await pilot.press("n")
        await wait_until(pilot, lambda: isinstance(app.screen, NewGameScreen))
        assert app.screen.query_one("#name-a", Input).value != "Hostname"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, GameScreen))
        mine = app.screen.game_id  # type: ignore[attr-defined]
        await pilot.press("escape")
        table = app.screen.query_one("#games", DataTable)
        await wait_until(pilot, lambda: table.row_count == 1)
        assert [str(key.value) for key in table.rows] == [str(mine)]
    with GameStore.open(config.db) as store:  # the host sees every game
        assert {g.id for g in store.list_games()} == {hosts, others, mine}
    monkeypatch.setenv("DICTGAME_SHARED", "1")  # serve --share
    app = DictgameApp(config, backend=ScriptedBackend())
    async with app.run_test(size=(120, 40)):
        assert app.screen.query_one("#games", DataTable).row_count == 3


def test_participants_in_two_browsers_see_only_their_own_games(tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "the browser test needs Debian's chromium: apt-get install chromium"
    db = tmp_path / "games.db"
    config = tmp_path / "study.toml"
    config.write_text('backend = "scripted"\n[games.dictionary]\nrounds = 1\n')
    with serving("--db", str(db), "--config", str(config)) as address, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        try:
            pages = []
            for _ in range(2):  # two participants: two browsers, each with its own cookies
                page = browser.new_context(viewport={"width": 1400, "height": 900}).new_page()
                page.add_init_script(KEEP_THE_SCREEN)
                pages.append(page)

            def screen(page: object) -> str:
                text = "".join(page.evaluate("window.screenText"))  # type: ignore[attr-defined]
                return ESCAPE_SEQUENCE.sub("", text)

            first, second = pages
            first.goto(address)
            wait_for("saved games screen", lambda: "No saved games yet" in screen(first), 60)
            first.focus(".xterm-helper-textarea")
            first.keyboard.press("n")
            wait_for("new-game form", lambda: "Start game" in screen(first), 30)
            first.keyboard.press("Control+s")

            def stored() -> list[object]:
                with GameStore.open(db) as store:
                    return list(store.list_games())

            wait_for("the first participant's game", lambda: bool(stored()), 60)
            second.goto(address)
            wait_for("saved games screen", lambda: "No saved games yet" in screen(second), 60)
            first.reload()
            wait_for("the first participant's list", lambda: "Dictionary" in screen(first)
                     or "dictionary" in screen(first), 60)
        finally:
            browser.close()
    (game,) = stored()
    listed = subprocess.run([sys.executable, "-m", "dictgame.tui", "list", "--db", str(db)],
                            capture_output=True, text=True, timeout=60)
    header, row = listed.stdout.splitlines()
    assert game.session is not None  # type: ignore[attr-defined]
    assert "browser" in header.split(), listed.stdout
    assert game.session[:8] in row.split()  # type: ignore[attr-defined]

"""A user's edit is never lost: not when made while a move is generated, nor just before a kill."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from dictgame.engine.core.episode import GameMaster
from dictgame.engine.games.dictionary.dictionary import Operation, OperationKind, Source, replay
from dictgame.engine.games.dictionary.events import TextStreamed
from dictgame.engine.games.dictionary.settings import GameSettings
from dictgame.engine.games.dictionary.state import GameState
from dictgame.engine.scripted import ScriptedBackend
from dictgame.saves import GameStore


def test_edit_made_while_a_move_is_generated_is_kept_with_the_move(tmp_path: Path) -> None:
    db = tmp_path / "games.db"
    state = GameState(GameSettings(rounds=3, seed=4))
    backend = ScriptedBackend(token_delay=0.03)
    master = GameMaster(state, (backend.session(Path("a")), backend.session(Path("b"))))
    with GameStore.open(db) as store:
        game_id = store.create_game(state.settings)
        store.save_move(game_id, state, master.play_next_move())

        # The worker plays move 1 while the UI thread edits the same player's dictionary.
        generating = threading.Event()
        saved: list[Exception] = []

        def play() -> None:
            try:
                record = master.play_next_move(
                    on_event=lambda event: isinstance(event, TextStreamed) and generating.set()
                )
                store.save_move(game_id, state, record)
            except Exception as error:  # surfaced by the assertion below
                saved.append(error)

        worker = threading.Thread(target=play)
        worker.start()
        assert generating.wait(timeout=10)
        edit = Operation(kind=OperationKind.ADD, foreign="mano", meaning="hand", confidence=1.0)
        store.save_edit(game_id, state, state.edit(1, edit))
        worker.join()
        assert saved == []
        assert state.history[-1].source is Source.PLAYER, "the move's operations came after the edit"

        reloaded = store.load_game(game_id)
    assert reloaded.moves_played == 2
    entry = reloaded.dictionaries[1].get("mano")
    assert entry is not None and entry.added_by is Source.USER
    assert reloaded.dictionaries == state.dictionaries
    assert replay(reloaded.history, 1) == reloaded.dictionaries[1]


def test_edit_saved_just_before_a_kill_survives(tmp_path: Path) -> None:
    db = tmp_path / "games.db"
    script = textwrap.dedent(
        f"""
        import os, signal
        from pathlib import Path
        from dictgame.engine.games.dictionary.dictionary import Operation, OperationKind
        from dictgame.engine.core.episode import GameMaster
        from dictgame.engine.scripted import ScriptedBackend
        from dictgame.engine.games.dictionary.settings import GameSettings
        from dictgame.engine.games.dictionary.state import GameState
        from dictgame.saves import GameStore

        state = GameState(GameSettings(rounds=2, seed=8))
        backend = ScriptedBackend()
        master = GameMaster(state, (backend.session(Path("a")), backend.session(Path("b"))))
        store = GameStore.open(Path({str(db)!r}))
        game_id = store.create_game(state.settings)
        store.save_move(game_id, state, master.play_next_move())
        edit = Operation(kind=OperationKind.ADD, foreign="luna", meaning="moon", confidence=0.8)
        store.save_edit(game_id, state, state.edit(0, edit))
        os.kill(os.getpid(), signal.SIGKILL)
        """
    )
    killed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert killed.returncode == -9, killed.stderr
    with GameStore.open(db) as store:
        state = store.load_game(1)
    entry = state.dictionaries[0].get("luna")
    assert entry is not None and entry.meaning == "moon" and entry.added_by is Source.USER
    assert state.moves_played == 1

"""What can go wrong with a save, in words a player can act on."""

from __future__ import annotations

from pathlib import Path


class SaveFileError(Exception):
    """The save file cannot be used; it has been left exactly as it was."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(path, problem)
        self.path = path
        self.problem = problem

    def __str__(self) -> str:
        return f"cannot use save file {self.path}: {self.problem}"


class GameNotFound(KeyError):
    def __init__(self, game_id: int) -> None:
        super().__init__(game_id)
        self.game_id = game_id

    def __str__(self) -> str:
        # KeyError would print the repr of its argument; say what is missing instead.
        return f"there is no saved game {self.game_id}"


class GameInUse(Exception):
    """Another dictgame is playing this game; two writers would interleave their moves."""

    def __init__(self, game_id: int, pid: int, hostname: str) -> None:
        super().__init__(game_id, pid, hostname)
        self.game_id = game_id
        self.pid = pid
        self.hostname = hostname

    def __str__(self) -> str:
        return (
            f"game {self.game_id} is open in another dictgame (process {self.pid} on "
            f"{self.hostname}); close that one first, or view it read-only with "
            f"`dictgame export {self.game_id}`"
        )


class DamagedGame(Exception):
    """A saved game whose rows no longer parse; the file is left untouched, other games work."""

    def __init__(self, game_id: int, problem: str) -> None:
        super().__init__(game_id, problem)
        self.game_id = game_id
        self.problem = problem

    def __str__(self) -> str:
        return (
            f"saved game {self.game_id} is damaged: {self.problem}; other games in the file "
            f"still work (dictgame list), and `dictgame delete {self.game_id}` removes it"
        )


class DamagedRun(Exception):
    """A stored run whose rows no longer parse (its arguments, an episode's instance); the
    file is left untouched, other runs and games work."""

    def __init__(self, run_id: int, problem: str) -> None:
        super().__init__(run_id, problem)
        self.run_id = run_id
        self.problem = problem

    def __str__(self) -> str:
        return (
            f"run {self.run_id} is damaged: {self.problem}; its games still open one by one "
            "(dictgame list), other runs still work (dictgame runs)"
        )

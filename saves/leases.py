"""Who holds a game's lease, and whether that process is still alive.

A pid alone cannot say: pids are reused, so the lease of a dictgame that was killed may
name a pid that now belongs to another program, and the game would stay locked for as long
as that program runs. A lease therefore also names the host and the process's start time;
a live pid that started at another time is another process, and its lease is stale.

The start time comes from /proc on Linux (field 22 of /proc/<pid>/stat: clock ticks since
boot, with the boot's id, so it is unique across reboots), else from `ps -o lstart=` (macOS
and the BSDs; to the second). Where neither answers, the pid alone is trusted, as are leases
written before dictgame stored start times. psutil would answer everywhere, but it is a
compiled dependency for one number that these two sources already give.
"""

from __future__ import annotations

import logging
import os
import socket
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from sqlite_utils import Database

from .errors import GameInUse

log = logging.getLogger(__name__)

_PROC = Path("/proc")


@dataclass(frozen=True)
class Holder:
    """The process named by a lease."""

    pid: int
    hostname: str
    process_start: str | None

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> Holder:
        return cls(row["pid"], row["hostname"], row.get("process_start"))

    def is_alive(self) -> bool:
        """False only when this host can tell that the process has ended."""
        if self.hostname != socket.gethostname():
            return True  # a process on another host cannot be checked
        if not _pid_in_use(self.pid):
            return False
        if self.process_start is None:
            return True
        started = process_start(self.pid)
        return started is None or started == self.process_start


def this_process() -> Holder:
    pid = os.getpid()
    return Holder(pid, socket.gethostname(), process_start(pid))


def process_start(pid: int) -> str | None:
    """When process `pid` started, as a string that differs for a later process with that pid."""
    if _PROC.is_dir():
        return _start_from_proc(pid)
    return _start_from_ps(pid)


def _start_from_proc(pid: int) -> str | None:
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
        boot = (_PROC / "sys/kernel/random/boot_id").read_text().strip()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces and parentheses itself.
    fields = stat[stat.rindex(")") + 2 :].split()
    return f"{boot}:{fields[22 - 3]}"


def _start_from_ps(pid: int) -> str | None:
    try:
        result = subprocess.run(
            ["ps", "-o", "lstart=", "-p", str(pid)], capture_output=True, text=True, timeout=5
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return " ".join(result.stdout.split()) or None


def _pid_in_use(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive, but another user's
    return True


class GameLease:
    """This process's claim to write one game; release it when the game is closed."""

    def __init__(self, store: Any, game_id: int, pid: int, hostname: str, started: str) -> None:
        self._store = store
        self.game_id = game_id
        self.pid = pid
        self.hostname = hostname
        self.started = started
        self.released = False

    def release(self) -> None:
        if not self.released:
            self._store._release(self)
            self.released = True

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.release()


def live_holder(db: Database, game_id: int) -> dict[str, Any] | None:
    """The lease on a game, unless the process that took it has died."""
    for holder in db.query(
        "select pid, hostname, process_start from game_leases where game_id = ?", [game_id]
    ):
        if Holder.from_row(holder).is_alive():
            return dict(holder)
        log.info("game %s: the lease of process %s is stale (ended)", game_id, holder["pid"])
    return None


def take_lease(db: Database, store: Any, game_id: int) -> GameLease:
    """Within the caller's transaction: claim the game, unless a live process holds it."""
    holder = live_holder(db, game_id)
    if holder:
        raise GameInUse(game_id, holder["pid"], holder["hostname"])
    lease = GameLease(store, game_id, os.getpid(), socket.gethostname(),
                      datetime.now(UTC).isoformat())
    db.table("game_leases").insert(
        {
            "game_id": game_id,
            "pid": lease.pid,
            "hostname": lease.hostname,
            "started": lease.started,
            "process_start": process_start(lease.pid),
        },
        replace=True,
    )
    return lease


def release_lease(db: Database, lease: GameLease) -> None:
    # Only our own claim: after a takeover the row belongs to someone else.
    db.execute(
        "delete from game_leases where game_id = ? and pid = ? and hostname = ?",
        [lease.game_id, lease.pid, lease.hostname],
    )


def is_this_process(holder: Mapping[str, Any]) -> bool:
    return (holder["pid"], holder["hostname"]) == (os.getpid(), socket.gethostname())

"""Permission tests that hold as root too (CI runs as root, and root reads and writes any file).

As root, the test's body runs without root's power over files: in a child process moved into
a new user namespace with no id mapped (unshare(2), CLONE_NEWUSER), where it is `nobody` and
loses CAP_DAC_OVERRIDE over the files it had, so a read-only file is read-only and an
unreadable one unreadable, as for any user; `dictgame` commands are started under
`unshare --user` the same way. As any other user, the body simply runs.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import traceback
from collections.abc import Callable

import pytest

CLONE_NEWUSER = 0x10000000
ROOT = os.geteuid() == 0


def without_privileges(body: Callable[[], None]) -> None:
    """Run `body` as a user whom file permissions bind; its failure fails the test."""
    if not ROOT:
        body()
        return
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: one thread, so it may enter a new user namespace
        os.close(read)
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            if libc.unshare(CLONE_NEWUSER) != 0:
                message = f"skip: cannot enter a user namespace ({os.strerror(ctypes.get_errno())})"
            else:
                body()
                message = ""
        except BaseException:  # noqa: BLE001 - reported to the parent whole
            message = traceback.format_exc()
        os.write(write, message.encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read, "rb") as pipe:
        report = pipe.read().decode()
    os.waitpid(pid, 0)
    if report.startswith("skip: "):
        pytest.skip(report[len("skip: "):])
    if report:
        pytest.fail(f"as an unprivileged user:\n{report}", pytrace=False)


def unprivileged_command(command: list[str]) -> list[str]:
    """`command` started as a user whom file permissions bind (as root: `unshare --user`)."""
    if not ROOT:
        return command
    unshare = shutil.which("unshare")
    if unshare is None:
        pytest.skip("running as root, and util-linux's unshare is not installed")
    return [unshare, "--user", *command]

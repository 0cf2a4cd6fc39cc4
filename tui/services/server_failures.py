"""A server that stops answering in the middle of a game or run.

Before play starts, a server that is down, refuses, or lacks the model is the user's input
(one line, exit 2, nothing stored). Once play has started, the move being played is dropped
whole (the game master applies a move only once it is complete), every completed move is
already saved, and the command ends with one line saying how to continue, and exit code 75
(EX_TEMPFAIL: a temporary failure, worth trying again), so scripts can tell it from a bug.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager

log = logging.getLogger("dictgame.server")

EXIT_TRY_AGAIN = 75


class ServerStopped(Exception):
    """Play stopped because a server failed; the line has been printed."""

    exit_code = EXIT_TRY_AGAIN


@contextmanager
def server_failures(continue_with: str) -> Iterator[None]:
    """Turn a server failure during play into one line naming how to continue."""
    try:
        yield
    except Exception as error:
        # Only a game with a seat on a server has imported the client, and can fail so.
        client = sys.modules.get("dictgame.engine.players.openai_http")
        if client is None or not isinstance(error, client.ServerError):
            raise
        log.warning("play stopped: %s", error)
        sys.stdout.flush()
        print(
            f"\ndictgame: {error} (every completed move is saved; when the server is back, "
            f"continue with: {continue_with})",
            file=sys.stderr,
            flush=True,
        )
        raise ServerStopped() from error

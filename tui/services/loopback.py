"""This machine's own loopback names: a server on one of them reaches no one else, so it
serves without a token (`dictgame serve`, and the browser server's Host check)."""

from __future__ import annotations

LOOPBACK_NAMES = frozenset({"127.0.0.1", "::1", "localhost"})


def needs_token(host: str) -> bool:
    """Whether serving on `host` asks for the token: on anything but this machine's own
    loopback address, as a name, a wildcard or an address of the network may reach others."""
    return host.lower().strip("[]") not in LOOPBACK_NAMES

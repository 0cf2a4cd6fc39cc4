"""Every test runs with its own data, config and log folders, so none touches the user's files."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_locations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "dictgame-home"
    home.mkdir()
    # A config file named by DICTGAME_CONFIG must exist: an empty one, that tests may fill.
    (home / "config.toml").touch()
    monkeypatch.setenv("DICTGAME_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("DICTGAME_CONFIG", str(home / "config.toml"))
    monkeypatch.setenv("DICTGAME_LOG_DIR", str(home / "logs"))
    for name in ("DICTGAME_DB", "DICTGAME_BACKEND", "DICTGAME_MODEL", "DICTGAME_SEED", "DICTGAME_THEME"):
        monkeypatch.delenv(name, raising=False)
    return home

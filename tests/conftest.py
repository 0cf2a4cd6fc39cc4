"""Every test runs with its own data, config and log folders, so none touches the user's files."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_locations(
    tmp_path: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    home = tmp_path / "dictgame-home"
    # A config file named by DICTGAME_CONFIG must exist: an empty one, that tests may fill,
    # outside tmp_path (tests check what is written there).
    config = tmp_path_factory.mktemp("config") / "config.toml"
    config.touch()
    monkeypatch.setenv("DICTGAME_DATA_DIR", str(home / "data"))
    monkeypatch.setenv("DICTGAME_CONFIG", str(config))
    monkeypatch.setenv("DICTGAME_LOG_DIR", str(home / "logs"))
    monkeypatch.setenv("DICTGAME_CACHE_DIR", str(home / "cache"))
    for name in ("DICTGAME_DB", "DICTGAME_BACKEND", "DICTGAME_MODEL", "DICTGAME_SEED", "DICTGAME_THEME"):
        monkeypatch.delenv(name, raising=False)
    return home

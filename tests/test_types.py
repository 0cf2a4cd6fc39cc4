"""The package type-checks clean with mypy, as part of the test run (and so of CI)."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent


def test_the_package_type_checks_clean(tmp_path: Path) -> None:
    """mypy cannot follow setuptools' package-dir mapping (dictgame.engine is the folder
    engine/), so each mapped folder is linked at its package's path under a temporary
    dictgame/, read from pyproject.toml itself, and mypy checks the links with the
    project's settings ([tool.mypy])."""
    pyproject = REPOSITORY / "pyproject.toml"
    mapping: dict[str, str] = tomllib.loads(pyproject.read_text())["tool"]["setuptools"]["package-dir"]
    linked: list[str] = []
    for package, folder in sorted(mapping.items()):
        if any(package.startswith(f"{outer}.") for outer in linked):
            continue  # a subpackage: inside a folder already linked
        link = tmp_path.joinpath(*package.split("."))
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(REPOSITORY / folder, target_is_directory=True)
        linked.append(package)
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--config-file", str(pyproject),
         "--cache-dir", str(tmp_path / "mypy-cache"), *(p.replace(".", "/") for p in linked)],
        cwd=tmp_path, env={**os.environ, "MYPYPATH": str(tmp_path)},
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Success: no issues found" in result.stdout

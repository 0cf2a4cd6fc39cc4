"""The layers hold on the import graph itself (import-linter): the front end above the saves
and models, both above the engine; the engine free of Textual and SQLite; the core free of
the games it hosts; inside the front end the command line above the screens, each game's own
front end (no game's importing another's), the widgets and the services, which import neither
Textual nor argparse. Imports inside functions count: grimp reads them all."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parent.parent
PYPROJECT = REPOSITORY / "pyproject.toml"


def linked_package(root: Path) -> Path:
    """A dictgame/ of links to the folders setuptools maps (grimp, like mypy, cannot follow
    the package-dir mapping of the editable install)."""
    mapping: dict[str, str] = tomllib.loads(PYPROJECT.read_text())["tool"]["setuptools"]["package-dir"]
    package = root / "dictgame"
    package.mkdir()
    (package / "__init__.py").write_text("")
    for name, folder in mapping.items():
        if name.count(".") == 1:
            (package / name.split(".")[1]).symlink_to(REPOSITORY / folder, target_is_directory=True)
    return root


def lint(root: Path, config: Path) -> subprocess.CompletedProcess[str]:
    lint_imports = Path(sys.executable).with_name("lint-imports")
    return subprocess.run(
        [str(lint_imports), "--no-cache", str(config)], cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)}, capture_output=True, text=True, timeout=300,
    )


def test_the_layer_contracts_are_kept(tmp_path: Path) -> None:
    result = lint(linked_package(tmp_path), PYPROJECT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


def copied_package(tmp_path: Path, linked: tuple[str, ...]) -> Path:
    """A dictgame/ under tmp_path/copy with the named folders linked; the test builds the rest."""
    package = tmp_path / "copy" / "dictgame"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    for name in linked:
        (package / name).symlink_to(REPOSITORY / name, target_is_directory=True)
    return package


def linked_but(source: Path, target: Path, path: str) -> Path:
    """target/ of links to source's entries, but the folders on `path` ("tui/games/x") are
    folders of links themselves, for the test to add a module to the last; returns it."""
    target.mkdir()
    head, _, rest = path.partition("/")
    for entry in source.iterdir():
        if entry.name not in (head, "__pycache__"):
            (target / entry.name).symlink_to(entry, target_is_directory=entry.is_dir())
    return linked_but(source / head, target / head, rest) if head else target


def broken_contracts(tmp_path: Path, package: Path) -> str:
    """import-linter's report on a copied package that must break contracts."""
    config = tmp_path / "contracts.toml"
    config.write_text(PYPROJECT.read_text())
    result = lint(package.parent, config)
    if "does not exist" in result.stdout + result.stderr:
        pytest.fail(result.stdout + result.stderr)
    assert result.returncode == 1
    return result.stdout


def test_an_import_across_a_layer_breaks_a_contract(tmp_path: Path) -> None:
    """The check can fail: a copy of the engine that imports the saves is caught."""
    package = copied_package(tmp_path, ("models", "saves", "tui"))
    engine = package / "engine"
    for folder in (engine, engine / "core", engine / "games"):
        folder.mkdir()
        (folder / "__init__.py").write_text("")
    # An import hidden in a function, in the core: two contracts broken.
    (engine / "core" / "episode.py").write_text(
        "def f() -> None:\n    from ...saves import store  # noqa\n    from .. import games  # noqa\n")
    report = broken_contracts(tmp_path, package)
    assert "engine/ imports neither Textual nor SQLite nor the layers above it BROKEN" in report
    assert "the core hosts games without importing them BROKEN" in report


def front_end_broken_by(tmp_path: Path, folder: str, line: str) -> str:
    """The report on a copy of the package whose front-end `folder` ("services") holds one
    module more, with `line` (an import) inside a function."""
    package = copied_package(tmp_path, ("engine", "models", "saves"))
    added = linked_but(REPOSITORY / "tui", package / "tui", folder)
    (added / "shortcut.py").write_text(f"def f() -> None:\n    {line}  # noqa\n")
    return broken_contracts(tmp_path, package)


def test_a_service_that_imports_a_screen_breaks_the_front_end_layers(tmp_path: Path) -> None:
    """The front end's own contracts are checked too: a copy of the services with one module
    that imports a screen (and with it Textual) inside a function is caught twice."""
    report = front_end_broken_by(tmp_path, "services", "from ..screens import home_screen")
    assert "the front end's services import neither Textual nor argparse BROKEN" in report
    assert "all above the services BROKEN" in report


def test_a_game_front_end_that_imports_another_breaks_their_independence(tmp_path: Path) -> None:
    """A copy of the front end whose First and Last imports Deal or No Deal's proposal form
    inside a function is caught: each game's front end stands alone."""
    report = front_end_broken_by(tmp_path, "games/firstlast", "from ..dealnodeal import proposal_form")
    assert "one game's front end does not import another's BROKEN" in report

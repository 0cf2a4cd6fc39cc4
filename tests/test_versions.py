"""The llama-cpp-python versions the runtime supports: the installed one, the bound in
pyproject.toml, and a clear refusal of any other, through the real command too."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

import pytest

from dictgame.engine.versions import SUPPORTED_RANGE, UnsupportedLlamaCpp, check_llama_cpp_version

REPOSITORY = Path(__file__).resolve().parent.parent
DICTGAME = str(Path(sys.executable).parent / "dictgame")


def test_the_installed_llama_cpp_python_is_supported() -> None:
    check_llama_cpp_version(metadata.version("llama-cpp-python"))


def test_pyproject_requires_the_supported_range() -> None:
    dependencies = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())["project"]["dependencies"]
    assert f"llama-cpp-python{SUPPORTED_RANGE}" in dependencies


@pytest.mark.parametrize("version", ["0.3.35", "0.3.36", "0.3.36+cu124", "0.3.36.post1"])
def test_supported_versions_pass(version: str) -> None:
    check_llama_cpp_version(version)


@pytest.mark.parametrize(
    "version", ["0.3.16", "0.3.34", "0.3.37", "0.3.37rc1", "0.4.0", "1.0", "unknown"]
)
def test_other_versions_are_refused_with_the_range_and_the_fix(version: str) -> None:
    with pytest.raises(UnsupportedLlamaCpp) as raised:
        check_llama_cpp_version(version)
    message = str(raised.value)
    assert f"the installed llama-cpp-python is {version}" in message
    assert SUPPORTED_RANGE in message and f"pip install 'llama-cpp-python{SUPPORTED_RANGE}'" in message


def test_the_command_refuses_an_unsupported_llama_cpp_python_in_one_line(tmp_path: Path) -> None:
    """An older llama-cpp-python (its version is all the check reads) shadows the real one."""
    fake = tmp_path / "site" / "llama_cpp"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text('__version__ = "0.3.16"\n')
    result = subprocess.run(
        [DICTGAME, "play", "--headless", "--rounds", "1", "--db", str(tmp_path / "g.db")],
        capture_output=True, text=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(fake.parent)},
    )
    assert result.returncode == 2, result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert "The installed llama-cpp-python is 0.3.16" in line and SUPPORTED_RANGE in line

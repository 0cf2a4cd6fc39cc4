"""Build llama.cpp's `llama-server` from llama-cpp-python's own source, for measuring only.

llama-cpp-python's server answers one request at a time; llama.cpp's `llama-server` decodes
concurrent requests together (slots), which is what many episodes at once through a server
need. llama-cpp-python's source distribution vendors llama.cpp whole, so this script fetches
the sdist of the installed version (`pip download --no-binary :all:`, the one download), and
builds only the `llama-server` target with cmake, statically linked, without curl, OpenSSL
or the web UI: the same llama.cpp as the engine runs, with nothing fetched at build time.

Everything lives in `~/.cache/dictgame-bench/llama-server-VERSION/` (the extracted source,
the build folder, `build.log` and the binary); a second call finds the binary and builds
nothing, and an interrupted build resumes. The binary is built for this machine's CPU
(`-march=native`). It is never part of dictgame: the throughput benchmark uses it when present.

`python -m bench.llama_server [--dir DIR] [--jobs N]` prints the binary's path on its last line.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

DEFAULT_DIR = Path.home() / ".cache" / "dictgame-bench"
BINARY = "llama-server"
CMAKE_FLAGS = (
    "-DCMAKE_BUILD_TYPE=Release",
    "-DBUILD_SHARED_LIBS=OFF",  # one self-contained binary
    "-DLLAMA_CURL=OFF",
    "-DLLAMA_OPENSSL=OFF",
    "-DLLAMA_USE_PREBUILT_UI=OFF",  # else the UI assets are fetched from Hugging Face
    "-DLLAMA_BUILD_TESTS=OFF",
    "-DLLAMA_BUILD_EXAMPLES=OFF",
    "-DLLAMA_BUILD_TOOLS=ON",
    "-DLLAMA_BUILD_SERVER=ON",
)


class BuildUnavailable(Exception):
    """llama-server cannot be built here; `str(error)` is one line saying why."""


def installed_version() -> str:
    try:
        return version("llama-cpp-python")
    except PackageNotFoundError:
        raise BuildUnavailable("llama-cpp-python is not installed") from None


def home(directory: Path, llama_version: str) -> Path:
    """Where one version's source, build folder, log and binary live."""
    return directory / f"{BINARY}-{llama_version}"


def cached_binary(directory: Path = DEFAULT_DIR, llama_version: str | None = None) -> Path | None:
    """The built binary for the installed llama-cpp-python, if it is there and runs."""
    try:
        target = home(directory, llama_version or installed_version()) / BINARY
    except BuildUnavailable:
        return None
    return target if _runs(target) else None


def _runs(binary: Path) -> bool:
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        return False
    try:
        done = subprocess.run([str(binary), "--version"], capture_output=True, timeout=30,
                              check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def missing_tools() -> str | None:
    """What the build needs and this machine lacks, as one line; None when nothing is missing."""
    needed = (("cmake", ("cmake",)), ("C compiler", ("cc", "gcc", "clang")),
              ("C++ compiler", ("c++", "g++", "clang++")))
    missing = [name for name, options in needed if not any(map(shutil.which, options))]
    return f"cannot build {BINARY}: no {', no '.join(missing)} on PATH" if missing else None


def build(directory: Path = DEFAULT_DIR, jobs: int = 2, quiet: bool = False) -> Path:
    """The binary for the installed llama-cpp-python, built first if it is not cached."""
    llama_version = installed_version()
    found = cached_binary(directory, llama_version)
    if found is not None:
        return found
    if (why := missing_tools()) is not None:
        raise BuildUnavailable(why)
    place = home(directory, llama_version)
    place.mkdir(parents=True, exist_ok=True)
    source = _source(place, llama_version)
    log_path = place / "build.log"
    generator = ["-G", "Ninja"] if shutil.which("ninja") else []
    steps = (
        ["cmake", "-S", str(source), "-B", str(place / "build"), *generator, *CMAKE_FLAGS],
        ["cmake", "--build", str(place / "build"), "--target", BINARY, "-j", str(jobs)],
    )
    with log_path.open("a") as log:
        for step in steps:
            if not quiet:
                print(f"{' '.join(step[:2])} ... (log: {log_path})", file=sys.stderr, flush=True)
            log.write(f"$ {' '.join(step)}\n")
            log.flush()
            if subprocess.run(step, stdout=log, stderr=subprocess.STDOUT, check=False).returncode:
                raise BuildUnavailable(f"`{' '.join(step[:2])}` failed; see {log_path}")
    built = place / "build" / "bin" / BINARY
    if not _runs(built):
        raise BuildUnavailable(f"the build made no runnable {built}; see {log_path}")
    target = place / BINARY
    shutil.copy2(built, target.with_suffix(".part"))
    target.with_suffix(".part").replace(target)
    return target


def _source(place: Path, llama_version: str) -> Path:
    """llama.cpp as llama-cpp-python's sdist vendors it, downloaded and extracted once."""
    source = place / f"llama_cpp_python-{llama_version}" / "vendor" / "llama.cpp"
    if (source / "tools" / "server" / "CMakeLists.txt").is_file():
        return source
    with tempfile.TemporaryDirectory(dir=place) as scratch:
        done = subprocess.run(
            [sys.executable, "-m", "pip", "download", f"llama-cpp-python=={llama_version}",
             "--no-binary", ":all:", "--no-deps", "-q", "-d", scratch],
            capture_output=True, text=True, check=False,
        )
        sdists = list(Path(scratch).glob("llama_cpp_python-*.tar.gz"))
        if done.returncode or len(sdists) != 1:
            why = (done.stderr.strip().splitlines() or ["no sdist came"])[-1]
            raise BuildUnavailable(
                f"could not download llama-cpp-python {llama_version}'s sdist: {why}")
        with tarfile.open(sdists[0]) as archive:
            archive.extractall(place, filter="data")
    if not (source / "tools" / "server" / "CMakeLists.txt").is_file():
        raise BuildUnavailable(
            f"llama-cpp-python {llama_version}'s sdist has no {source.relative_to(place)}")
    return source


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.llama_server",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR,
                        help=f"where to keep it (default {DEFAULT_DIR})")
    parser.add_argument("--jobs", type=int, default=2, help="parallel compile jobs (default 2)")
    args = parser.parse_args(argv)
    try:
        print(build(args.dir, args.jobs))
    except BuildUnavailable as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

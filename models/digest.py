"""A model file's sha256, computed once per file and kept on disk, so that a game records
exactly which weights played and still starts at once: the digest of a file is looked up by
its path, size and modification time, and read anew only when one of them changed."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from pathlib import Path

_lock = threading.Lock()
CHUNK = 1 << 20


def _key(path: Path) -> str:
    stat = path.stat()
    return f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"


def _read_cache(cache: Path) -> dict[str, str]:
    try:
        data = json.loads(cache.read_text("utf-8"))
    except (OSError, ValueError):
        return {}  # no cache yet, or a damaged one: it is only a cache
    return {k: v for k, v in data.items() if isinstance(k, str) and isinstance(v, str)} \
        if isinstance(data, dict) else {}


def file_sha256(path: Path, cache: Path | None) -> str:
    """The file's sha256 in hex; `cache` (a JSON file) keeps it for the next game. A cache
    that cannot be written is skipped: the digest is still right, only not kept."""
    path = Path(path)
    key = _key(path)
    with _lock:
        known = _read_cache(cache) if cache is not None else {}
        if key in known:
            return known[key]
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    value = digest.hexdigest()
    if cache is not None:
        with _lock:
            known = _read_cache(cache)
            known[key] = value
            _write_cache(cache, known)
    return value


def _write_cache(cache: Path, known: dict[str, str]) -> None:
    """Whole or not at all; a cache that cannot be written (read-only home) is skipped."""
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=cache.parent, prefix=cache.name)
    except OSError:
        return
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            json.dump(known, out, indent=0)
        os.replace(temporary, cache)
    except OSError:
        Path(temporary).unlink(missing_ok=True)

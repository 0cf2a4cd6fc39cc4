"""Finds GGUF models on this machine and picks the one a game plays with."""

import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .embedded import embedded_model_path
from .gguf_info import ModelFileError, ModelInfo, read_model_info

# Later parts of a split model ("-00002-of-00003.gguf") are loaded through the first.
_SPLIT_PART = re.compile(r"-(\d{5})-of-(\d{5})\.gguf$", re.IGNORECASE)


@dataclass(frozen=True)
class FoundModel:
    """A GGUF file found on disk; broken ones keep their error so the player sees why."""

    info: ModelInfo | None
    path: Path
    error: str | None
    # "embedded", "dictgame models folder", "./models", "Hugging Face cache", "LM Studio",
    # "fine-tuned"
    source: str


def huggingface_hub_cache() -> Path:
    """Where huggingface_hub keeps downloads, honouring the same variables it does."""
    if hub_cache := os.environ.get("HF_HUB_CACHE"):
        return Path(hub_cache).expanduser()
    if hf_home := os.environ.get("HF_HOME"):
        return Path(hf_home).expanduser() / "hub"
    cache_home = os.environ.get("XDG_CACHE_HOME") or "~/.cache"
    return Path(cache_home).expanduser() / "huggingface" / "hub"


def lm_studio_dirs() -> list[Path]:
    """LM Studio's models folders: the current one, then the one older versions used."""
    return [
        Path("~/.lmstudio/models").expanduser(),
        Path("~/.cache/lm-studio/models").expanduser(),
    ]


def default_search_dirs(models_dir: Path) -> list[Path]:
    """The existing folders to look for models in, most specific first."""
    candidates = [
        models_dir,
        Path.cwd() / "models",
        huggingface_hub_cache(),
        *lm_studio_dirs(),
    ]
    found: list[Path] = []
    for directory in candidates:
        if directory.is_dir() and directory.resolve() not in {
            d.resolve() for d in found
        }:
            found.append(directory)
    return found


def _source_of(directory: Path) -> str:
    """Names where a search folder comes from; any folder not known is the game's own."""
    resolved = directory.resolve()
    if resolved == (Path.cwd() / "models").resolve():
        return "./models"
    if resolved == huggingface_hub_cache().resolve():
        return "Hugging Face cache"
    if resolved in {lm_dir.resolve() for lm_dir in lm_studio_dirs()}:
        return "LM Studio"
    return "dictgame models folder"


def _gguf_files(directory: Path) -> list[Path]:
    """GGUF files under a folder, following symlinks (the Hugging Face cache is made of them)."""
    files: list[Path] = []
    visited: set[str] = set()
    for root, dir_names, file_names in os.walk(directory, followlinks=True):
        real_root = os.path.realpath(root)
        if real_root in visited:  # a symlink loop, or a folder reached twice
            dir_names.clear()
            continue
        visited.add(real_root)
        dir_names[:] = sorted(name for name in dir_names if not name.startswith("."))
        for file_name in sorted(file_names):
            split = _SPLIT_PART.search(file_name)
            if file_name.lower().endswith(".gguf") and (
                split is None or int(split[1]) == 1
            ):
                files.append(Path(root) / file_name)
    return files


def _found(path: Path, source: str) -> FoundModel | None:
    """Reads one file; None for GGUFs that are not playable models (LoRA adapters, projectors)."""
    try:
        info = read_model_info(path)
    except ModelFileError as error:
        return FoundModel(info=None, path=path, error=error.problem, source=source)
    # Older multimodal projectors have no general.type, only the "clip" architecture.
    if info.kind != "model" or info.architecture == "clip":
        return None
    return FoundModel(info=info, path=path, error=None, source=source)


def find_models(
    search_dirs: list[Path], include_embedded: bool = True, tuned: Sequence[Path] = ()
) -> list[FoundModel]:
    """Every model the player can pick: the embedded one first, then each folder's in order,
    then the fine-tuned files dictgame wrote outside those folders (`tuned`).

    A file reached twice (symlinks, overlapping folders) is listed once, under its first path.
    """
    found: list[FoundModel] = []
    seen: set[Path] = set()
    if include_embedded:
        try:
            embedded = embedded_model_path()
        except ModelFileError as error:
            found.append(
                FoundModel(
                    info=None, path=error.path, error=error.problem, source="embedded"
                )
            )
        else:
            seen.add(embedded.resolve())
            if model := _found(embedded, "embedded"):
                found.append(model)
    for directory in search_dirs:
        source = _source_of(directory)
        for path in _gguf_files(directory):
            resolved = path.resolve()
            if resolved in seen:
                continue
            seen.add(resolved)
            if model := _found(path, source):
                found.append(model)
    for path in tuned:
        if path.resolve() not in seen and path.is_file():
            seen.add(path.resolve())
            if model := _found(path, "fine-tuned"):
                found.append(model)
    return found


def resolve_model(
    explicit: Path | str | None, configured: Path | str | None = None
) -> ModelInfo:
    """The model to play with: the one asked for now, else the configured default, else the embedded one."""
    chosen = explicit or configured
    path = Path(chosen).expanduser() if chosen else embedded_model_path()
    return read_model_info(path)

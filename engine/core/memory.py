"""A player's memory stream (Generative Agents): what it heard, said, learned and concluded,
ranked by recency, importance and relevance when a prompt is built.

The stream is never stored on its own: a game rebuilds it from its move records (which keep
what each move retrieved and the reflections it wrote) and the person's edits, so a resumed
game holds exactly the stream it had, and a killed one loses nothing that was saved.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

# Turns texts into unit vectors; any offline embedding fits (see `NgramEmbedder`).
Embedder = Callable[[Sequence[str]], np.ndarray]

# Reflections cite at most this many memories each.
MAX_EVIDENCE = 8


class MemorySettings(BaseModel):
    """How a player remembers; stored with the game so a resumed game retrieves the same."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # The three weights of the retrieval score (the paper: all 1). Relevance weighs double:
    # a retrieved memory is recent again, so with equal weights the memories a prompt showed
    # kept their place move after move, and a word coming back after 100 rounds lost to them
    # (tests/test_memory.py's needle).
    recency_weight: float = Field(default=1.0, ge=0.0, le=10.0)
    importance_weight: float = Field(default=1.0, ge=0.0, le=10.0)
    relevance_weight: float = Field(default=2.0, ge=0.0, le=10.0)
    # Recency decays by this factor per move since a memory was last retrieved (the
    # reference code: 0.99 per step).
    decay: float = Field(default=0.99, gt=0.0, le=1.0)
    # How many memories a prompt shows.
    retrieved: int = Field(default=5, ge=1, le=30)
    # The recent exchanges a prompt shows, in estimated tokens; older ones are left to
    # retrieval. The window moves in steps of `window_step` exchanges, so the prompt stays
    # append-only in between and a model's cache reuses it.
    recent_tokens: int = Field(default=500, ge=50, le=100_000)
    window_step: int = Field(default=6, ge=1, le=100)
    # A reflection is due when the importance summed since the last one passes this (the
    # paper: 150); 0 never reflects.
    reflection_threshold: float = Field(default=150.0, ge=0.0)


class Retrieved(BaseModel):
    """One memory a move's prompt showed, with its three normalised scores; kept in the move
    record, which is how the stream's last-access times survive a resume."""

    model_config = ConfigDict(frozen=True)

    id: int
    recency: float
    importance: float
    relevance: float
    score: float


class Reflection(BaseModel):
    """An insight a player wrote, with the ids of the memories it rests on."""

    model_config = ConfigDict(frozen=True)

    text: str
    evidence: tuple[int, ...] = ()


@dataclass(frozen=True)
class Memory:
    id: int
    # The move it was made at (the move index of the move that produced it).
    move: int
    kind: str
    text: str
    # 1-10.
    importance: float
    evidence: tuple[int, ...] = ()
    # The words its relevance is judged on.
    about: str = ""


def estimate_tokens(text: str) -> int:
    """A model-free upper estimate of a text's tokens: the engine builds prompts without a
    tokenizer, and an estimate on the high side keeps the budget safe."""
    return len(text) // 3 + 2


class NgramEmbedder:
    """Hashed character trigrams of each word: needs nothing beyond numpy, costs microseconds,
    and matches a word of an invented lexicon as well as a real one, which is what relevance
    means in these games (a word comes back). Measured against llama.cpp embeddings in
    `bench/memory.py`."""

    def __init__(self, dimensions: int = 1024) -> None:
        self.dimensions = dimensions

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        vectors = np.zeros((len(texts), self.dimensions), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"[^\W_]+", text.casefold()):
                padded = f"<{word}>"
                grams = [padded[i : i + 3] for i in range(max(1, len(padded) - 2))]
                # The whole word weighs as much as its trigrams: the same word, not one that
                # merely shares a part ("house" in "lighthouse"), is what matters most.
                for gram, weight in [(g, 1.0) for g in grams] + [(padded, float(len(grams)))]:
                    digest = hashlib.blake2b(gram.encode(), digest_size=4).digest()
                    vectors[row, int.from_bytes(digest, "little") % self.dimensions] += weight
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


def _normalised(values: np.ndarray) -> np.ndarray:
    """Min-max to 0..1; all equal: all 1 (no memory is better than another on this term)."""
    low, high = float(values.min()), float(values.max())
    if high - low < 1e-9:
        return np.ones_like(values)
    return (values - low) / (high - low)


@dataclass
class MemoryStream:
    """One player's memories, in the order they were made, with their last-access moves."""

    settings: MemorySettings
    embed: Embedder
    memories: list[Memory] = field(default_factory=list)
    last_access: list[int] = field(default_factory=list)
    # The importance summed since the last reflection.
    unreflected: float = 0.0
    _vectors: list[np.ndarray] = field(default_factory=list)

    def add(
        self, move: int, kind: str, text: str, importance: float, evidence: Sequence[int] = (),
        about: str | None = None,
    ) -> Memory:
        """A new memory; `about`: the words its relevance is judged on (default: its text),
        so the wording a game wraps around a memory does not dilute it."""
        memory = Memory(len(self.memories), move, kind, text, importance, tuple(evidence),
                        about or text)
        self.memories.append(memory)
        self.last_access.append(move)
        self._vectors.append(self.embed([memory.about])[0])
        if kind == "reflection":
            self.unreflected = 0.0
        else:
            self.unreflected += importance
        return memory

    def access(self, ids: Sequence[int], move: int) -> None:
        """The memories a move retrieved were used at that move: their recency restarts."""
        for memory_id in ids:
            self.last_access[memory_id] = move

    def retrieve(
        self, query: str, now: int, skip: Callable[[Memory], bool] | None = None
    ) -> list[Retrieved]:
        """The best `retrieved` memories for a situation, best first; does not touch the
        stream (the move's record carries the access, applied with the move). `skip`: what
        the prompt shows anyway (its recent exchanges)."""
        candidates = [m.id for m in self.memories if skip is None or not skip(m)]
        if not candidates:
            return []
        ages = np.array([now - self.last_access[i] for i in candidates], dtype=np.float64)
        recency = _normalised(self.settings.decay ** ages)
        importance = _normalised(np.array([self.memories[i].importance for i in candidates]))
        vectors = np.stack([self._vectors[i] for i in candidates])
        relevance = _normalised(vectors @ self.embed([query])[0])
        s = self.settings
        total = (s.recency_weight * recency + s.importance_weight * importance
                 + s.relevance_weight * relevance)
        order = sorted(range(len(candidates)), key=lambda i: (-total[i], -candidates[i]))
        return [
            Retrieved(id=candidates[i], recency=round(float(recency[i]), 4),
                      importance=round(float(importance[i]), 4),
                      relevance=round(float(relevance[i]), 4), score=round(float(total[i]), 4))
            for i in order[: s.retrieved]
        ]

    @property
    def reflection_due(self) -> bool:
        threshold = self.settings.reflection_threshold
        return threshold > 0 and self.unreflected >= threshold

    def since_reflection(self, limit: int) -> list[Memory]:
        """The most important memories since the last reflection: what a reflection cites."""
        last = max((m.id for m in self.memories if m.kind == "reflection"), default=-1)
        recent = [m for m in self.memories if m.id > last and m.kind != "reflection"]
        return sorted(recent, key=lambda m: (-m.importance, -m.id))[:limit]

    def reflections(self) -> list[Memory]:
        return [m for m in self.memories if m.kind == "reflection"]


def recent_start(exchange_tokens: Sequence[int], budget: int, step: int) -> int:
    """Where the shown recent exchanges begin: the first multiple of `step` from which they
    fit the budget. It moves only in steps, so between jumps the prompt only grows at its end
    and a model's cache reuses all of it."""
    start = 0
    remaining = sum(exchange_tokens)
    while remaining > budget and start < len(exchange_tokens):
        jump = min(step, len(exchange_tokens) - start)
        remaining -= sum(exchange_tokens[start : start + jump])
        start += jump
    return start


# -- reflection, as an ask to the player ------------------------------------------------------

REFLECTION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "insights": {
            "type": "array",
            "minItems": 1,
            "maxItems": 3,
            "items": {
                "type": "object",
                "properties": {
                    "insight": {"type": "string", "maxLength": 160},
                    "because": {"type": "array", "maxItems": 4, "items": {"type": "integer"}},
                },
                "required": ["insight", "because"],
            },
        }
    },
    "required": ["insights"],
}
REFLECTION_TOKENS = 200


def parse_reflections(raw: str, cited: Sequence[int]) -> tuple[tuple[Reflection, ...], str | None]:
    """The insights of a reflection; evidence is kept only where it names a memory shown."""
    try:
        data = json.loads(raw)
        items = data["insights"]
        if not isinstance(items, list):
            raise TypeError
    except (json.JSONDecodeError, KeyError, TypeError):
        return (), 'answer with JSON like {"insights": [{"insight": "...", "because": [3]}]}'
    shown = set(cited)
    found = []
    for item in items[:3]:
        if not isinstance(item, dict) or not str(item.get("insight", "")).strip():
            continue
        because = item.get("because")
        because = because if isinstance(because, list) else []
        evidence = tuple(dict.fromkeys(i for i in because if isinstance(i, int) and i in shown))
        found.append(Reflection(text=" ".join(str(item["insight"]).split())[:160],
                                evidence=evidence[:MAX_EVIDENCE]))
    if not found:
        return (), "write at least one insight"
    return tuple(found), None


def shown_lines(stream: MemoryStream, ids: Sequence[int]) -> list[str]:
    """Memories as a prompt shows them: numbered by id, with the move they come from."""
    return [f"[{i}] (move {stream.memories[i].move}) {stream.memories[i].text}" for i in ids]


def score_line(stream: MemoryStream, retrieved: Retrieved) -> str:
    """One retrieved memory with its three scores, for inspectors and transcripts."""
    memory = stream.memories[retrieved.id]
    return (f"[{memory.id}] {memory.text}  (recency {retrieved.recency:.2f}, importance "
            f"{retrieved.importance:.2f}, relevance {retrieved.relevance:.2f}; "
            f"score {retrieved.score:.2f})")


"""Issue 11: which embedding judges a memory's relevance: recall@5 and cost per move.

A labelled set from real games on the embedded model (SmolLM2-135M): a free English /
Spanish game and an invented-lexicon game, played with memory on. Each message a player
hears is a query; the relevant memories are the player's earlier dictionary entries whose
word occurs in it (the entry a word that comes back should bring back). Recall@5 ranks the
memories made before the message by relevance alone, for each embedder: the hashed
character n-grams the game uses, and mean-pooled llama.cpp embeddings of the same GGUF.
Cost: seconds to embed one move's new memories and its query. `python -m bench.memory_recall`
runs it alone.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .common import default_threads, log, rnd, smollm2_path
from .context import BenchContext

NAME = "memory_recall"
K = 5
GAMES = (
    ("free", {"rounds": 16, "words_per_message": 6, "max_operations": 2, "seed": 11}),
    ("invented", {"rounds": 30, "mode": "invented", "seed": 5}),
)
GOAL = "the game's embedder has the best recall@5 at a cost below 10 ms a move"


def play(n_threads: int) -> list[Any]:
    """The labelled games, played on the embedded model with memory on."""
    from dictgame.engine.core.episode import GameMaster, NoSaver
    from dictgame.engine.core.episode import play as play_episode
    from dictgame.engine.games.dictionary.settings import GameSettings
    from dictgame.engine.games.dictionary.state import GameState
    from dictgame.engine.players.llama import LlamaBackend

    states = []
    backend = LlamaBackend(n_ctx=2048, n_threads=n_threads)
    try:
        for name, values in GAMES:
            state = GameState(GameSettings(memory=True, **values))
            session = backend.session(smollm2_path())
            play_episode(GameMaster(state, (session, session)), NoSaver())
            log(f"  {name}: {len(state.records)} moves, "
                f"{sum(len(r.applied) for r in state.records)} dictionary changes")
            states.append(state)
    finally:
        backend.close()
    return states


def queries(state: Any) -> list[tuple[str, str, list[Any], set[int]]]:
    """(language, message heard, memories before it, ids of the relevant ones)."""
    from dictgame.engine.games.dictionary.dictionary import occurs_in

    found = []
    for record in state.records:
        if not record.incoming:
            continue
        seat = record.seat
        speaker = state.settings.players[1 - seat]
        language = "invented" if state.settings.mode == "invented" else speaker.language
        before = [m for m in state.memories[seat].memories if m.move < record.move_index - 1]
        relevant = set()
        for memory in before:
            word = re.search(r'"([^"]+)" means', memory.text)
            if memory.kind in ("learned", "edit") and word and occurs_in(word.group(1), record.incoming):
                relevant.add(memory.id)
        if relevant:
            found.append((language, record.incoming, before, relevant))
    return found


def recall_at_k(embed: Callable[[Sequence[str]], np.ndarray],
                labelled: list[tuple[str, str, list[Any], set[int]]]) -> dict[str, float]:
    by_language: dict[str, list[float]] = {}
    for language, query, before, relevant in labelled:
        vectors = embed([m.about for m in before])
        similarity = vectors @ embed([query])[0]
        top = {before[i].id for i in np.argsort(-similarity, kind="stable")[:K]}
        by_language.setdefault(language, []).append(len(top & relevant) / len(relevant))
    figures = {language: rnd(float(np.mean(v)), 3) for language, v in by_language.items()}
    figures["all"] = rnd(float(np.mean([x for v in by_language.values() for x in v])), 3)
    figures["queries"] = len(labelled)
    return figures


def cost_per_move(embed: Callable[[Sequence[str]], np.ndarray], states: list[Any]) -> float:
    """Seconds to embed what one move adds (its new memories) and its query."""
    texts = [m.about for s in states for stream in s.memories for m in stream.memories]
    moves = sum(len(s.records) for s in states)
    queries_ = [r.incoming or "" for s in states for r in s.records]
    started = time.perf_counter()
    embed(texts)
    embed(queries_)
    return (time.perf_counter() - started) / moves


def measure(n_threads: int) -> dict[str, Any]:
    from dictgame.engine.core.memory import NgramEmbedder
    from dictgame.engine.players.llama import LlamaBackend
    from dictgame.engine.players.llama.embedding import LlamaEmbedder

    log("memory recall: playing the labelled games on the embedded model")
    states = play(n_threads)
    labelled = [q for state in states for q in queries(state)]
    result: dict[str, Any] = {"k": K, "threads": n_threads}
    ngram = NgramEmbedder()
    result["ngram"] = {"recall": recall_at_k(ngram, labelled),
                       "seconds_per_move": rnd(cost_per_move(ngram, states), 5)}
    backend = LlamaBackend(n_ctx=512, n_threads=n_threads)
    try:
        llama = LlamaEmbedder(backend.model(smollm2_path()), n_threads)
        result["llama_smollm2"] = {"recall": recall_at_k(llama, labelled),
                                   "seconds_per_move": rnd(cost_per_move(llama, states), 4)}
        llama.close()
    finally:
        backend.close()
    result["met"] = (result["ngram"]["recall"]["all"] >= result["llama_smollm2"]["recall"]["all"]
                     and result["ngram"]["seconds_per_move"] < 0.01)
    return result


def run(ctx: BenchContext) -> dict[str, Any]:
    return measure(ctx.n_threads)


if __name__ == "__main__":
    print(json.dumps(measure(default_threads())))

"""Target 4, constrained updates: the update schema's grammar costs <= 25% per decoded token.

The game's own update request (system prompt, then the update instruction for a partner's
message, schema from `engine.games.dictionary.rules.update_schema(3)`, the game's temperature) is generated
with the schema and again with json_schema=None, alternating, with several seeds and
messages, on one session, so the prompt is cached and only decoding differs. Per-token decode
time is (seconds - prompt_seconds) / completion_tokens, summed per side. Every constrained
output must parse with `engine.games.dictionary.rules.parse_update`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .common import game_settings, log, rnd
from .context import BenchContext

NAME = "constrained"
LIMIT = 0.25
INCOMING = (
    "Hola Alice, buenos días, ¿cómo estás?",
    "Me llamo Bruno. Tengo un perro.",
    "El sol es grande y amarillo.",
    "Quiero agua y pan, por favor.",
)
UNCONSTRAINED_MAX_TOKENS = 160


def requests(max_operations: int = 3) -> list[Any]:
    from dictgame.engine.backend import ChatMessage, GenerationRequest
    from dictgame.engine.games.dictionary.dictionary import Dictionary
    from dictgame.engine.games.dictionary.prompts import PromptBook
    from dictgame.engine.games.dictionary.rules import update_schema, update_token_budget

    settings = game_settings(rounds=10)
    book = PromptBook(settings)
    out = []
    for incoming in INCOMING:
        messages = (
            ChatMessage("system", book.system(0)),
            ChatMessage("user", book.update(0, incoming, Dictionary())),
        )
        out.append(
            GenerationRequest(
                messages=messages,
                max_tokens=update_token_budget(max_operations),
                temperature=settings.temperature,
                json_schema=update_schema(max_operations),
            )
        )
    return out


def measure(model: Path, *, rounds: int, n_threads: int, n_ctx: int = 4096) -> dict[str, Any]:
    from dataclasses import replace

    from dictgame.engine.games.dictionary.rules import UpdateParseError, parse_update
    from dictgame.engine.players.llama import LlamaBackend

    backend = LlamaBackend(n_ctx=n_ctx, n_threads=n_threads)
    session = backend.session(model)
    sides = {k: [0, 0.0] for k in ("constrained", "unconstrained", "constrained_greedy", "unconstrained_greedy")}
    parsed = total = 0
    failures: list[str] = []
    try:
        base = requests()
        session.generate(replace(base[0], max_tokens=4))  # warm-up: load pages, fill the cache
        for round_ in range(rounds):
            for index, request in enumerate(base):
                seed = 100 * round_ + index
                constrained = replace(request, seed=seed)
                free = replace(request, seed=seed, json_schema=None,
                               max_tokens=UNCONSTRAINED_MAX_TOKENS)
                order = [("constrained", constrained), ("unconstrained", free)]
                if (round_ + index) % 2:
                    order.reverse()
                if index % 2 == 0:  # greedy: no sampler chain differences, the grammar alone
                    order += [(f"{name}_greedy", replace(req, temperature=0.0)) for name, req in order]
                for name, req in order:
                    generation = session.generate(req)
                    decoding = generation.seconds - generation.prompt_seconds
                    if generation.completion_tokens > 1:
                        sides[name][0] += generation.completion_tokens
                        sides[name][1] += decoding
                    if name.startswith("constrained"):
                        total += 1
                        try:
                            parse_update(generation.text)
                            parsed += 1
                        except UpdateParseError as error:
                            failures.append(f"{error}: {generation.text[:120]!r}")
    finally:
        backend.close()
    per_token = {k: (s / t if t else 0.0) for k, (t, s) in sides.items()}
    def overhead_of(suffix: str) -> float:
        free = per_token["unconstrained" + suffix]
        return per_token["constrained" + suffix] / free - 1 if free else 0.0

    overhead = overhead_of("")
    greedy = overhead_of("_greedy")
    return {
        "met": overhead <= LIMIT and greedy <= LIMIT and parsed == total,
        "overhead_per_token": rnd(overhead),
        "overhead_per_token_greedy": rnd(greedy),
        "constrained_ms_per_token": rnd(1000 * per_token["constrained"], 2),
        "unconstrained_ms_per_token": rnd(1000 * per_token["unconstrained"], 2),
        "constrained_tokens": sides["constrained"][0],
        "unconstrained_tokens": sides["unconstrained"][0],
        "constrained_greedy_ms_per_token": rnd(1000 * per_token["constrained_greedy"], 2),
        "unconstrained_greedy_ms_per_token": rnd(1000 * per_token["unconstrained_greedy"], 2),
        "parsed": parsed,
        "generated": total,
        "parse_failures": failures[:3],
        "threads": n_threads,
        "criteria": "constrained/unconstrained decode time per token - 1 <= 0.25 (at the game's "
        "temperature, where the unconstrained request also has the repeat penalty, and greedy, "
        "where only the grammar differs); every constrained update parses",
    }


def run(ctx: BenchContext) -> dict[str, Any]:
    rounds = 1 if ctx.quick else 2
    log(f"constrained: {rounds * len(INCOMING)} update prompts with and without the schema, alternating")
    result = measure(ctx.model, rounds=rounds, n_threads=ctx.n_threads)
    return result

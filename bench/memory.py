"""Issue 11: per-move prompt tokens and seconds over 150 rounds, memory beside today's window.

Two 150-round free games in a 2048-token context: today's window (the whole history until
the context is full, then the older half dropped) and memory (recent exchanges under a token
budget plus retrieved memories). The phrasebook players write the messages, behind the
embedded model's own context check: each prompt is rendered and tokenized by SmolLM2-135M,
and one that does not fit raises the runtime's ContextOverflowError, so the game master
shrinks its window exactly as it does in a real game. Every move's prompt size is counted
that way. Then the real model evaluates the prompts of three windows of rounds (5-10,
75-80, 145-150), each player's in order on its own session as in a game (its cache reusing
what the previous prompt shared), with answers cut to a few tokens: the prompt evaluation
is what grows with a game, and playing 600 full moves on two shared cores takes hours.
`python -m bench.memory` runs it alone.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import statistics
from pathlib import Path
from typing import Any

from .common import default_threads, log, rnd, smollm2_path
from .context import BenchContext

NAME = "memory"
ROUNDS, N_CTX, WORDS = 150, 2048, 6
WINDOWS = ((5, 10), (75, 80), (145, 150))
# Tokens the real model writes per replayed prompt.
ANSWER_TOKENS = 4
GOAL = "memory: round 145-150 prompt tokens and seconds <= 1.5x round 75-80's, no error"


class CheckedScript:
    """The phrasebook player behind the real model's context check; keeps each request."""

    def __init__(self, model: Any, state: Any, seat: int, kept: list[tuple[int, int, Any]]) -> None:
        from dictgame.engine.scripted import ScriptedBackend

        self.script = ScriptedBackend().session(Path("phrasebook"))
        self.model, self.state, self.seat, self.kept = model, state, seat, kept

    def generate(self, request: Any, on_text: Any = None, cancel: Any = None) -> Any:
        from dictgame.engine.backend import ContextOverflowError

        tokens = len(self.model.tokenize_prompt(self.model.render(request.messages)))
        if tokens + request.max_tokens > N_CTX:
            raise ContextOverflowError(tokens, request.max_tokens, N_CTX)
        self.kept.append((self.state.moves_played, self.seat, request, tokens))
        return self.script.generate(request, on_text, cancel)

    def reset(self) -> None:
        """A script keeps no cache."""


def scripted_game(model: Any, memory: bool, rounds: int) -> list[tuple[int, int, Any, int]]:
    """(move, seat, request, prompt tokens) of every request of the game, in order."""
    from dictgame.engine.core.episode import GameMaster, NoSaver, play
    from dictgame.engine.games.dictionary.settings import GameSettings
    from dictgame.engine.games.dictionary.state import GameState

    settings = GameSettings(rounds=rounds, words_per_message=WORDS, seed=7, memory=memory)
    state = GameState(settings)
    kept: list[tuple[int, int, Any, int]] = []
    sessions = (CheckedScript(model, state, 0, kept), CheckedScript(model, state, 1, kept))
    play(GameMaster(state, sessions), NoSaver())  # type: ignore[arg-type]
    if state.moves_played != settings.total_moves:
        raise RuntimeError(f"the game stopped after {state.moves_played} moves")
    return kept


def replay(backend: Any, kept: list[tuple[int, int, Any, int]], first: int, last: int) -> dict[str, Any]:
    """The real model on one window of rounds: per move, tokens evaluated and seconds."""
    evaluated: list[int] = []
    seconds: list[float] = []
    for seat in (0, 1):
        session = backend.session(smollm2_path())
        moves: dict[int, tuple[int, float]] = {}
        for move, owner, request, _ in kept:
            if owner != seat or not first <= move // 2 + 1 <= last:
                continue
            short = dataclasses.replace(request, max_tokens=ANSWER_TOKENS, json_schema=None)
            generation = session.generate(short)
            done = moves.get(move, (0, 0.0))
            moves[move] = (done[0] + generation.prompt_tokens, done[1] + generation.prompt_seconds)
        # The first move of a window starts on an empty cache, which a game never does.
        for move in sorted(moves)[1:]:
            evaluated.append(moves[move][0])
            seconds.append(moves[move][1])
    return {"evaluated_tokens": rnd(statistics.mean(evaluated), 0),
            "prompt_seconds": rnd(statistics.mean(seconds), 3)}


def prompt_sizes(kept: list[tuple[int, int, Any, int]], first: int, last: int) -> dict[str, Any]:
    per_move: dict[int, int] = {}
    for move, _, _, tokens in kept:
        if first <= move // 2 + 1 <= last:
            per_move[move] = max(per_move.get(move, 0), tokens)
    return {"prompt_tokens": rnd(statistics.mean(per_move.values()), 0),
            "prompt_tokens_max": max(per_move.values())}


def compare(rounds: int, n_threads: int) -> dict[str, Any]:
    from dictgame.engine.players.llama import LlamaBackend

    result: dict[str, Any] = {"rounds": rounds, "n_ctx": N_CTX, "threads": n_threads,
                              "answer_tokens": ANSWER_TOKENS}
    backend = LlamaBackend(n_ctx=N_CTX, n_threads=n_threads)
    try:
        model = backend.model(smollm2_path())
        for name, memory in (("window", False), ("memory", True)):
            log(f"memory bench: {rounds} rounds with {name}")
            kept = scripted_game(model, memory, rounds)
            rows = []
            for first, last in WINDOWS:
                if first > rounds:
                    continue
                row = {"rounds": f"{first}-{last}", **prompt_sizes(kept, first, last),
                       **replay(backend, kept, first, last)}
                log(f"  {name} {json.dumps(row)}")
                rows.append(row)
            result[name] = rows
    finally:
        backend.close()
    late, middle = result["memory"][-1], result["memory"][-2]
    result["memory_late_vs_middle"] = {
        key: rnd(late[key] / max(middle[key], 1e-9), 2)
        for key in ("prompt_tokens", "evaluated_tokens", "prompt_seconds")}
    result["met"] = all(v <= 1.5 for v in result["memory_late_vs_middle"].values())
    return result


def run(ctx: BenchContext) -> dict[str, Any]:
    return compare(ROUNDS, ctx.n_threads)


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    print(json.dumps(compare(args.rounds, args.threads or default_threads())))


if __name__ == "__main__":
    main()

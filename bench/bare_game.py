"""The bare baseline of issue 25: the free game played the seed script's way, with
llama-cpp-python alone.

One `llama_cpp.Llama` holds both players; every move sends the player's rules and the whole
conversation so far, first asking for a dictionary update as JSON (the whole dictionary
listed), then for the reply. The players alternate on the one Llama, so its own prefix
reuse keeps little. Nothing of dictgame is imported: the process holds only what such a
script holds, so its peak memory is the floor a game is compared with.

`python -m bench.bare_game --model PATH --rounds N` prints one JSON line: the seconds the
game took and the process's peak resident memory.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

import llama_cpp

SYSTEM = ("You are {name}. You speak only {language}; never any other language.\n"
          "You are chatting with {partner}, who speaks a language you do not know.\n"
          "Answer in one short sentence of at most {words} words.")
UPDATE = ("{partner} said: \"{message}\"\nYour dictionary of {partner}'s words:\n{entries}\n"
          "Update your dictionary with what you learned. Answer only with JSON like "
          '{{"updates": [{{"word": "<a word {partner} said>", "meaning": "<its meaning>"}}]}}')
PLAYERS = ({"name": "Alice", "language": "English"}, {"name": "Bruno", "language": "Spanish"})


def peak_rss_mib() -> float:
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def load(model: str, n_ctx: int, n_threads: int) -> llama_cpp.Llama:
    """As the engine loads it (bench.common.raw_llama): without llama.cpp's AMX repacking,
    which crashes on CPUs that have it."""
    with open("/proc/cpuinfo", encoding="ascii", errors="replace") as cpuinfo:
        amx = any(line.startswith("flags") and "amx_tile" in line.split() for line in cpuinfo)
    if amx:
        default_params = llama_cpp.llama_cpp.llama_model_default_params

        def without_amx() -> Any:
            params = default_params()
            params.use_extra_bufts = False
            return params

        llama_cpp.llama_cpp.llama_model_default_params = without_amx
    return llama_cpp.Llama(model_path=model, n_ctx=n_ctx, n_threads=n_threads,
                           n_threads_batch=n_threads, flash_attn=True, verbose=False)


def play(llm: llama_cpp.Llama, rounds: int, words: int, seed: int) -> dict[str, Any]:
    said: list[tuple[int, str]] = []  # (seat, message), the whole conversation
    dictionaries: tuple[dict[str, str], dict[str, str]] = ({}, {})
    generated = 0
    for move in range(2 * rounds):
        seat = move % 2
        me, partner = PLAYERS[seat], PLAYERS[1 - seat]
        system = SYSTEM.format(name=me["name"], language=me["language"], partner=partner["name"],
                               words=words)
        history: list[Any] = [{"role": "assistant" if who == seat else "user", "content": text}
                              for who, text in said]
        if said:
            entries = "\n".join(f"- {w} = {m}" for w, m in dictionaries[seat].items()) or "(empty)"
            ask = UPDATE.format(partner=partner["name"], message=said[-1][1], entries=entries)
            answer: Any = llm.create_chat_completion(
                messages=[{"role": "system", "content": system}, *history,
                          {"role": "user", "content": ask}],
                max_tokens=200, temperature=0.7, seed=seed + move,
                response_format={"type": "json_object"},
            )
            generated += answer["usage"]["completion_tokens"]
            try:
                for update in json.loads(answer["choices"][0]["message"]["content"])["updates"]:
                    dictionaries[seat][str(update["word"])[:24]] = str(update["meaning"])[:24]
            except (ValueError, KeyError, TypeError):
                pass
        prompt = said[-1][1] if said else "Greet your partner."
        reply: Any = llm.create_chat_completion(
            messages=[{"role": "system", "content": system}, *history,
                      {"role": "user", "content": prompt}],
            max_tokens=6 * words + 16, temperature=0.7, seed=seed + move,
        )
        generated += reply["usage"]["completion_tokens"]
        said.append((seat, str(reply["choices"][0]["message"]["content"]).strip() or "..."))
    return {"generated_tokens": generated,
            "dictionary_sizes": [len(d) for d in dictionaries]}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bare_game",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--model", required=True)
    parser.add_argument("--rounds", type=int, default=16)
    parser.add_argument("--words", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--context-size", type=int, default=4096)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    llm = load(args.model, args.context_size, args.threads)
    started = time.perf_counter()
    played = play(llm, args.rounds, args.words, args.seed)
    print(json.dumps({"rounds": args.rounds, "game_seconds": time.perf_counter() - started,
                      **played, "peak_rss_mib": peak_rss_mib()}))


if __name__ == "__main__":
    main()

"""Re-ask the listener's guesses of saved grounded games, greedily, with variants of its prompt.

Where a quality row is lost at the using step (the guess did not follow a right entry the
listener's dictionary held), this finds whether the prompt is the cause without playing the
games again: every guess whose prompt marked a thing as its dictionary's reading of the heard
word is asked again, as the game asked it (the system prompt, then the guess alone, under the
enum of the listener's things, temperature 0), once per variant, and the guesses that follow
the mark are counted. The games come from `python -m bench.quality --save FILE`.

`python -m bench.choose_replay [--model GGUF] FILE... [--variants base,nomark,...]`
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dictgame.engine.backend import ChatMessage, GenerationRequest
from dictgame.engine.games.dictionary.prompts import DICTIONARY_NOTE, PromptBook
from dictgame.engine.games.dictionary.rules import choice_schema, parse_choice
from dictgame.engine.games.dictionary.settings import GameSettings
from dictgame.saves.store import GameStore

from .common import log, smollm2_path

# The note choose.j2 puts beside the thing the listener's dictionary reads the heard word as.
NOTE = re.escape(DICTIONARY_NOTE).replace(re.escape("{foreign}"), '[^"]+')
MARK = re.compile(rf"^\d+\. (\S+)\s+<- {NOTE}$", re.M)
MARK_TAIL = re.compile(rf"\s+<- {NOTE}")
STATEMENT = re.compile(r"^Your dictionary says .*\n", re.M)


@dataclass(frozen=True)
class Guess:
    system: str
    instruction: str
    things: list[str]
    marked: str
    played: str


def numbered(guess: Guess) -> str:
    """The statement also names the marked thing's number."""
    number = guess.things.index(guess.marked) + 1
    return re.sub(r'^(Your dictionary says "[^"]+" means "[^"]+")\.', rf"\1 (your thing {number}).",
                  guess.instruction, flags=re.M)


def statement_first(guess: Guess) -> str:
    """The statement before the list of things, and no mark in the list."""
    body = MARK_TAIL.sub("", guess.instruction)
    return "".join(STATEMENT.findall(body)) + STATEMENT.sub("", body)


def as_played(things: list[str]) -> dict[str, Any]:
    """The game's schema for a guess by word."""
    return choice_schema(things, by_number=False)


def cased(things: list[str]) -> dict[str, Any]:
    """The things also capitalized and in capitals (`parse_choice` folds case): unconstrained,
    the Qwen of MODELS.md wrote "Kiga" for its "kiga" where the game's schema sent it to
    another thing."""
    forms = (form for thing in things for form in (thing, thing.capitalize(), thing.upper()))
    return {"enum": list(dict.fromkeys(forms))}


QUESTION = re.compile(r"^Which of your things .*\? ", re.M)


def statement_last(guess: Guess) -> str:
    """The statement after the question, the last thing read before the answer."""
    statements = "".join(STATEMENT.findall(guess.instruction)).strip()
    body = STATEMENT.sub("", guess.instruction)
    return QUESTION.sub(lambda m: m.group(0) + statements + " ", body)


def copied_prompt(guess: Guess) -> str:
    """The answer first copies what the dictionary says, then names the thing."""
    return (guess.instruction.rsplit("Answer with", 1)[0]
            + 'Answer with JSON: {"dictionary says": "<the thing your dictionary says>", '
              '"thing": "<the thing you choose>"}.')


def copied(things: list[str]) -> dict[str, Any]:
    choice = choice_schema(things, by_number=False)
    return {"type": "object", "properties": {"dictionary says": choice, "thing": choice},
            "required": ["dictionary says", "thing"]}


# Each variant: the instruction asked, and the schema the guess is held to.
Schema = Callable[[list[str]], "dict[str, Any] | None"]
VARIANTS: dict[str, tuple[Callable[[Guess], str], Schema]] = {
    "base": (lambda g: g.instruction, as_played),
    "nomark": (lambda g: MARK_TAIL.sub("", g.instruction), as_played),
    "nostatement": (lambda g: STATEMENT.sub("", g.instruction), as_played),
    "numbered": (numbered, as_played),
    "first": (statement_first, as_played),
    "cased": (lambda g: g.instruction, cased),
    "free": (lambda g: g.instruction, lambda things: None),
    "last": (statement_last, as_played),
    "copied": (copied_prompt, copied),
}


def marked_guesses(path: Path) -> list[Guess]:
    """Each move's first guess whose prompt marked a thing, from one saved-games file."""
    found = []
    with GameStore.open(path) as store:
        states = [store.load_game(summary.id) for summary in store.list_games()]
    for state in states:
        if not isinstance(state.settings, GameSettings) or not state.settings.grounded:
            continue
        book = PromptBook(state.settings)
        for move in state.moves:
            attempt = next((a for a in move.attempts if a.step == "choose"), None)
            mark = MARK.search(attempt.instruction) if attempt else None
            if attempt is None or mark is None:
                continue
            found.append(Guess(book.system(move.seat), attempt.instruction,
                               re.findall(r"^\d+\. (\S+)", attempt.instruction, re.M),
                               mark.group(1), attempt.raw_output))
    return found


def follows(guess: Guess, text: str) -> bool:
    """Whether a guess, read as the game reads it, is the marked thing (an object's
    "thing", for the `copied` variant)."""
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        document = None
    if isinstance(document, dict):
        text = json.dumps(document.get("thing"))
    index, _ = parse_choice(text, guess.things)
    return index is not None and guess.things[index] == guess.marked


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.choose_replay",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("games", type=Path, nargs="+", help="saved-games files")
    parser.add_argument("--model", type=Path, help="the GGUF to ask (default: the embedded one)")
    parser.add_argument("--variants", default="base,nomark,nostatement,numbered,first",
                        help=f"comma-separated, of: {', '.join(VARIANTS)}")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    from dictgame.engine.players.llama.backend import LlamaBackend

    guesses = [g for path in args.games for g in marked_guesses(path)]
    played = sum(follows(g, g.played) for g in guesses)
    log(f"choose_replay: {len(guesses)} guesses with a marked thing; as played, "
        f"{played} followed the mark")
    session = LlamaBackend(n_threads=args.threads).session(args.model or smollm2_path(),
                                                           aside=False)
    counts = {}
    for name in args.variants.split(","):
        instruction, schema = VARIANTS[name]
        counts[name] = sum(
            follows(g, session.generate(GenerationRequest(
                (ChatMessage("system", g.system), ChatMessage("user", instruction(g))),
                max_tokens=64, temperature=0.0, json_schema=schema(g.things),
            )).text)
            for g in guesses
        )
        log(f"  {name}: followed {counts[name]} of {len(guesses)}")
    print(json.dumps({"guesses": len(guesses), "played": played, "followed": counts}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

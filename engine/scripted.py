"""A backend that answers from a script instead of a model: for deterministic tests and demos.

It streams its answer a word at a time (with an optional delay, to behave like a model in
UI tests) and honours cancellation exactly as the llama.cpp backend does.
"""

from __future__ import annotations

import json
import random
import re
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from .backend import (
    CancelToken,
    FinishReason,
    Generation,
    GenerationRequest,
    TokenCallback,
)

Responder = Callable[[GenerationRequest], str]


class ScriptedSession:
    def __init__(self, responder: Responder, token_delay: float) -> None:
        self._responder = responder
        self._token_delay = token_delay

    def generate(
        self,
        request: GenerationRequest,
        on_text: TokenCallback | None = None,
        cancel: CancelToken | None = None,
    ) -> Generation:
        started = time.perf_counter()
        text = self._responder(request)
        pieces = re.findall(r"\s*\S+", text) or [text]
        emitted: list[str] = []
        for piece in pieces:
            if cancel is not None:
                cancel.raise_if_cancelled()
            if self._token_delay:
                time.sleep(self._token_delay)
            emitted.append(piece)
            if on_text is not None:
                on_text(piece)
            if len(emitted) >= request.max_tokens:
                break
        if cancel is not None:
            cancel.raise_if_cancelled()
        finished: FinishReason = "length" if len(emitted) < len(pieces) else "stop"
        prompt_words = sum(len(m.content.split()) for m in request.messages)
        return Generation(
            text="".join(emitted),
            finish_reason=finished,
            prompt_tokens=prompt_words,
            cached_tokens=0,
            completion_tokens=len(emitted),
            seconds=time.perf_counter() - started,
        )

    def reset(self) -> None:
        """A script keeps no cache."""


class ScriptedBackend:
    """Every session answers through `responder` (by default, the phrasebook players)."""

    # What a game records as the backend of the seats it plays (engine/core/provenance.py).
    kind = "scripted"

    def __init__(self, responder: Responder | None = None, token_delay: float = 0.0) -> None:
        self.responder = responder or scripted_player
        self.token_delay = token_delay

    def session(self, model_path: Path) -> ScriptedSession:
        return ScriptedSession(self.responder, self.token_delay)

    def close(self) -> None:
        """Nothing to free."""


def replies_in_order(outputs: Iterable[str]) -> Responder:
    """A responder that gives these answers one after the other, whatever it is asked."""
    remaining: Iterator[str] = iter(outputs)

    def respond(request: GenerationRequest) -> str:
        return next(remaining)

    return respond


# A few words each phrasebook player knows, aligned across languages.
PHRASEBOOK: dict[str, list[str]] = {
    "english": ["hello", "friend", "water", "sun", "house", "good", "yes", "bread", "cat", "tree"],
    "spanish": ["hola", "amigo", "agua", "sol", "casa", "bueno", "sí", "pan", "gato", "árbol"],
    "french": ["bonjour", "ami", "eau", "soleil", "maison", "bon", "oui", "pain", "chat", "arbre"],
}


def scripted_player(request: GenerationRequest) -> str:
    """The scripted player of the game the prompt is for: a negotiator in Deal or No Deal,
    a greeter in hellogame, the phrasebook player otherwise."""
    from .games.dealnodeal.scripted import is_deal_prompt, negotiator
    from .games.hellogame.scripted import greeter, is_greeting_prompt

    if is_deal_prompt(request):
        return negotiator(request)
    return greeter(request) if is_greeting_prompt(request) else phrasebook_player(request)


def phrasebook_player(request: GenerationRequest) -> str:
    """A well-behaved player: speaks phrasebook words, and learns those it hears.

    It reads its language from the system prompt and the partner's message from the game
    master's instruction, so it exercises the real prompts. In a grounded game it names the
    target it is given, guesses what its dictionary points at (else at random), and learns
    what the game master reveals.
    """
    grounded = _scene_player(request)
    if grounded is not None:
        return grounded
    system = request.messages[0].content
    match = re.search(r"You speak only (\w+)", system)
    language = match.group(1).lower() if match else "english"
    own_words = PHRASEBOOK.get(language, PHRASEBOOK["english"])
    picker = random.Random(f"{request.seed}-{len(request.messages)}")
    if request.json_schema is not None and "insights" in request.json_schema.get("properties", {}):
        return _phrasebook_reflection(request)
    if request.json_schema is not None:
        return _phrasebook_update(request, own_words)
    count = picker.randint(2, 4)
    words = picker.sample(own_words, count)
    # Free talk with a topic: it says the word it is asked to, as the move rules require.
    topic = re.search(r'say the word "([^"]+)"', request.messages[-1].content)
    if topic:
        words.append(topic.group(1))
    return " ".join(words).capitalize()


def _phrasebook_reflection(request: GenerationRequest) -> str:
    """A reflection that restates the words learned among the memories shown, citing them."""
    learned = re.findall(r'^\[(\d+)\].*learned \S+ word "([^"]+)" means "([^"]+)"',
                         request.messages[-1].content, re.MULTILINE)
    insights = [{"insight": f"{word} means {meaning}", "because": [int(number)]}
                for number, word, meaning in learned[:3]]
    return json.dumps({"insights": insights or [{"insight": "I know few words yet",
                                                 "because": []}]}, ensure_ascii=False)


def _phrasebook_update(request: GenerationRequest, own_words: list[str]) -> str:
    instruction = request.messages[-1].content
    heard = re.search(r'said: "(.*)"', instruction)
    updates = []
    for word in re.findall(r"\w+", heard.group(1).lower() if heard else ""):
        for words in PHRASEBOOK.values():
            if word in words and words is not own_words:
                meaning = own_words[words.index(word)]
                updates.append(
                    {"op": "add", "word": word, "meaning": meaning, "confidence": 0.8}
                )
                break
    return json.dumps({"updates": updates[:3]}, ensure_ascii=False)


# The speaker's line of describe.j2, in either mode's wording: its target's word.
NAMED_TARGET = re.compile(r'Your target is thing \d+(?:, |\. Say its word[^"]*)"([^"]+)"')


def _scene_player(request: GenerationRequest) -> str | None:
    """The phrasebook player's answer to a grounded game's asks; None for other asks."""
    instruction = request.messages[-1].content
    named = NAMED_TARGET.search(instruction)
    if named:
        return named.group(1)
    schema = request.json_schema or {}
    picker = random.Random(f"{request.seed}-{len(instruction)}")
    if "enum" in schema:
        options = schema["enum"]
        pointed = re.search(r"^(\d+)\. (.+?)\s+<- ", instruction, re.MULTILINE)
        if pointed:
            number, word = int(pointed.group(1)), pointed.group(2)
            return json.dumps(number if number in options else word, ensure_ascii=False)
        return json.dumps(picker.choice(options), ensure_ascii=False)
    item = schema.get("properties", {}).get("updates", {}).get("items", {})
    if "anyOf" in item:  # after a verdict: the heard word's own branch comes first
        item = item["anyOf"][0]
    words = item.get("properties", {}).get("word", {}).get("enum")
    if words is None or "enum" not in item.get("properties", {}).get("meaning", {}):
        return None  # not a grounded round
    if "was talking about what you call" in instruction:
        return None  # free talk with a topic: the phrasebook player writes what it knows
    meant = re.search(r'meant "([^"]+)"', instruction)
    updates = []
    if meant:
        updates.append({"op": "add", "word": words[0], "meaning": meant.group(1), "confidence": 0.8})
    return json.dumps({"updates": updates}, ensure_ascii=False)

"""Sessions decoding together in one llama.cpp context (one sequence each), on the real
embedded model: each says what it says alone, keeps its own cache, and stops alone."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from difflib import SequenceMatcher
from pathlib import Path

import pytest

from dictgame.engine.backend import (
    CancelToken,
    ChatMessage,
    Generation,
    GenerationCancelled,
    GenerationRequest,
)
from dictgame.engine.players.llama import LlamaBackend
from dictgame.models import embedded_model_path

pytestmark = pytest.mark.real_model

N_CTX = 1024
SYSTEM = ChatMessage("system", "You are a helpful assistant.")
COUNT = (SYSTEM, ChatMessage("user", "Count from one to twenty in words."))
# Prompts whose greedy answers have wide margins: a batch of another shape shifts the logits a
# little (llama.cpp sums in another order), which may flip a near tie in a creative answer.
DAYS = (SYSTEM, ChatMessage("user", "Name the seven days of the week, in order, starting with Monday."))
ANIMAL_SCHEMA = {
    "type": "object",
    "properties": {"animal": {"type": "string"}, "legs": {"type": "integer"}},
    "required": ["animal", "legs"],
}
ANIMAL = (SYSTEM, ChatMessage("user", "Name an animal and its number of legs, as JSON."))


def greedy(messages: tuple[ChatMessage, ...], max_tokens: int = 40, **extra) -> GenerationRequest:
    return GenerationRequest(messages=messages, max_tokens=max_tokens, temperature=0.0, **extra)


@pytest.fixture(scope="module")
def model_path() -> Path:
    return Path(embedded_model_path())


@pytest.fixture
def batched() -> Iterator[LlamaBackend]:
    backend = LlamaBackend(n_ctx=N_CTX, n_threads=1, batch_sequences=4)
    yield backend
    backend.close()


@pytest.fixture(scope="module")
def alone(model_path: Path) -> Iterator[Callable[[GenerationRequest], Generation]]:
    """Generates in a fresh context of its own: what a session says with no one beside it."""
    backend = LlamaBackend(n_ctx=N_CTX, n_threads=1)
    yield lambda request: backend.session(model_path).generate(request)
    backend.close()


def near(text: str, expected: str) -> bool:
    """The same answer up to a flipped near tie (see the first test): after a flip the tiny
    model may go on quite differently, but two answers to different prompts score about 0.15."""
    return SequenceMatcher(None, text, expected).ratio() >= 0.25


def together(*calls: Callable[[], Generation]) -> list[Generation | BaseException]:
    """Run the calls in threads started at once; each one's generation or exception."""
    results: list[Generation | BaseException] = [RuntimeError("not run")] * len(calls)
    start = threading.Barrier(len(calls))

    def run(i: int) -> None:
        start.wait()
        try:
            results[i] = calls[i]()
        except BaseException as error:  # noqa: BLE001 - the test looks at it
            results[i] = error

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


def test_sessions_decoding_together_say_what_each_says_alone(
    batched: LlamaBackend, model_path: Path, alone: Callable[[GenerationRequest], Generation]
) -> None:
    requests = [greedy(COUNT), greedy(DAYS), greedy(ANIMAL, json_schema=ANIMAL_SCHEMA)]
    sessions = [batched.session(model_path) for _ in requests]
    results = together(*(lambda s=s, r=r: s.generate(r) for s, r in zip(sessions, requests)))
    expected = [alone(request) for request in requests]
    for own, result in enumerate(results):
        assert isinstance(result, Generation), result
        assert result.prompt_tokens == expected[own].prompt_tokens
        # Each says what it says alone: near-identical text, and nearer its own answer than any
        # other session's (a mixed-up sequence or logits row would say another's, or noise).
        # Not bit-identical: a batch of another shape sums in another order, which can flip a
        # near tie ("legs": 3 or 4) and everything after it.
        likeness = [SequenceMatcher(None, result.text, e.text).ratio() for e in expected]
        assert near(result.text, expected[own].text), (result.text, expected[own].text)
        assert likeness[own] == max(likeness), (result.text, [e.text for e in expected])
    json.loads(results[2].text)  # type: ignore[union-attr]
    decodes, sequences = batched.decode_counts()
    assert sequences > decodes, "no decode took more than one session's tokens"


def test_each_session_reuses_its_own_cached_prefix(
    batched: LlamaBackend, model_path: Path
) -> None:
    ana, bob = batched.session(model_path), batched.session(model_path)
    first = together(lambda: ana.generate(greedy(COUNT)), lambda: bob.generate(greedy(DAYS)))
    assert all(isinstance(g, Generation) and g.cached_tokens == 0 for g in first)
    ana_first, bob_first = first
    assert isinstance(ana_first, Generation) and isinstance(bob_first, Generation)
    ana_turn = (*COUNT, ChatMessage("assistant", ana_first.text), ChatMessage("user", "Again."))
    bob_turn = (*DAYS, ChatMessage("assistant", bob_first.text), ChatMessage("user", "Another."))
    second = together(lambda: ana.generate(greedy(ana_turn)), lambda: bob.generate(greedy(bob_turn)))
    for before, after in zip(first, second):
        assert isinstance(before, Generation) and isinstance(after, Generation)
        assert after.cached_tokens >= before.prompt_tokens
        assert after.prompt_tokens < before.prompt_tokens / 2
    # Clearing one session's cache leaves the other's.
    ana.reset()
    assert ana.generate(greedy(ana_turn, max_tokens=1)).cached_tokens == 0
    assert bob.generate(greedy(bob_turn, max_tokens=1)).cached_tokens > 0


def test_cancelling_one_session_lets_the_other_finish(
    batched: LlamaBackend, model_path: Path, alone: Callable[[GenerationRequest], Generation]
) -> None:
    ana, bob = batched.session(model_path), batched.session(model_path)
    cancel = CancelToken()
    pieces: list[str] = []

    def cancel_after_three(piece: str) -> None:
        pieces.append(piece)
        if len(pieces) == 3:
            cancel.cancel()

    stopped, finished = together(
        lambda: ana.generate(greedy(COUNT), on_text=cancel_after_three, cancel=cancel),
        lambda: bob.generate(greedy(DAYS, max_tokens=60)),
    )
    assert isinstance(stopped, GenerationCancelled)
    assert len(pieces) == 3
    assert isinstance(finished, Generation)
    assert near(finished.text, alone(greedy(DAYS, max_tokens=60)).text)
    # The cancelled session goes on from what its cache kept.
    again = ana.generate(greedy(COUNT))
    assert again.cached_tokens > 0
    assert near(again.text, alone(greedy(COUNT)).text)


def test_more_sessions_than_sequences_open_another_context(
    model_path: Path, alone: Callable[[GenerationRequest], Generation]
) -> None:
    backend = LlamaBackend(n_ctx=N_CTX, n_threads=1, batch_sequences=2)
    try:
        sessions = [backend.session(model_path) for _ in range(3)]
        results = together(*(lambda s=s: s.generate(greedy(DAYS, max_tokens=12)) for s in sessions))
        expected = alone(greedy(DAYS, max_tokens=12)).text
        assert all(isinstance(r, Generation) and near(r.text, expected) for r in results), results
        # A closed session's sequence goes to the next session.
        sessions[0].close()
        assert near(backend.session(model_path).generate(greedy(DAYS, max_tokens=12)).text, expected)
    finally:
        backend.close()


def test_a_stop_of_every_session_aborts_the_shared_decode_at_once(model_path: Path) -> None:
    """A run being stopped cancels all its players: the decode they share stops within an
    operation, not when its batch is done, and each session then plays on as a fresh one."""
    backend = LlamaBackend(n_ctx=2048, n_threads=1, n_batch=2048, batch_sequences=2)
    try:
        requests = [
            greedy((SYSTEM, ChatMessage("user", " ".join([question] * 60))), max_tokens=4)
            for question in ("What is your word for the sun?", "Name a colour of the sea.")
        ]
        started = time.perf_counter()
        fresh = together(*(lambda r=r: backend.session(model_path).generate(r) for r in requests))
        whole = time.perf_counter() - started
        assert all(isinstance(g, Generation) and g.prompt_tokens > 400 for g in fresh)

        sessions = [backend.session(model_path) for _ in requests]
        stop = CancelToken()
        threading.Timer(whole / 10, stop.cancel).start()
        started = time.perf_counter()
        stopped = together(*(lambda s=s, r=r: s.generate(r, cancel=stop)
                             for s, r in zip(sessions, requests)))
        elapsed = time.perf_counter() - started
        assert all(isinstance(result, GenerationCancelled) for result in stopped), stopped
        assert elapsed < whole / 2, f"stopped after {elapsed:.2f} s of a {whole:.2f} s decode"
        again = together(*(lambda s=s, r=r: s.generate(r) for s, r in zip(sessions, requests)))
        assert [getattr(g, "text", g) for g in again] == [getattr(g, "text", g) for g in fresh]
    finally:
        backend.close()

"""Sessions decoding together in one llama.cpp context (one sequence each), on the real
embedded model: each says what it says alone, keeps its own cache, and stops alone."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

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


# -- next-token logits, sequence by sequence ----------------------------------------------------

STEPS = 200
# Prompts of about 75 tokens each (a game's prompts are longer still). llama.cpp's kernels change
# with the number of tokens in a batch: a prompt of 28 tokens alone, read whole or token by token,
# gives the very same logits, which four such prompts read together do not (up to 1.4 apart),
# so no way of reading a short prompt alone measures what a batch's shape does by itself.
LONG_SYSTEM = ChatMessage("system", (
    "You are a helpful assistant. You answer in plain English, in full sentences, without lists "
    "or headings. You never refuse a question about everyday things: days, numbers, animals, the "
    "weather, the sea, food and stories. Keep each answer short and friendly."))
QUESTIONS = ("Count from one to twenty in words.", "Name the seven days of the week.",
             "Tell me a short story about a cat.", "Describe the sea in a few sentences.")


def logit_rows(kv: Any, vocab: int, prompt: list[int], forced: list[int] | None,
               chunk: int | None = None) -> tuple[list[int], list[Any]]:
    """STEPS next-token logit rows of one sequence, each step fed the greedy token (or the
    `forced` one, so that two runs see the same tokens); the prompt in one piece, or `chunk`s."""
    import llama_cpp
    import numpy as np

    kv.begin()
    rows, tokens, n_past, feed = [], [], 0, list(prompt)
    try:  # ended even on a failure: a shared decode waits for every sequence of the last one
        while chunk and len(feed) > chunk:
            kv.decode(feed[:chunk], n_past)
            n_past, feed = n_past + chunk, feed[chunk:]
        for step in range(STEPS):
            index = kv.decode(feed, n_past)
            n_past += len(feed)
            row = np.ctypeslib.as_array(llama_cpp.llama_get_logits_ith(kv.context, index), shape=(vocab,))
            rows.append(row.copy())
            tokens.append(int(row.argmax()) if forced is None else forced[step])
            feed = [tokens[-1]]
    finally:
        kv.end()
    return tokens, rows


def compare(rows: list[Any], reference: tuple[list[int], list[Any]]) -> tuple[float, float]:
    """(share of steps with the same top-1 token, largest logit difference)."""
    import numpy as np

    same = sum(int(row.argmax()) == int(ref.argmax()) for row, ref in zip(rows, reference[1]))
    return same / len(rows), max(float(np.abs(row - ref).max()) for row, ref in zip(rows, reference[1]))


def test_each_sequence_of_a_batch_reads_the_logits_it_reads_alone(model_path: Path) -> None:
    """Each sequence of a shared context, in batches of three shapes (two prompts at once, four
    at once, three joining one after another so a prompt shares a batch with others' single
    tokens), fed the very tokens it was fed alone: its next-token logits, step by step for 200
    greedy steps, against the same sequence alone.

    The bound is llama.cpp's own: the same sequence alone, its prompt read token by token
    instead of in one piece, measured here (on the machine that made this test: largest
    difference 2.005, top-1 the same on 96.0% of steps; the batches: 1.32-1.77, 96.5-98.0%:
    so the 99% of steps asked of the batches is more than llama.cpp gives a sequence alone).
    A batch may move a sequence's logits by no more than 1.25 times that, and its top-1 token
    may differ on at most 1% of steps more often than llama.cpp's own does. A sequence that
    read another's row, or attended to another's cache, would be off by far more: the rows of
    two different prompts here differ by about 12, and each row is checked to be nearer its
    own sequence's row alone than any other's.
    """
    import llama_cpp
    import numpy as np

    from dictgame.engine.players.llama.batched import SharedContext
    from dictgame.engine.players.llama.context import OwnContext

    backend = LlamaBackend(n_ctx=N_CTX, n_threads=1)
    try:
        loaded = backend.model(model_path)
        vocab = llama_cpp.llama_vocab_n_tokens(llama_cpp.llama_model_get_vocab(loaded.handle))
        prompts = [loaded.tokenize_prompt(loaded.render((LONG_SYSTEM, ChatMessage("user", q))))
                   for q in QUESTIONS]

        def own(prompt: list[int], forced: list[int] | None = None, chunk: int | None = None
                ) -> tuple[list[int], list[Any]]:
            kv = OwnContext(loaded, n_ctx=N_CTX, n_threads=1, n_batch=512)
            try:
                return logit_rows(kv, vocab, prompt, forced, chunk)
            finally:
                kv.close()

        alone = [own(prompt) for prompt in prompts]
        own_way = [compare(own(p, a[0], chunk=1)[1], a) for p, a in zip(prompts, alone)]
        own_same = min(same for same, _ in own_way)
        own_diff = max(diff for _, diff in own_way)
        print(f"alone, prompt token by token: top-1 same {own_same:.1%}, largest difference {own_diff:.3f}")

        for sequences, stagger in ((2, 0.0), (4, 0.0), (3, 0.3)):
            shared = SharedContext(loaded, sequences=sequences, n_ctx=N_CTX, n_threads=1, n_batch=512)
            results: list[Any] = [None] * sequences

            def run(i: int, shared: SharedContext = shared, stagger: float = stagger) -> None:
                time.sleep(stagger * i)
                try:
                    results[i] = logit_rows(shared.sequence(), vocab, prompts[i], alone[i][0])[1]
                except BaseException as error:  # noqa: BLE001 - the test looks at it
                    results[i] = error

            threads = [threading.Thread(target=run, args=(i,)) for i in range(sequences)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=600)
            together_counts = (shared.decodes, shared.sequences_decoded)
            shared.close()
            assert together_counts[1] > together_counts[0], "the sequences never shared a decode"
            for i, rows in enumerate(results):
                assert isinstance(rows, list), (sequences, i, rows)
                same, diff = compare(rows, alone[i])
                print(f"batch of {sequences} (joining {stagger} s apart), sequence {i}: "
                      f"top-1 same {same:.1%}, largest difference {diff:.3f}")
                assert diff <= 1.25 * own_diff + 1e-3, (sequences, i, diff, own_diff)
                assert same >= own_same - 0.01, (sequences, i, same, own_same)
                for row, step in ((rows[0], 0), (rows[-1], STEPS - 1)):
                    distances = [float(np.abs(row - other[1][step]).max()) for other in alone]
                    assert int(np.argmin(distances)) == i, (sequences, i, distances)
    finally:
        backend.close()

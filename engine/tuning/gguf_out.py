"""Writing a fine-tuned model back as GGUF: a copy of the base file (its tokenizer, chat
template and every tensor LoRA did not touch, byte for byte, quantisation included) where the
tensors LoRA changed carry the base's weights plus the merged update, quantised to Q8_0.

No converter script is needed at run time: the names and layout of the few changed tensors
are those of llama.cpp's `convert_hf_to_gguf.py` for the architectures listed here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from . import METADATA_PREFIX, FinetuneError, whole_file

# Hugging Face module name -> GGUF tensor name, per layer.
TENSOR_NAMES = {
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}
# The architectures whose layers are written under these names. llama.cpp's converter
# reorders the rows of llama's query and key weights (its rotary embedding pairs dimensions
# differently from Hugging Face's); Qwen2 keeps them as they are.
ARCHITECTURES: dict[str, frozenset[str]] = {
    "llama": frozenset({"attn_q", "attn_k"}),
    "qwen2": frozenset(),
}
_MODULE = re.compile(r"(?:^|\.)layers\.(\d+)\.(\w+\.\w+)$")


def gguf_tensor_name(module: str) -> str:
    """`model.layers.3.self_attn.q_proj` -> `blk.3.attn_q.weight`."""
    match = _MODULE.search(module)
    if not match or match.group(2) not in TENSOR_NAMES:
        raise FinetuneError(f"no GGUF tensor for the module {module}")
    return f"blk.{match.group(1)}.{TENSOR_NAMES[match.group(2)]}.weight"


def to_gguf_layout(weight: np.ndarray, name: str, architecture: str, heads: int, kv_heads: int) -> np.ndarray:
    """A Hugging Face weight (rows = outputs) in the row order llama.cpp expects."""
    kind = name.split(".")[2]
    if kind not in ARCHITECTURES[architecture]:
        return weight
    n = kv_heads if kind == "attn_k" else heads
    return weight.reshape(n, 2, weight.shape[0] // n // 2, *weight.shape[1:]).swapaxes(1, 2).reshape(weight.shape)


def base_weight(tensor: Any) -> np.ndarray:
    """A GGUF tensor of the base, dequantised, as (rows, columns) in float32."""
    import gguf

    data = gguf.quants.dequantize(tensor.data, tensor.tensor_type)
    return np.asarray(data, dtype=np.float32).reshape([int(d) for d in reversed(tensor.shape)])


def _quantised(weight: np.ndarray) -> tuple[np.ndarray, Any]:
    import gguf

    if weight.ndim == 2 and weight.shape[1] % 32 == 0:
        q8 = gguf.GGMLQuantizationType.Q8_0
        return gguf.quants.quantize(weight, q8), q8
    return weight.astype(np.float32), gguf.GGMLQuantizationType.F32


def write_gguf(
    base: Path,
    out: Path,
    updates: Mapping[str, np.ndarray],
    architecture: str,
    heads: int,
    kv_heads: int,
    record: Mapping[str, str | int | float],
) -> None:
    """Write `out` (through a temporary file beside it, renamed when complete): the base with
    `updates` (Hugging Face module name -> merged-minus-base delta, rows = outputs) added to
    its tensors, and `record` under `dictgame.finetune.*` in the metadata."""
    import gguf

    reader = gguf.GGUFReader(base)
    deltas = {gguf_tensor_name(module): delta for module, delta in updates.items()}
    tensors = {t.name: t for t in reader.tensors}
    unknown = sorted(set(deltas) - set(tensors))
    if unknown:
        raise FinetuneError(f"{base.name} has no tensor {unknown[0]}")
    changed: dict[str, tuple[np.ndarray, Any]] = {}
    for name, delta in deltas.items():
        weight = base_weight(tensors[name]) + to_gguf_layout(delta, name, architecture, heads, kv_heads)
        changed[name] = _quantised(weight)

    with whole_file(out) as temporary:
        writer = gguf.GGUFWriter(temporary, architecture)
        for field in reader.fields.values():
            if field.name == gguf.Keys.General.ARCHITECTURE or field.name.startswith(("GGUF.", METADATA_PREFIX)):
                continue
            kind = field.types[0]
            sub = field.types[-1] if kind == gguf.GGUFValueType.ARRAY else None
            writer.add_key_value(field.name, field.contents(), kind, sub_type=sub)
        for key, value in record.items():
            writer.add_key_value(METADATA_PREFIX + key, value, _value_type(value))
        for tensor in reader.tensors:
            data, kind = changed.get(tensor.name, (tensor.data, tensor.tensor_type))
            writer.add_tensor_info(tensor.name, data.shape, data.dtype, data.nbytes, kind)
        writer.write_header_to_file()
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        for tensor in reader.tensors:
            writer.write_tensor_data(changed.get(tensor.name, (tensor.data, None))[0])
        writer.close()


def _value_type(value: str | int | float) -> Any:
    import gguf

    if isinstance(value, bool) or isinstance(value, int):
        return gguf.GGUFValueType.INT64
    if isinstance(value, float):
        return gguf.GGUFValueType.FLOAT64
    return gguf.GGUFValueType.STRING


def finetune_record(path: Path) -> dict[str, Any]:
    """The `dictgame.finetune.*` metadata of a GGUF file (empty for a model not made here)."""
    import gguf

    reader = gguf.GGUFReader(path)
    return {
        name.removeprefix(METADATA_PREFIX): field.contents()
        for name, field in reader.fields.items()
        if name.startswith(METADATA_PREFIX)
    }

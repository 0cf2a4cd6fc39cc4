"""Reads what a GGUF model file says about itself, without loading its weights.

Why a hand-written parser rather than ``gguf.GGUFReader``: the reader memory-maps the
whole file and decodes every metadata array and tensor entry up front. Measured (2-core
CPU, warm page cache): on a 1 GB file with Qwen2.5's vocabulary size (151,936 tokens and
151,387 merges) it takes 9.4 s and 528 MiB at peak, this parser 58 ms and 37 MiB; on the
98 MB embedded SmolLM2, 1.8-3.0 s against 14-16 ms. ``dictgame models`` and the new-game
screen read every model found, so the reader would cost seconds per file. On damaged
files it raises IndexError, ValueError, UnicodeDecodeError or RecursionError with
messages such as "index 0 is out of bounds" (100 headers with flipped bytes: up to 2.1 s
each), and it cannot describe a file whose weights are missing, since it maps every
tensor. This parser reads the key/value section only, seeks past arrays it does not
need, checks every length against the bytes the file still has, and turns every
problem into one ``ModelFileError`` that says what is wrong. The ``gguf`` package stays
in the test extras as the reference the tests compare against.

GGUF layout (versions 2 and 3, little-endian): magic ``b"GGUF"``, version u32,
tensor_count u64, kv_count u64, then kv_count pairs of (key string, value type u32,
value); strings are a u64 byte length then UTF-8 bytes; arrays are an item type u32,
an item count u64, then the items. Tensor descriptions follow the key/value section.
"""

import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from .gguf_header import (
    LINEAGE_PREFIX,
    CorruptHeader,
    HeaderReader,
    main_tensor_type,
    read_metadata,
    token_strings,
)

GGUF_MAGIC = b"GGUF"
SUPPORTED_GGUF_VERSIONS = (2, 3)

# llama.cpp's llama_ftype, stored as general.file_type ("MOSTLY_" dropped).
_FILE_TYPE_NAMES: dict[int, str] = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1",
    10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M",
    16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S",
    22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M",
    28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 33: "Q4_0_4_4",
    34: "Q4_0_4_8", 35: "Q4_0_8_8", 36: "TQ1_0", 37: "TQ2_0", 38: "MXFP4_MOE",
}  # fmt: skip

# Beginnings of files people mistake for models, with what to do about them.
_LOOKALIKE_HINTS: dict[bytes, str] = {
    b"version https://git-lfs": "it is a Git LFS pointer; fetch the real file with `git lfs pull`",
    b"<!DOCTYPE": "it is a web page; the download failed, download the model again",
    b"<html": "it is a web page; the download failed, download the model again",
}


@dataclass(frozen=True)
class ModelInfo:
    """What the game shows about a model and needs to load and prompt it."""

    path: Path
    name: str
    architecture: str
    size_bytes: int
    quantization: str
    context_length: int | None
    chat_template: str | None
    bos_token: str | None
    eos_token: str | None
    kind: str = "model"
    """general.type: "model" (also when absent, as in older files), "adapter", "mmproj"..."""
    lineage: Mapping[str, object] = field(default_factory=dict, hash=False)
    """What dictgame fine-tuned it from (its `dictgame.finetune.*` metadata, the prefix
    dropped: base, base_sha256, examples, data, filter...); empty for every other model."""

    @property
    def has_chat_template(self) -> bool:
        """Without a template the engine must fall back to a generic prompt format."""
        return bool(self.chat_template)


class ModelFileError(Exception):
    """A model file that cannot be used, with a one-line message naming file and problem."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"model file {path}: {problem}".replace("\n", "\\n"))


def _positive_int(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return None


def _not_gguf_problem(start: bytes) -> str:
    for prefix, hint in _LOOKALIKE_HINTS.items():
        if start.startswith(prefix):
            return f"not a GGUF file: {hint}"
    first = start[:4]
    if first and all(32 <= byte < 127 for byte in first):
        return f'not a GGUF file (it starts with the text "{first.decode("ascii")}")'
    return f"not a GGUF file (it starts with the bytes {first.hex(' ') or 'nothing'})"


def _version_problem(version: int) -> str:
    if int.from_bytes(version.to_bytes(4, "little"), "big") in SUPPORTED_GGUF_VERSIONS:
        return "big-endian GGUF, which llama.cpp cannot load on this machine; get a little-endian file"
    if version < min(SUPPORTED_GGUF_VERSIONS):
        return f"GGUF version {version} is too old; download or convert the model again"
    return f"unsupported GGUF version {version} (dictgame reads versions 2 and 3)"


def _parse(path: Path, file: BinaryIO, file_size: int) -> ModelInfo:
    head = file.read(32)
    file.seek(0)
    if not head.startswith(GGUF_MAGIC) and not GGUF_MAGIC.startswith(head):
        raise ModelFileError(path, _not_gguf_problem(head))
    reader = HeaderReader(file, file_size)
    reader.take(len(GGUF_MAGIC), "magic")
    version = reader.u32("GGUF version")
    if version not in SUPPORTED_GGUF_VERSIONS:
        raise ModelFileError(path, _version_problem(version))
    tensor_count = reader.u64("tensor count")
    # A key/value pair takes at least 13 bytes: key length, value type, one value byte.
    kv_count = reader.count(13, 1 << 62, "key/value count")
    metadata = read_metadata(reader, kv_count)
    values = metadata.values

    architecture = values.get("general.architecture")
    if not isinstance(architecture, str) or not architecture:
        raise ModelFileError(
            path, "no general.architecture in its metadata; llama.cpp cannot load it"
        )
    file_type = values.get("general.file_type")
    quantization = (
        _FILE_TYPE_NAMES.get(file_type) if isinstance(file_type, int) else None
    )
    if quantization is None:
        quantization = main_tensor_type(reader, metadata, tensor_count)

    bos_id = values.get("tokenizer.ggml.bos_token_id")
    eos_id = values.get("tokenizer.ggml.eos_token_id")
    token_ids = [token_id for token_id in (bos_id, eos_id) if isinstance(token_id, int)]
    tokens = token_strings(reader, metadata, token_ids)

    name = values.get("general.name")
    chat_template = values.get("tokenizer.chat_template") or None
    kind = values.get("general.type")
    return ModelInfo(
        path=path,
        name=name.strip() if isinstance(name, str) and name.strip() else path.stem,
        architecture=architecture,
        size_bytes=file_size,
        quantization=quantization,
        context_length=_positive_int(values.get(f"{architecture}.context_length")),
        chat_template=chat_template if isinstance(chat_template, str) else None,
        bos_token=tokens.get(bos_id) if isinstance(bos_id, int) else None,
        eos_token=tokens.get(eos_id) if isinstance(eos_id, int) else None,
        kind=kind if isinstance(kind, str) and kind else "model",
        lineage={
            key.removeprefix(LINEAGE_PREFIX): value
            for key, value in values.items()
            if key.startswith(LINEAGE_PREFIX)
        },
    )


def read_model_info(path: Path | str) -> ModelInfo:
    """Describes a GGUF model from its header alone; any unusable file raises ModelFileError."""
    path = Path(path)
    try:
        file_stat = path.stat()
    except FileNotFoundError:
        problem = "is a broken symlink" if path.is_symlink() else "does not exist"
        raise ModelFileError(path, problem) from None
    except PermissionError:
        raise ModelFileError(path, "cannot be read: permission denied") from None
    except (OSError, ValueError) as error:
        raise ModelFileError(path, f"cannot be read: {_describe(error)}") from None
    if stat.S_ISDIR(file_stat.st_mode):
        raise ModelFileError(path, "is a directory, not a GGUF file")
    if not stat.S_ISREG(file_stat.st_mode):
        raise ModelFileError(path, "is not a regular file, so not a GGUF file")
    if file_stat.st_size == 0:
        raise ModelFileError(path, "is empty (0 bytes), not a GGUF file")
    try:
        with open(path, "rb", buffering=0) as file:
            return _parse(path, file, os.fstat(file.fileno()).st_size)
    except CorruptHeader as error:
        raise ModelFileError(
            path, f"truncated or corrupt GGUF header: {error}; download the model again"
        ) from None
    except PermissionError:
        raise ModelFileError(path, "cannot be read: permission denied") from None
    except OSError as error:
        raise ModelFileError(path, f"cannot be read: {_describe(error)}") from None


def _describe(error: Exception) -> str:
    return (
        error.strerror if isinstance(error, OSError) and error.strerror else str(error)
    )

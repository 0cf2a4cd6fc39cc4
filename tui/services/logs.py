"""Logging: everything, llama.cpp's own output included, goes to a rotating file, never the screen."""

from __future__ import annotations

import logging
import sys
from logging.handlers import RotatingFileHandler
from pathlib import Path


def setup_logging(
    log_file: Path, llama_to_stderr: bool = False, llama_debug: bool = False
) -> Path | None:
    """Send the `dictgame` loggers and Python warnings to `log_file`; returns it, or None if unwritable.

    A log that cannot be written must not stop a game: then logs are dropped, not printed.
    llama.cpp's DEBUG lines (about 570 KB per model load) stay out unless `llama_debug`:
    they would rotate away the lines that matter.
    """
    # A log write that fails (disk full) must not print a traceback over the screen.
    logging.raiseExceptions = False
    root = logging.getLogger("dictgame")
    root.setLevel(logging.DEBUG)
    root.propagate = False
    for old_handler in list(root.handlers):
        root.removeHandler(old_handler)
        old_handler.close()
    written: Path | None = log_file
    try:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = RotatingFileHandler(
            log_file, maxBytes=2_000_000, backupCount=3, encoding="utf-8"
        )
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s")
        )
    except OSError:
        handler, written = logging.NullHandler(), None
    root.addHandler(handler)
    logging.captureWarnings(True)
    warnings_logger = logging.getLogger("py.warnings")
    warnings_logger.handlers = [handler]
    warnings_logger.propagate = False
    llama = logging.getLogger("dictgame.llama")
    llama.setLevel(logging.DEBUG if llama_debug else logging.INFO)
    if llama_to_stderr:
        llama.addHandler(logging.StreamHandler(sys.stderr))
    return written

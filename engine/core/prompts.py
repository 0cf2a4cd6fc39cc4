"""A game's prompt templates: Jinja files in a folder of its package, rendered strictly."""

from __future__ import annotations

from importlib import resources

import jinja2


def template_environment(package: str, *folder: str) -> jinja2.Environment:
    """Templates read from `package`'s data folder; an undefined name is an error, not an
    empty string, so a template and its caller cannot drift apart silently."""
    root = resources.files(package).joinpath(*folder)
    return jinja2.Environment(
        loader=jinja2.FunctionLoader(lambda name: root.joinpath(name).read_text("utf-8")),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=False,
        autoescape=False,
    )

"""Whether a model's chat template can play the game, checked once when the model is loaded.

A GGUF's chat template is code from whoever made the file. It runs in Jinja's sandbox, which
refuses unsafe templates only when they run; a broken one may fail only for some messages
(a system turn, a re-prompt). Rendering the kinds of conversation the game sends, once, at
load time, turns all of these into one clear refusal before any game is stored, instead of
an error at the first move. The way out is the plain prompt format, which needs no template.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Literal

from .backend import ChatMessage

ChatFormat = Literal["template", "plain"]

PLAIN_FORMAT_HINT = (
    "to play this model anyway, use the plain prompt format: "
    '--chat-format plain, or chat_format = "plain" under [runtime] in the config file'
)

# Every turn the game sends: its rules as a system turn, an instruction, the player's answer,
# and a re-prompt after a broken answer. Each text must reach the prompt.
_CONVERSATION = (
    ChatMessage("system", "You speak only English. (rules of the game)"),
    ChatMessage("user", 'Your partner said: "hola amigo". (instruction)'),
    ChatMessage("assistant", "Hello friend. (answer)"),
    ChatMessage("user", "Answer again in at most 8 words. (re-prompt)"),
)


def template_problem(render: Callable[[tuple[ChatMessage, ...]], str]) -> str | None:
    """What keeps the template behind `render` from playing the game, or None if nothing.

    Any error the template raises counts: the sandbox refusing an unsafe operation, an
    undefined name, a `raise_exception` the template calls for a role it does not accept.
    """
    try:
        prompt = render(_CONVERSATION)
    except Exception as error:  # noqa: BLE001 - untrusted code may raise anything
        cause = error.__cause__ or error
        return f"failed on the game's messages ({type(cause).__name__}: {cause})"
    left_out = [m.role for m in _CONVERSATION if m.content not in prompt]
    if left_out:
        return f"leaves out the text of the game's {', '.join(dict.fromkeys(left_out))} turns"
    return None

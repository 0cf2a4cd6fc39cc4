"""Deal or No Deal's front end: its panel, the proposal form of the take step, the reply's
tag and propose key, and the person's values above their answer."""

from __future__ import annotations

from ...widgets.game_front import GameFront
from .keys import KEYS
from .panel import Panel
from .proposal_form import ProposalForm
from .reply_field import ReplyField, values_line

FRONT = GameFront(
    keys=KEYS,
    panel=Panel,
    forms={
        "take": lambda state: ProposalForm(state.settings.counts, id="proposal-form"),
        "reply": lambda state: ReplyField(id="reply-message"),
    },
    above=values_line,
)

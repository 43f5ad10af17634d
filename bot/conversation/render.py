"""The bot's replies as a resident reads them, from bot/domain.yml, without Rasa.

Rasa renders the same responses in production; this serves the in-process evaluation and the
tests, so both read exactly the words in the domain (one source for every word).
"""

from __future__ import annotations

import string
from typing import Any, Dict

from bot.conversation.flow import Say
from bot.conversation.words import responses


class _Missing(dict):
    def __missing__(self, key: str) -> str:
        raise KeyError(f"response value {{{key}}} not given")


def render(say: Say) -> Dict[str, Any]:
    """One reply in the REST channel's shape: text, buttons and custom in one message."""
    template = responses()[say.response][0]
    text = string.Formatter().vformat(template["text"], (), _Missing(say.values))
    message: Dict[str, Any] = {"text": text}
    buttons = say.buttons if say.buttons is not None else template.get("buttons")
    if buttons:
        message["buttons"] = buttons
    custom = say.custom if say.custom is not None else template.get("custom")
    if custom:
        message["custom"] = custom
    return message

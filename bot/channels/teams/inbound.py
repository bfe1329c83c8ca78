"""A Teams activity in, a core ``Message`` out: what the person typed or clicked.

Teams wraps mentions of the bot as ``<at>helpbot</at>`` and may send a message's text
as HTML-ish markup; a click on one of our cards arrives as a message with no text and the
button's ``data`` as its ``value``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.channels.teams.cards import Click, click_of
from bot.core.messages import Message

CHANNEL = "teams"

_MENTION = re.compile(r"<at\b[^>]*>.*?</at>", re.IGNORECASE | re.DOTALL)
_BREAK = re.compile(r"<br\s*/?>|</p>|</div>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]{0,200}>")


@dataclass(frozen=True)
class Inbound:
    """What helpbot needs of one incoming message activity."""

    activity_id: str  # unique within its conversation only
    conversation: str
    message: Message
    click: Click | None
    reply_to: str | None  # the activity a clicked card was: it is updated to the choice


def plain_text(text: object) -> str:
    """What the person typed: mentions of the bot and markup dropped, entities decoded."""
    if not isinstance(text, str):
        return ""
    text = _MENTION.sub(" ", text)
    text = _BREAK.sub("\n", text)
    return html.unescape(_TAG.sub("", text)).strip()


def _field(data: Mapping[str, Any], *path: str) -> Any:
    for key in path:
        if not isinstance(data, Mapping):
            return None
        data = data.get(key)  # type: ignore[assignment]
    return data


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def inbound(activity: Mapping[str, Any]) -> Inbound | None:
    """The message in ``activity`` (its JSON), or None if it is not one for the core."""
    if activity.get("type") != "message":
        return None
    user = _text(_field(activity, "from", "id"))
    if user is None:
        return None
    kind = _field(activity, "conversation", "conversationType") or "personal"
    conversation = _text(_field(activity, "conversation", "id"))
    shared = kind != "personal"
    click = click_of(activity.get("value"))
    message = Message(
        user_id=user,
        text=click.label if click else plain_text(activity.get("text")),
        channel=CHANNEL,
        # A 1:1 chat is the person's own conversation; a group chat or channel is shared.
        conversation_id=conversation if shared else None,
        display_name=_text(_field(activity, "from", "name")),
        action=click.value if click else None,
        shared=shared,
    )
    return Inbound(
        activity_id=_text(activity.get("id")) or "",
        conversation=conversation or "",
        message=message,
        click=click,
        reply_to=_text(activity.get("replyToId")),
    )

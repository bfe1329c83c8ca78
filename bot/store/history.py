"""A conversation's own transcript, as stored (already redacted), for the person to reread.

The web page rebuilds itself from this after a reload. Only the conversation's owner may
be shown it: the caller passes the id it has verified.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from bot.store.db import Store
from bot.store.models import Conversation, MessageRecord

MAX_LINES = 200  # the newest lines; a longer chat is cut at the top


@dataclass(frozen=True)
class Line:
    id: int
    direction: str  # "in" (the person) or "out" (the bot, an agent, ticket news)
    text: str


def transcript(store: Store, channel: str, user_id: str, conversation_key: str) -> list[Line]:
    """The newest lines of one conversation, oldest first; empty if there is none."""
    query = (
        select(MessageRecord.id, MessageRecord.direction, MessageRecord.text)
        .join(Conversation, Conversation.id == MessageRecord.conversation_id)
        .where(
            Conversation.channel == channel,
            Conversation.user_id == user_id,
            Conversation.conversation_key == conversation_key,
        )
        .order_by(MessageRecord.id.desc())
        .limit(MAX_LINES)
    )
    with store.session() as session:
        rows = session.execute(query).all()
    return [Line(row.id, row.direction, row.text) for row in reversed(rows)]

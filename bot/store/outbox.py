"""Delivering the outbox from outside a conversation turn (a channel that can push).

The terminal shows waiting news as it comes (``Engine.news``, polled) or with its next
reply (``Turn.take_outbox``); a channel such as Slack pushes it at once. Several
processes may push at the same time, so each message is first claimed with a
conditional UPDATE: exactly one process sends it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from bot.store.db import Store
from bot.store.models import Outbound


@dataclass(frozen=True)
class Pending:
    id: int
    user_id: str
    conversation_key: str
    reply: dict[str, Any]


def waiting(store: Store, channel: str, user_id: str, conversation_key: str) -> bool:
    """Whether anything waits for this conversation: a cheap read for pollers."""
    query = (
        select(Outbound.id)
        .where(
            Outbound.channel == channel,
            Outbound.user_id == user_id,
            Outbound.conversation_key == conversation_key,
            Outbound.delivered_at.is_(None),
        )
        .limit(1)
    )
    with store.session() as session:
        return session.execute(query).first() is not None


def claim_pending(
    store: Store, channel: str, user_id: str | None = None, limit: int = 50
) -> list[Pending]:
    """Waiting messages for ``channel`` (one user's, if given), now claimed by the caller."""
    query = (
        select(Outbound.id)
        .where(Outbound.channel == channel, Outbound.delivered_at.is_(None))
        .order_by(Outbound.id)
        .limit(limit)
    )
    if user_id is not None:
        query = query.where(Outbound.user_id == user_id)
    claimed: list[Pending] = []
    with store.session() as session:
        for outbound_id in session.execute(query).scalars().all():
            won = session.execute(
                update(Outbound)
                .where(Outbound.id == outbound_id, Outbound.delivered_at.is_(None))
                .values(delivered_at=store.clock())
            ).rowcount
            if won:
                item = session.get(Outbound, outbound_id)
                assert item is not None
                claimed.append(Pending(item.id, item.user_id, item.conversation_key, item.reply))
    return claimed


def release(store: Store, outbound_id: int) -> None:
    """Put a claimed message back: sending it failed, so a later attempt should retry."""
    with store.session() as session:
        session.execute(
            update(Outbound).where(Outbound.id == outbound_id).values(delivered_at=None)
        )

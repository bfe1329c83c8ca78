"""Delivering the outbox from outside a conversation turn (``bot.runtime``).

News waits here until the person's next turn takes it (``Turn.take_outbox``) or the
runtime pushes it to their channel, whichever comes first. Several processes may push
at the same time, so each message is first claimed with a conditional UPDATE: exactly
one process sends it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update

from bot.store.db import Store
from bot.store.tables import outbox

_PENDING = (outbox.c.id, outbox.c.user_id, outbox.c.conversation_key, outbox.c.reply)

HELPDESK = "helpdesk"  # the agents' side: news about a ticket for whoever shows it to them


@dataclass(frozen=True)
class Pending:
    id: int
    user_id: str
    conversation_key: str
    reply: dict[str, Any]


def claim_pending(
    store: Store, channel: str, user_id: str | None = None, limit: int = 50
) -> list[Pending]:
    """Waiting messages for ``channel`` (one user's, if given), now claimed by the caller."""
    query = (
        select(*_PENDING)
        .where(outbox.c.channel == channel, outbox.c.delivered_at.is_(None))
        .order_by(outbox.c.id)
        .limit(limit)
    )
    if user_id is not None:
        query = query.where(outbox.c.user_id == user_id)
    claimed: list[Pending] = []
    with store.transaction() as connection:
        for row in connection.execute(query).all():
            won = connection.execute(
                update(outbox)
                .where(outbox.c.id == row.id, outbox.c.delivered_at.is_(None))
                .values(delivered_at=store.clock())
            ).rowcount
            if won:
                claimed.append(Pending(row.id, row.user_id, row.conversation_key, row.reply))
    return claimed


def release(store: Store, outbound_id: int) -> None:
    """Put a claimed message back: sending it failed, so a later attempt should retry."""
    with store.transaction() as connection:
        connection.execute(
            update(outbox).where(outbox.c.id == outbound_id).values(delivered_at=None)
        )


def delivered_after(
    store: Store, channel: str, user_id: str, after_id: int, limit: int = 50
) -> list[Pending]:
    """What was already handed to ``user_id``'s stream after ``after_id``, oldest first.

    A stream that dropped may have lost what it was sending; the browser says the last
    piece it got (``Last-Event-ID``) and the rest is sent again from here.
    """
    query = (
        select(*_PENDING)
        .where(
            outbox.c.channel == channel,
            outbox.c.user_id == user_id,
            outbox.c.id > after_id,
            outbox.c.delivered_at.is_not(None),
        )
        .order_by(outbox.c.id)
        .limit(limit)
    )
    with store.transaction() as connection:
        return [
            Pending(row.id, row.user_id, row.conversation_key, row.reply)
            for row in connection.execute(query)
        ]

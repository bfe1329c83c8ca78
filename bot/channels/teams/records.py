"""What the Teams channel keeps in the database: activities answered, and where people are.

Both are shared by every worker process: a retried activity is answered once whichever
process it reaches, and news for a person can be sent from any of them.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select

from bot.core.text import safe_id
from bot.store import Store, tables
from bot.store.models import TeamsActivity, TeamsReference


def first_delivery(store: Store, activity_id: str) -> bool:
    """True the first time an activity id is seen; False for the Bot Connector's retries."""
    if not activity_id:
        return True  # nothing to recognise a retry by
    row = {"activity_id": safe_id(activity_id), "received_at": store.clock()}
    return store.insert_once(tables.teams_activities, row)


def forget_activities(store: Store, older_than: timedelta = timedelta(days=1)) -> int:
    """Drop old activity ids: the Bot Connector stops retrying within minutes."""
    with store.session() as session:
        cutoff = store.clock() - older_than
        found = session.execute(delete(TeamsActivity).where(TeamsActivity.received_at < cutoff))
        return found.rowcount


def remember(store: Store, user_id: str, reference: dict[str, Any]) -> None:
    """Keep (or refresh) where ``user_id`` can be reached; they are reachable again."""
    key = safe_id(user_id)
    with store.session() as session:
        row = session.get(TeamsReference, key)
        if row is None:
            session.add(TeamsReference(user_id=key, reference=reference, updated_at=store.clock()))
            return
        row.reference, row.updated_at, row.gone_at = reference, store.clock(), None


def reference_of(store: Store, user_id: str) -> dict[str, Any] | None:
    """Where ``user_id`` was last seen, or None if never (or no longer reachable)."""
    with store.session() as session:
        row = session.execute(
            select(TeamsReference.reference, TeamsReference.gone_at).where(
                TeamsReference.user_id == safe_id(user_id)
            )
        ).first()
    if row is None or row.gone_at is not None:
        return None
    return dict(row.reference)


def mark_gone(store: Store, user_id: str) -> None:
    """Teams said the bot cannot reach ``user_id`` any more (uninstalled, blocked)."""
    with store.session() as session:
        row = session.get(TeamsReference, safe_id(user_id))
        if row is not None:
            row.gone_at = store.clock()

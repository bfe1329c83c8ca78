"""The audit log: privileged actions asked for, allowed or refused, and their outcome."""

from __future__ import annotations

from sqlalchemy import func, select, update

from bot.store.db import Store
from bot.store.models import AuditEntry

RELOAD = "reload"
OK = "ok"


def record(
    store: Store,
    actor: str,
    channel: str,
    action: str,
    *,
    allowed: bool,
    outcome: str | None,
    detail: str | None = None,
) -> int:
    with store.session() as session:
        entry = AuditEntry(
            actor=actor,
            channel=channel,
            action=action,
            allowed=allowed,
            outcome=outcome,
            detail=detail,
        )
        session.add(entry)
        session.flush()
        return entry.id


def entries(store: Store, limit: int = 50) -> list[AuditEntry]:
    """The latest entries, newest first."""
    with store.session() as session:
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        return list(session.execute(query).scalars())


def last_reload(store: Store) -> int:
    """The id of the latest successful content reload (0 if none): other processes follow."""
    query = select(func.max(AuditEntry.id)).where(
        AuditEntry.action == RELOAD, AuditEntry.allowed.is_(True), AuditEntry.outcome == OK
    )
    with store.session() as session:
        return session.execute(query).scalar_one() or 0


def describe(store: Store, entry_id: int, detail: str) -> bool:
    """Add what a change changed to an entry that does not say yet; False if it did.

    A reload from the shell is recorded before any running process has followed it, and
    only those processes hold the version it replaced: the first to follow writes this.
    """
    query = (
        update(AuditEntry)
        .where(AuditEntry.id == entry_id, AuditEntry.detail.is_(None))
        .values(detail=detail)
    )
    with store.session() as session:
        return session.execute(query).rowcount == 1

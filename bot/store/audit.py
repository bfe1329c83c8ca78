"""The audit log: privileged actions asked for, allowed or refused, and their outcome."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import func, insert, select, update

from bot.store.db import Store
from bot.store.tables import audit_log

if TYPE_CHECKING:
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
    row = {
        "actor": actor,
        "channel": channel,
        "action": action,
        "allowed": allowed,
        "outcome": outcome,
        "detail": detail,
        "created_at": store.clock(),
    }
    with store.transaction() as connection:
        return int(connection.execute(insert(audit_log), row).inserted_primary_key[0])


def entries(store: Store, limit: int = 50) -> list[AuditEntry]:
    """The latest entries, newest first."""
    from bot.store.models import AuditEntry

    with store.session() as session:
        query = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
        return list(session.execute(query).scalars())


def last_reload(store: Store) -> int:
    """The id of the latest successful content reload (0 if none): other processes follow."""
    c = audit_log.c
    query = select(func.max(c.id)).where(c.action == RELOAD, c.allowed.is_(True), c.outcome == OK)
    with store.transaction() as connection:
        return connection.execute(query).scalar_one() or 0


def describe(store: Store, entry_id: int, detail: str) -> bool:
    """Add what a change changed to an entry that does not say yet; False if it did.

    A reload from the shell is recorded before any running process has followed it, and
    only those processes hold the version it replaced: the first to follow writes this.
    """
    c = audit_log.c
    query = update(audit_log).where(c.id == entry_id, c.detail.is_(None)).values(detail=detail)
    with store.transaction() as connection:
        return connection.execute(query).rowcount == 1

"""One open ticket per person; readable categories; the agent's name as users see it.

``open_key`` was ``channel|user|category``, so one person could hold an open ticket per
topic. It is now ``channel|user`` for a person's ticket, and ``channel|user|after:REF``
for a second one the person explicitly called a new problem while REF was open. Open
tickets are re-keyed here: per person, the oldest keeps the plain key and each later one
is keyed after the one before it, so the unique index holds throughout.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

_tickets = sa.table(
    "tickets",
    sa.column("id", sa.Integer()),
    sa.column("ref", sa.String()),
    sa.column("channel", sa.String()),
    sa.column("user_id", sa.String()),
    sa.column("category", sa.String()),
    sa.column("status", sa.String()),
    sa.column("open_key", sa.String()),
)


def upgrade() -> None:
    # Plain ALTER TABLE, not batch mode: on SQLite a batch rebuilds the table, which the
    # foreign keys from ticket_events forbid once tickets have events.
    # The category as people read it (an intent's or flow's title) when the ticket was
    # opened; ``category`` keeps the stable id.
    op.add_column("tickets", sa.Column("category_title", sa.String(200)))
    # How the user is told who is helping them ("Sent to Ann on HD-000001").
    op.add_column("tickets", sa.Column("assignee_name", sa.String(128)))
    previous: dict[tuple[str, str], str] = {}
    keys = {}
    for ticket_id, ref, channel, user, _category in _open_tickets():
        after = previous.get((channel, user))
        keys[ticket_id] = f"{channel}|{user}" + (f"|after:{after}" if after else "")
        previous[(channel, user)] = ref
    _set_keys(keys)


def downgrade() -> None:
    # Back to one key per person and category; a second open ticket on the same topic
    # (possible only after this revision) keeps a key made unique by its reference.
    seen: set[str] = set()
    keys = {}
    for ticket_id, ref, channel, user, category in _open_tickets():
        key = f"{channel}|{user}|{category}"
        keys[ticket_id] = key if key not in seen else f"{key}|{ref}"
        seen.add(key)
    _set_keys(keys)
    op.drop_column("tickets", "assignee_name")  # SQLite 3.35 or later
    op.drop_column("tickets", "category_title")


def _open_tickets() -> list[sa.Row]:
    return (
        op.get_bind()
        .execute(
            sa.select(
                _tickets.c.id,
                _tickets.c.ref,
                _tickets.c.channel,
                _tickets.c.user_id,
                _tickets.c.category,
            )
            .where(_tickets.c.status.in_(("open", "claimed")))
            .order_by(_tickets.c.id)
        )
        .all()
    )


def _set_keys(keys: dict[int, str]) -> None:
    bind = op.get_bind()
    if not keys:
        return
    # Clear first: a new key may equal an old one still held by another row.
    bind.execute(sa.update(_tickets).where(_tickets.c.id.in_(keys)).values(open_key=None))
    for ticket_id, key in keys.items():
        bind.execute(sa.update(_tickets).where(_tickets.c.id == ticket_id).values(open_key=key))

"""A way to reach the person who opened a ticket, for people who may be locked out.

Someone asking for help on the public web page may have no working NHSmail: they can
leave a phone number or a personal email in a field of its own. It is kept on the
ticket only (never in the transcript) and shown to the agent who claims it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("reach", sa.String(200)))


def downgrade() -> None:
    op.drop_column("tickets", "reach")  # SQLite 3.35 or later

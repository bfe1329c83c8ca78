"""The audit log says what a content change changed (a reload, a teach).

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("audit_log", sa.Column("detail", sa.Text()))


def downgrade() -> None:
    op.drop_column("audit_log", "detail")  # SQLite 3.35 or later

"""Teams: activities already answered (retries are dropped), and where to reach each user.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "teams_activities",
        sa.Column("activity_id", sa.String(128), primary_key=True),
        sa.Column("received_at", WHEN, nullable=False),
    )
    op.create_index("ix_teams_activities_received_at", "teams_activities", ["received_at"])
    op.create_table(
        "teams_references",
        sa.Column("user_id", sa.String(128), primary_key=True),
        sa.Column("reference", sa.JSON(), nullable=False),
        sa.Column("updated_at", WHEN, nullable=False),
        sa.Column("gone_at", WHEN),
    )


def downgrade() -> None:
    op.drop_table("teams_references")
    op.drop_table("teams_activities")

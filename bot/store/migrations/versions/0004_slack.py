"""Audit log for privileged actions; Slack event dedupe and ticket cards.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-24
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

WHEN = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("action", sa.String(64), nullable=False),
        sa.Column("allowed", sa.Boolean(), nullable=False),
        sa.Column("outcome", sa.Text()),
        sa.Column("created_at", WHEN, nullable=False),
    )
    op.create_index("ix_audit_log_action", "audit_log", ["action"])
    op.create_index("ix_audit_log_created_at", "audit_log", ["created_at"])
    op.create_table(
        "slack_events",
        sa.Column("event_id", sa.String(64), primary_key=True),
        sa.Column("received_at", WHEN, nullable=False),
    )
    op.create_index("ix_slack_events_received_at", "slack_events", ["received_at"])
    op.create_table(
        "slack_cards",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("ticket_ref", sa.String(16), nullable=False, unique=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("ts", sa.String(32)),
        sa.Column("shown", sa.String(64)),
        sa.Column("updated_at", WHEN, nullable=False),
    )
    op.create_index("ix_slack_cards_ts", "slack_cards", ["ts"])


def downgrade() -> None:
    op.drop_table("slack_cards")
    op.drop_table("slack_events")
    op.drop_table("audit_log")

"""Answers rated helpful or not, and why a question counts as unanswered.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("unanswered", sa.Column("reason", sa.String(16)))
    op.create_table(
        "answer_ratings",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("conversation_id", sa.Integer(), sa.ForeignKey("conversations.id")),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("intent", sa.String(64), nullable=False),
        sa.Column("helpful", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_answer_ratings_created_at", "answer_ratings", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_answer_ratings_created_at", "answer_ratings")
    op.drop_table("answer_ratings")
    op.drop_column("unanswered", "reason")  # SQLite 3.35 or later

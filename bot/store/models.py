"""SQLAlchemy models. Every text column holds redacted text only.

Timestamps have no Python-side default: the store stamps new rows from its clock
(``Store.clock``), so a test that fixes time fixes it everywhere.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class Conversation(Base):
    """One person's conversation in one place, with the state the engine carries over."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("channel", "user_id", "conversation_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(128))
    conversation_key: Mapped[str] = mapped_column(String(128))
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class MessageRecord(Base):
    __tablename__ = "messages"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    direction: Mapped[str] = mapped_column(String(3))  # "in" or "out"
    text: Mapped[str] = mapped_column(Text)
    intent: Mapped[str | None] = mapped_column(String(64))
    confidence: Mapped[float | None] = mapped_column(Float)
    band: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Unanswered(Base):
    """A question the bot could not answer, for admins to review."""

    __tablename__ = "unanswered"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    channel: Mapped[str] = mapped_column(String(32))
    text: Mapped[str] = mapped_column(Text)
    best_intent: Mapped[str | None] = mapped_column(String(64))
    best_score: Mapped[float | None] = mapped_column(Float)
    # fallback, declined (none of the suggestions) or unhelpful (the answer, rated so);
    # None on rows written before the reason was kept.
    reason: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class Rating(Base):
    """A person's verdict on an answer (the Helpful / Not helpful buttons)."""

    __tablename__ = "answer_ratings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    channel: Mapped[str] = mapped_column(String(32))
    intent: Mapped[str] = mapped_column(String(64))
    helpful: Mapped[bool] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class FlowRun(Base):
    """One walk-through of a guided flow, for the started/completed/cancelled counts.

    ``status`` is active, completed, cancelled or abandoned; an active run idle for longer
    than the flow timeout also counts as abandoned.
    """

    __tablename__ = "flow_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flow_id: Mapped[str] = mapped_column(String(64), index=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    status: Mapped[str] = mapped_column(String(16), default="active")
    step: Mapped[str | None] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Ticket(Base):
    """A conversation handed to the helpdesk. Text fields hold redacted text only.

    ``open_key`` is set while the ticket is open or claimed and cleared when it is
    resolved or closed; its unique index is what makes "one open ticket per person" hold
    even when two processes create one at the same moment. A person's ticket has the key
    ``channel|user``; a second one, opened only because the person said it is a new
    problem while REF was open, has ``channel|user|after:REF`` (see ``bot.tickets.keys``).
    ``category`` is a stable id (an intent or flow id); ``category_title`` is how people
    read it.
    """

    __tablename__ = "tickets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ref: Mapped[str | None] = mapped_column(String(16), unique=True)
    channel: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(128))
    conversation_key: Mapped[str] = mapped_column(String(128))
    display_name: Mapped[str | None] = mapped_column(String(128))
    summary: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(64))
    category_title: Mapped[str | None] = mapped_column(String(200))
    transcript: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    assignee: Mapped[str | None] = mapped_column(String(128))
    assignee_name: Mapped[str | None] = mapped_column(String(128))  # as the user sees them
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    open_key: Mapped[str | None] = mapped_column(String(300), unique=True)
    email_status: Mapped[str] = mapped_column(String(16), default="off")  # off/pending/sent/failed
    email_attempts: Mapped[int] = mapped_column(Integer, default=0)
    solved: Mapped[bool | None] = mapped_column()
    score: Mapped[int | None] = mapped_column(Integer)
    # A phone number or personal email left in a field of its own (the web page), for
    # someone who may be locked out of NHSmail: on the ticket only, for its agent.
    reach: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    sla_due: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TicketEvent(Base):
    """Every status change and message on a ticket: who, what, when."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # created, note, claimed, reply, resolved...
    actor: Mapped[str] = mapped_column(String(128))
    text: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Outbound(Base):
    """A message for a user that did not come as a reply (an agent's answer, a status).

    Each channel delivers these its own way; the terminal shows them before the next
    reply.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[str] = mapped_column(String(128))
    conversation_key: Mapped[str] = mapped_column(String(128))
    reply: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), index=True)


class AuditEntry(Base):
    """Who asked for what privileged action, and whether it was allowed (admin commands)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    actor: Mapped[str] = mapped_column(String(128))
    channel: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(64), index=True)
    allowed: Mapped[bool] = mapped_column()
    outcome: Mapped[str | None] = mapped_column(Text)
    # For a content change, what changed (bot.content.diff), one line each.
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class SlackEvent(Base):
    """An Events API delivery already taken in; a retry with the same id is dropped.

    Keyed by Slack's ``event_id`` so that the check holds across worker processes.
    """

    __tablename__ = "slack_events"

    event_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class SlackCard(Base):
    """The helpdesk-channel message that shows a ticket, so it can be updated in place.

    The row is inserted before the card is posted (``ts`` empty): of two processes, only
    the one whose insert wins posts it.
    """

    __tablename__ = "slack_cards"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    ticket_ref: Mapped[str] = mapped_column(String(16), unique=True)
    channel: Mapped[str] = mapped_column(String(32))
    ts: Mapped[str | None] = mapped_column(String(32), index=True)
    shown: Mapped[str | None] = mapped_column(String(64))  # status|assignee last rendered
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class TeamsActivity(Base):
    """A Teams activity already answered: the Bot Connector's retry of it is dropped.

    Keyed by the activity's id so that the check holds across worker processes.
    """

    __tablename__ = "teams_activities"

    activity_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), index=True)


class TeamsReference(Base):
    """Where to reach a Teams user between turns: their 1:1 conversation's reference.

    Refreshed on every activity of theirs and on install; news goes there. ``gone_at``
    is set when Teams says the bot can no longer reach them (uninstalled, blocked).
    """

    __tablename__ = "teams_references"

    user_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    reference: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    gone_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

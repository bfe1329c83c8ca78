"""The ORM's classes, mapped onto the tables of ``bot.store.tables`` (their columns and
what each holds are described there). Tickets, reports and the channels' records use
them; a conversation turn does not, so answering a question never imports the ORM.
"""

from __future__ import annotations

from sqlalchemy.orm import DeclarativeBase

from bot.store import tables


class Base(DeclarativeBase):
    metadata = tables.metadata


class Conversation(Base):
    __table__ = tables.conversations


class MessageRecord(Base):
    __table__ = tables.messages


class Unanswered(Base):
    __table__ = tables.unanswered


class Rating(Base):
    __table__ = tables.answer_ratings


class FlowRun(Base):
    __table__ = tables.flow_runs


class Ticket(Base):
    __table__ = tables.tickets


class TicketEvent(Base):
    __table__ = tables.ticket_events


class Outbound(Base):
    __table__ = tables.outbox


class AuditEntry(Base):
    __table__ = tables.audit_log


class SlackEvent(Base):
    __table__ = tables.slack_events


class SlackCard(Base):
    __table__ = tables.slack_cards


class TeamsActivity(Base):
    __table__ = tables.teams_activities


class TeamsReference(Base):
    __table__ = tables.teams_references

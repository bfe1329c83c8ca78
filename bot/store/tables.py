"""The database's tables, in SQLAlchemy Core. Every text column holds redacted text only.

The one description of the schema: the ORM classes in ``bot.store.models`` are mapped
onto these tables, and the migrations are checked against them. A conversation turn
(``bot.store.turns``) and the outbox use the tables directly, so that a command that
only answers questions (``helpbot ask``) never imports the ORM, which was about a fifth
of its start.

Timestamps have no Python-side default: the store stamps new rows from its clock
(``Store.clock``), so a test that fixes time fixes it everywhere.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()


def _when(name: str, *, nullable: bool = False, index: bool = False) -> Column:
    return Column(name, DateTime(timezone=True), nullable=nullable, index=index)


def _id() -> Column:
    return Column("id", Integer, primary_key=True)


# One person's conversation in one place, with the state the engine carries over.
conversations = Table(
    "conversations",
    metadata,
    _id(),
    Column("channel", String(32), nullable=False),
    Column("user_id", String(128), nullable=False),
    Column("conversation_key", String(128), nullable=False),
    Column("state", JSON, nullable=False, default=dict),
    _when("created_at"),
    _when("updated_at"),
    UniqueConstraint("channel", "user_id", "conversation_key"),
)

messages = Table(
    "messages",
    metadata,
    _id(),
    Column("conversation_id", ForeignKey("conversations.id"), nullable=False, index=True),
    Column("direction", String(3), nullable=False),  # "in" or "out"
    Column("text", Text, nullable=False),
    Column("intent", String(64)),
    Column("confidence", Float),
    Column("band", String(16)),
    _when("created_at"),
)

# A question the bot could not answer, for admins to review.
unanswered = Table(
    "unanswered",
    metadata,
    _id(),
    Column("conversation_id", ForeignKey("conversations.id")),
    Column("channel", String(32), nullable=False),
    Column("text", Text, nullable=False),
    Column("best_intent", String(64)),
    Column("best_score", Float),
    # fallback, declined (none of the suggestions) or unhelpful (the answer, rated so);
    # None on rows written before the reason was kept.
    Column("reason", String(16)),
    _when("created_at", index=True),
)

# A person's verdict on an answer (the Helpful / Not helpful buttons).
answer_ratings = Table(
    "answer_ratings",
    metadata,
    _id(),
    Column("conversation_id", ForeignKey("conversations.id")),
    Column("channel", String(32), nullable=False),
    Column("intent", String(64), nullable=False),
    Column("helpful", Boolean, nullable=False),
    _when("created_at", index=True),
)

# One walk-through of a guided flow, for the started/completed/cancelled counts.
# ``status`` is active, completed, cancelled or abandoned; an active run idle for longer
# than the flow timeout also counts as abandoned.
flow_runs = Table(
    "flow_runs",
    metadata,
    _id(),
    Column("flow_id", String(64), nullable=False, index=True),
    Column("conversation_id", ForeignKey("conversations.id")),
    Column("status", String(16), nullable=False, default="active"),
    Column("step", String(64)),
    _when("started_at"),
    _when("updated_at"),
)

# A conversation handed to the helpdesk. Text fields hold redacted text only.
#
# ``open_key`` is set while the ticket is open or claimed and cleared when it is
# resolved or closed; its unique index is what makes "one open ticket per person" hold
# even when two processes create one at the same moment. A person's ticket has the key
# ``channel|user``; a second one, opened only because the person said it is a new
# problem while REF was open, has ``channel|user|after:REF`` (see ``bot.tickets.keys``).
# ``category`` is a stable id (an intent or flow id); ``category_title`` is how people
# read it.
tickets = Table(
    "tickets",
    metadata,
    _id(),
    Column("ref", String(16), unique=True),
    Column("channel", String(32), nullable=False),
    Column("user_id", String(128), nullable=False),
    Column("conversation_key", String(128), nullable=False),
    Column("display_name", String(128)),
    Column("summary", Text, nullable=False),
    Column("category", String(64), nullable=False),
    Column("category_title", String(200)),
    Column("transcript", Text, nullable=False),
    Column("status", String(16), nullable=False, default="open", index=True),
    Column("assignee", String(128)),
    Column("assignee_name", String(128)),  # as the user sees them
    Column("priority", String(16), nullable=False, default="normal"),
    Column("open_key", String(300), unique=True),
    Column("email_status", String(16), nullable=False, default="off"),  # off/pending/sent/failed
    Column("email_attempts", Integer, nullable=False, default=0),
    Column("solved", Boolean),
    Column("score", Integer),
    # A phone number or personal email left in a field of its own (the web page), for
    # someone who may be locked out of NHSmail: on the ticket only, for its agent.
    Column("reach", String(200)),
    _when("created_at"),
    _when("updated_at"),
    _when("sla_due"),
)

# Every status change and message on a ticket: who, what, when.
ticket_events = Table(
    "ticket_events",
    metadata,
    _id(),
    Column("ticket_id", ForeignKey("tickets.id"), nullable=False, index=True),
    Column("kind", String(16), nullable=False),  # created, note, claimed, reply, resolved...
    Column("actor", String(128), nullable=False),
    Column("text", Text),
    _when("created_at"),
)

# A message for a user that did not come as a reply (an agent's answer, a status).
# Each channel delivers these its own way; the terminal shows them before the next reply.
outbox = Table(
    "outbox",
    metadata,
    _id(),
    Column("channel", String(32), nullable=False),
    Column("user_id", String(128), nullable=False),
    Column("conversation_key", String(128), nullable=False),
    Column("reply", JSON, nullable=False),
    _when("created_at"),
    _when("delivered_at", nullable=True, index=True),
)

# Who asked for what privileged action, and whether it was allowed (admin commands).
audit_log = Table(
    "audit_log",
    metadata,
    _id(),
    Column("actor", String(128), nullable=False),
    Column("channel", String(32), nullable=False),
    Column("action", String(64), nullable=False, index=True),
    Column("allowed", Boolean, nullable=False),
    Column("outcome", Text),
    # For a content change, what changed (bot.content.diff), one line each.
    Column("detail", Text),
    _when("created_at", index=True),
)

# An Events API delivery already taken in; a retry with the same id is dropped. Keyed by
# Slack's ``event_id`` so that the check holds across worker processes.
slack_events = Table(
    "slack_events",
    metadata,
    Column("event_id", String(64), primary_key=True),
    _when("received_at", index=True),
)

# The helpdesk-channel message that shows a ticket, so it can be updated in place. The
# row is inserted before the card is posted (``ts`` empty): of two processes, only the
# one whose insert wins posts it.
slack_cards = Table(
    "slack_cards",
    metadata,
    _id(),
    Column("ticket_ref", String(16), nullable=False, unique=True),
    Column("channel", String(32), nullable=False),
    Column("ts", String(32), index=True),
    Column("shown", String(64)),  # status|assignee last rendered
    _when("updated_at"),
)

# A Teams activity already answered: the Bot Connector's retry of it is dropped. Keyed
# by the activity's id so that the check holds across worker processes.
teams_activities = Table(
    "teams_activities",
    metadata,
    Column("activity_id", String(128), primary_key=True),
    _when("received_at", index=True),
)

# Where a channel records the deliveries it has taken, by the id its platform gives a
# delivery and repeats when it sends it again: a turn given a delivery's id claims it
# (``Store.turn``). Teams still claims its activities before the turn (its records).
DELIVERIES = {"slack": slack_events.c.event_id}

# Where to reach a Teams user between turns: their 1:1 conversation's reference.
# Refreshed on every activity of theirs and on install; news goes there. ``gone_at`` is
# set when Teams says the bot can no longer reach them (uninstalled, blocked).
teams_references = Table(
    "teams_references",
    metadata,
    Column("user_id", String(128), primary_key=True),
    Column("reference", JSON, nullable=False),
    _when("updated_at"),
    _when("gone_at", nullable=True),
)

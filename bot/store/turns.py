"""One conversation turn as one lean transaction, in SQLAlchemy Core.

A turn is the hot path: every message is one. The ORM's unit of work cost more than the
rows it wrote (about four fifths of a turn's CPU on SQLite), and separate look-ups for
news and for an agent cost a round trip each on PostgreSQL. So a turn reads in one
statement (the conversation's state, locked where the database can, and whether news or
an agent is waiting) and writes in as few as it needs: the state, the messages in one
batch, an unanswered question if there is one. On PostgreSQL those writes are sent
together and answered in one round trip (``Store.turn``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, bindparam, exists, func, insert, literal, select, update
from sqlalchemy.engine import Connection

from bot.store import tables

_conversations = tables.conversations
_outbox = tables.outbox
_tickets = tables.tickets
_runs = tables.flow_runs

_SAME_PERSON = and_(
    _outbox.c.channel == _conversations.c.channel,
    _outbox.c.user_id == _conversations.c.user_id,
    _outbox.c.conversation_key == _conversations.c.conversation_key,
)
# Built once: building a statement on every turn cost as much as running it.
_COLUMNS = (
    _conversations.c.id,
    _conversations.c.state,
    exists()
    .where(_SAME_PERSON, _outbox.c.delivered_at.is_(None))
    .correlate(_conversations)
    .label("news"),
    exists()
    .where(
        _tickets.c.channel == _conversations.c.channel,
        _tickets.c.user_id == _conversations.c.user_id,
        _tickets.c.status == literal("claimed"),
    )
    .correlate(_conversations)
    .label("claimed"),
)
_THIS_CONVERSATION = (
    _conversations.c.channel == bindparam("channel"),
    _conversations.c.user_id == bindparam("user_id"),
    _conversations.c.conversation_key == bindparam("key"),
)
_OPEN_TURN = select(*_COLUMNS).where(*_THIS_CONVERSATION).with_for_update(of=_conversations)
# PostgreSQL: the turn's commit does not wait for its WAL to reach the disk. A server
# crash may lose the last fraction of a second of turns (state and transcript lines,
# never a ticket: tickets are written in transactions of their own, which wait as
# usual); the database stays consistent. The wait for the disk was most of a turn.
# Set in the opening read itself, local to this transaction: no round trip of its own.
_QUICK_COMMIT = func.set_config("synchronous_commit", "off", True).label("quick")
_OPENINGS = {"postgresql": _OPEN_TURN.add_columns(_QUICK_COMMIT)}


def opening_read(dialect: str) -> Select[Any]:
    """The turn's one opening read, for a database of this dialect."""
    return _OPENINGS.get(dialect, _OPEN_TURN)


NEW_CONVERSATION = insert(_conversations)
_SAVE_STATE = (
    update(_conversations)
    .where(_conversations.c.id == bindparam("row"))
    .values(state=bindparam("state"), updated_at=bindparam("now"))
)
_WAITING = (
    select(_outbox.c.id, _outbox.c.reply)
    .where(
        _outbox.c.channel == bindparam("channel"),
        _outbox.c.user_id == bindparam("user_id"),
        _outbox.c.conversation_key == bindparam("key"),
        _outbox.c.delivered_at.is_(None),
    )
    .order_by(_outbox.c.id)
    .with_for_update()
)
_DELIVERED = (
    update(_outbox).where(_outbox.c.id == bindparam("row")).values(delivered_at=bindparam("now"))
)
# Written without asking for the new rows' ids (``inline``: no RETURNING): nothing
# reads them, and on PostgreSQL they are sent in a pipeline (``Store.turn``), where a
# statement that returns rows would be read as returning none.
_MESSAGES = insert(tables.messages).inline()
_UNANSWERED = insert(tables.unanswered).inline()
_RATING = insert(tables.answer_ratings)
_START_RUN = insert(_runs)
_MOVE_RUN = (
    update(_runs)
    .where(_runs.c.id == bindparam("row"), _runs.c.status == "active")
    .values(step=bindparam("step"), updated_at=bindparam("now"))
)
_END_RUN = _MOVE_RUN.values(status=bindparam("status"))


@dataclass
class Turn:
    """One conversation turn inside an open transaction."""

    connection: Connection
    conversation_id: int
    channel: str
    user_id: str
    conversation_key: str
    now: datetime
    state: dict[str, Any] = field(default_factory=dict)
    # From the opening read: whether the outbox holds news for this conversation, and
    # whether an agent has claimed one of this person's tickets. False means none:
    # nothing more need be asked.
    news: bool = False
    claimed: bool = False
    messages: list[dict[str, Any]] = field(default_factory=list)
    unanswered: list[dict[str, Any]] = field(default_factory=list)
    delivered: list[int] = field(default_factory=list)  # outbox rows taken in this turn

    def add_message(
        self,
        direction: str,
        text: str,
        *,
        intent: str | None = None,
        confidence: float | None = None,
        band: str | None = None,
    ) -> None:
        self.messages.append(
            {
                "conversation_id": self.conversation_id,
                "direction": direction,
                "text": text,
                "intent": intent,
                "confidence": confidence,
                "band": band,
                "created_at": self.now,
            }
        )

    def add_unanswered(
        self, text: str, best_intent: str | None, best_score: float | None, reason: str
    ) -> None:
        self.unanswered.append(
            {
                "conversation_id": self.conversation_id,
                "channel": self.channel,
                "text": text,
                "best_intent": best_intent,
                "best_score": best_score,
                "reason": reason,
                "created_at": self.now,
            }
        )

    def add_rating(self, intent: str, helpful: bool) -> None:
        """Written with the turn, like an unanswered question: rare, so one statement."""
        self.connection.execute(
            _RATING,
            {
                "conversation_id": self.conversation_id,
                "channel": self.channel,
                "intent": intent,
                "helpful": helpful,
                "created_at": self.now,
            },
        )

    def take_outbox(self) -> list[dict[str, Any]]:
        """Messages waiting for this conversation (agent replies, ticket news), oldest first.

        Marked delivered in this turn's transaction: if the turn fails they stay waiting.
        """
        if not self.news:
            return []
        params = {"channel": self.channel, "user_id": self.user_id, "key": self.conversation_key}
        waiting = self.connection.execute(_WAITING, params).all()
        # Marked when the turn is saved, not now: on SQLite a write takes the file's
        # write lock, and the turn may still open a ticket in a transaction of its own.
        self.delivered.extend(row.id for row in waiting)
        self.news = False
        return [row.reply for row in waiting]

    def start_run(self, flow_id: str, step: str) -> int:
        found = self.connection.execute(
            _START_RUN,
            {
                "flow_id": flow_id,
                "conversation_id": self.conversation_id,
                "status": "active",
                "step": step,
                "started_at": self.now,
                "updated_at": self.now,
            },
        )
        return int(found.inserted_primary_key[0])

    def update_run(self, run_id: int | None, step: str, status: str | None = None) -> None:
        """Move an active run to ``step`` and, when given, a final status (completed, ...)."""
        if run_id is None:
            return
        params = {"row": run_id, "step": step, "now": self.now}
        if status is None:
            self.connection.execute(_MOVE_RUN, params)
        else:
            self.connection.execute(_END_RUN, {**params, "status": status})

    def save(self) -> None:
        """Write the state, the messages and any unanswered question."""
        self.connection.execute(
            _SAVE_STATE, {"row": self.conversation_id, "state": self.state, "now": self.now}
        )
        if self.messages:
            self.connection.execute(_MESSAGES, self.messages)
            self.messages = []
        if self.unanswered:
            self.connection.execute(_UNANSWERED, self.unanswered)
            self.unanswered = []
        if self.delivered:
            self.connection.execute(
                _DELIVERED, [{"row": r, "now": self.now} for r in self.delivered]
            )
            self.delivered = []

"""One conversation turn as one lean transaction.

A turn is the hot path: every message is one. The ORM's unit of work cost more than the
rows it wrote (about four fifths of a turn's CPU on SQLite), and separate look-ups for
news and for an agent cost a round trip each on PostgreSQL. So a turn reads in one
statement (the conversation's state, locked where the database can, and whether news or
an agent is waiting) and writes in as few as it needs: the state, the messages in one
batch, an unanswered question if there is one. On PostgreSQL those writes are sent
together and answered in one round trip (``Store.turn``).

The statements are SQLAlchemy Core, compiled once per database and run on the driver's
own cursor (``bot.store.prepared``): through a ``Connection`` each cost SQLAlchemy's
execution machinery several times what the database spent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any

from sqlalchemy import (
    Column,
    Select,
    and_,
    bindparam,
    exists,
    func,
    insert,
    literal,
    select,
    update,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.dml import Insert

from bot.store import tables
from bot.store.prepared import Prepared

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
# reads them.
_MESSAGES = insert(tables.messages).inline()
_UNANSWERED = insert(tables.unanswered).inline()
_RATING = insert(tables.answer_ratings).inline()
_START_RUN = insert(_runs).returning(_runs.c.id)
_MOVE_RUN = (
    update(_runs)
    .where(_runs.c.id == bindparam("row"), _runs.c.status == "active")
    .values(step=bindparam("step"), updated_at=bindparam("now"))
)
_END_RUN = _MOVE_RUN.values(status=bindparam("status"))


def claim_statement(column: Column[Any]) -> Insert:
    """SQLite: record a delivery's id in ``column`` (``tables.DELIVERIES``) unless it is
    there (``ON CONFLICT DO NOTHING``: the row count says which). Imported here, not at
    the top: a PostgreSQL process never needs it."""
    from sqlalchemy.dialects.sqlite import insert as insert_if_new

    values = {column.name: bindparam("delivery"), "received_at": bindparam("now")}
    return insert_if_new(column.table).values(values).on_conflict_do_nothing()


_MESSAGE_KEYS = ("conversation_id", "direction", "text", "intent", "confidence", "band")
_MESSAGE_KEYS += ("created_at",)
_UNANSWERED_KEYS = ("conversation_id", "channel", "text", "best_intent", "best_score")
_UNANSWERED_KEYS += ("reason", "created_at")
_RATING_KEYS = ("conversation_id", "channel", "intent", "helpful", "created_at")
_RUN_KEYS = ("flow_id", "conversation_id", "status", "step", "started_at", "updated_at")


class Statements:
    """A turn's statements for one database, each compiled at its first use: a command
    that answers one question compiles only the few its turn runs."""

    def __init__(self, dialect: Dialect) -> None:
        self.dialect = dialect
        self._claims: dict[str, Prepared] = {}

    def _compile(self, statement: Any, keys: tuple[str, ...] = ()) -> Prepared:
        return Prepared.compile(statement, self.dialect, keys)

    @cached_property
    def opening(self) -> Prepared:
        return self._compile(opening_read(self.dialect.name))

    def claim(self, column: Column[Any]) -> Prepared:
        """The claim of a delivery recorded in ``column`` (SQLite)."""
        found = self._claims.get(column.table.name)
        if found is None:
            found = self._claims[column.table.name] = self._compile(claim_statement(column))
        return found

    @cached_property
    def save_state(self) -> Prepared:
        return self._compile(_SAVE_STATE)

    @cached_property
    def messages(self) -> Prepared:
        return self._compile(_MESSAGES, _MESSAGE_KEYS)

    @cached_property
    def unanswered(self) -> Prepared:
        return self._compile(_UNANSWERED, _UNANSWERED_KEYS)

    @cached_property
    def rating(self) -> Prepared:
        return self._compile(_RATING, _RATING_KEYS)

    @cached_property
    def waiting(self) -> Prepared:
        return self._compile(_WAITING)

    @cached_property
    def delivered(self) -> Prepared:
        return self._compile(_DELIVERED)

    @cached_property
    def start_run(self) -> Prepared:
        return self._compile(_START_RUN, _RUN_KEYS)

    @cached_property
    def move_run(self) -> Prepared:
        return self._compile(_MOVE_RUN)

    @cached_property
    def end_run(self) -> Prepared:
        return self._compile(_END_RUN)


@dataclass
class Turn:
    """One conversation turn inside an open transaction."""

    cursor: Any  # the driver's own (sqlite3, psycopg), in the turn's transaction
    statements: Statements
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
        self.statements.rating.run(
            self.cursor,
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
        waiting = self.statements.waiting.rows(self.cursor, params)
        # Marked when the turn is saved, not now: on SQLite a write takes the file's
        # write lock, and the turn may still open a ticket in a transaction of its own.
        self.delivered.extend(row_id for row_id, _reply in waiting)
        self.news = False
        return [reply for _row_id, reply in waiting]

    def start_run(self, flow_id: str, step: str) -> int:
        found = self.statements.start_run.rows(
            self.cursor,
            {
                "flow_id": flow_id,
                "conversation_id": self.conversation_id,
                "status": "active",
                "step": step,
                "started_at": self.now,
                "updated_at": self.now,
            },
        )
        return int(found[0][0])

    def update_run(self, run_id: int | None, step: str, status: str | None = None) -> None:
        """Move an active run to ``step`` and, when given, a final status (completed, ...)."""
        if run_id is None:
            return
        params = {"row": run_id, "step": step, "now": self.now}
        if status is None:
            self.statements.move_run.run(self.cursor, params)
        else:
            self.statements.end_run.run(self.cursor, {**params, "status": status})

    def save(self) -> None:
        """Write the state, the messages and any unanswered question."""
        statements, cursor = self.statements, self.cursor
        statements.save_state.run(
            cursor, {"row": self.conversation_id, "state": self.state, "now": self.now}
        )
        if self.messages:
            statements.messages.run_many(cursor, self.messages)
            self.messages = []
        if self.unanswered:
            statements.unanswered.run_many(cursor, self.unanswered)
            self.unanswered = []
        if self.delivered:
            statements.delivered.run_many(
                cursor, [{"row": r, "now": self.now} for r in self.delivered]
            )
            self.delivered = []

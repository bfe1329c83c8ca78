"""Database access: open the store, migrate it, and run one conversation turn at a time.

A turn is one transaction: read the conversation's state (locking its row on databases
that can), let the engine decide, write the messages and the new state. Several bot
processes can therefore serve the same person without losing or mixing up state.
"""

from __future__ import annotations

import logging
import math
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, create_engine, event, func, insert, select, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DataError, IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from bot.clock import Clock, system_clock
from bot.config import DEFAULT_DB_TIMEOUT_SECONDS
from bot.errors import HelpbotError
from bot.store.models import (
    Conversation,
    FlowRun,
    MessageRecord,
    Outbound,
    Unanswered,
)

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).parent / "migrations"

# Columns stamped with the store's clock when a row is first written.
_STAMPED = ("created_at", "updated_at", "started_at", "received_at")


class StoreError(HelpbotError):
    """Something went wrong with the database; the message says what."""


class StoreUnavailable(StoreError):
    """The database cannot be used right now (down, unreachable, too slow)."""


class TurnAbandoned(StoreError):
    """A turn that took too long: the person was answered without it, so it is not kept."""


class StoreRejected(StoreError):
    """The database refused this data (too long, wrong type): not an outage."""


# How long any one database step may take before the bot answers without it. Short:
# the person waiting is often locked out, and the answer does not need the database.
DEFAULT_TIMEOUT = DEFAULT_DB_TIMEOUT_SECONDS


def _safe_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable database URL>"


# Built once: building a statement on every turn cost as much as running it.
_CONVERSATION = (
    select(Conversation)
    .where(
        Conversation.channel == bindparam("channel"),
        Conversation.user_id == bindparam("user_id"),
        Conversation.conversation_key == bindparam("key"),
    )
    .with_for_update()
)
_WAITING = (
    select(Outbound)
    .where(
        Outbound.channel == bindparam("channel"),
        Outbound.user_id == bindparam("user_id"),
        Outbound.conversation_key == bindparam("key"),
        Outbound.delivered_at.is_(None),
    )
    .order_by(Outbound.id)
    .with_for_update()
)
_SHORT_WAIT = "helpbot.short_wait"  # marks a pooled SQLite connection whose wait was cut


def _sqlite_pragmas(busy_ms: int) -> Any:
    def apply(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        # WAL lets readers and one writer work at once; NORMAL sync is durable across
        # application crashes and fast enough for hundreds of messages a second.
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # A locked file is waited for briefly, then reported: the answer goes out anyway.
        cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    return apply


def _sqlite_usual_wait(busy_ms: int) -> Any:
    def restore(dbapi_connection: Any, record: Any) -> None:
        """Back in the pool, a connection whose wait was cut for one transaction waits
        as usual."""
        if record.info.pop(_SHORT_WAIT, False) and dbapi_connection is not None:
            dbapi_connection.execute(f"PRAGMA busy_timeout={busy_ms}")

    return restore


def _postgres_timeouts(timeout: float) -> dict[str, Any]:
    """libpq connect timeout and server-side limits, so nothing waits for ever."""
    ms = int(timeout * 1000)
    options = (
        f"-c statement_timeout={ms * 2} -c lock_timeout={ms} "
        f"-c idle_in_transaction_session_timeout={ms * 10}"
    )
    return {
        "connect_timeout": max(2, math.ceil(timeout)),  # libpq's minimum is 2 s
        "options": options,
        "keepalives": 1,
        "keepalives_idle": 10,
        "keepalives_interval": 5,
        "keepalives_count": 3,
        # A host that vanishes (network gone) leaves sent data unacknowledged: give up.
        "tcp_user_timeout": ms * 3,
    }


def create_db_engine(url: str, timeout: float = DEFAULT_TIMEOUT) -> Engine:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreUnavailable(f"not a database URL: {url!r}") from None
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")  # psycopg 3, not psycopg2
    kwargs: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            kwargs.update(poolclass=StaticPool, connect_args={"check_same_thread": False})
        else:
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    else:
        kwargs.update(
            pool_pre_ping=True, pool_timeout=timeout, connect_args=_postgres_timeouts(timeout)
        )
    try:
        engine = create_engine(parsed, **kwargs)
    except (ArgumentError, ImportError) as exc:
        raise StoreUnavailable(f"cannot use database {_safe_url(url)}: {exc}") from None
    if parsed.get_backend_name() == "sqlite":
        busy_ms = int(timeout * 500)
        event.listen(engine, "connect", _sqlite_pragmas(busy_ms))
        event.listen(engine, "checkin", _sqlite_usual_wait(busy_ms))
    return engine


def _limit_waits(session: Session, seconds: float) -> None:
    """Make this transaction give up after ``seconds`` blocked on a lock (or, on
    PostgreSQL, running at all) instead of waiting as long as the database lets it."""
    connection = session.connection()
    ms = max(1, round(seconds * 1000))
    if connection.dialect.name == "sqlite":
        pooled = connection.connection
        pooled.info[_SHORT_WAIT] = True
        pooled.dbapi_connection.execute(f"PRAGMA busy_timeout={ms}")
    elif connection.dialect.name == "postgresql":
        # Local to this transaction: the pooled connection keeps its usual settings.
        for setting in ("lock_timeout", "statement_timeout"):
            session.execute(select(func.set_config(setting, f"{ms}ms", True)))


@dataclass
class Turn:
    """One conversation turn inside an open transaction."""

    session: Session
    conversation: Conversation
    now: datetime
    state: dict[str, Any] = field(default_factory=dict)
    # Written in one statement when the turn ends: the unit of work's bookkeeping for
    # each row cost more than the rows themselves.
    messages: list[dict[str, Any]] = field(default_factory=list)

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
                "conversation_id": self.conversation.id,
                "direction": direction,
                "text": text,
                "intent": intent,
                "confidence": confidence,
                "band": band,
                "created_at": self.now,
            }
        )

    def write_messages(self) -> None:
        if self.messages:
            self.session.execute(insert(MessageRecord), self.messages)
            self.messages = []

    def add_unanswered(self, text: str, best_intent: str | None, best_score: float) -> None:
        self.session.add(
            Unanswered(
                conversation_id=self.conversation.id,
                channel=self.conversation.channel,
                text=text,
                best_intent=best_intent,
                best_score=best_score,
            )
        )

    def take_outbox(self) -> list[dict[str, Any]]:
        """Messages waiting for this conversation (agent replies, ticket news), oldest first.

        Marked delivered in this turn's transaction: if the turn fails they stay waiting.
        """
        conversation = self.conversation
        waiting = self.session.execute(
            _WAITING,
            {
                "channel": conversation.channel,
                "user_id": conversation.user_id,
                "key": conversation.conversation_key,
            },
        ).scalars()
        found = []
        for item in waiting:
            item.delivered_at = self.now
            found.append(item.reply)
        return found

    def start_run(self, flow_id: str, step: str) -> int:
        run = FlowRun(flow_id=flow_id, conversation_id=self.conversation.id, step=step)
        self.session.add(run)
        self.session.flush()  # for its id, which the conversation state keeps
        return run.id

    def update_run(self, run_id: int | None, step: str, status: str | None = None) -> None:
        """Move a run to ``step`` and, when given, a final status (completed, ...)."""
        run = self.session.get(FlowRun, run_id) if run_id is not None else None
        if run is None or run.status != "active":
            return
        run.step = step
        run.updated_at = self.now
        if status is not None:
            run.status = status


class Store:
    """The database behind the bot. ``migrate=True`` brings the schema up to date."""

    def __init__(
        self,
        url: str,
        *,
        migrate: bool = True,
        clock: Clock = system_clock,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        self.url = url
        self.clock = clock
        self.timeout = timeout
        self.engine = create_db_engine(url, timeout)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        event.listen(self._sessions, "before_flush", self._stamp_new_rows)
        if migrate:
            self.upgrade()

    def upgrade(self) -> None:
        """Apply every Alembic migration not yet applied.

        Alembic (with Mako and its environment) takes a noticeable part of a command's
        start: when the database already says it is at the newest revision, it is not
        even imported. One connection either way, so a database that is down costs one
        connect timeout, not two.
        """
        try:
            with self.engine.begin() as connection:
                if _recorded_revision(connection) == head_revision():
                    return
                from alembic import command
                from alembic.config import Config

                config = Config()
                config.set_main_option("script_location", str(MIGRATIONS))
                config.attributes["connection"] = connection
                command.upgrade(config, "head")
        except SQLAlchemyError as exc:
            raise StoreUnavailable(self._explain(exc)) from exc

    def _stamp_new_rows(self, session: Session, _context: Any, _instances: Any) -> None:
        now = None
        for row in session.new:
            for column in _STAMPED:
                if getattr(row, column, False) is None:
                    now = now or self.clock()
                    setattr(row, column, now)

    @property
    def name(self) -> str:
        """The database URL without its password, for messages and logs."""
        return _safe_url(self.url)

    def _explain(self, exc: SQLAlchemyError, what: str = "is unavailable") -> str:
        reason = (str(getattr(exc, "orig", exc)).strip().splitlines() or ["no reason"])[0]
        return f"database {self.name} {what}: {reason}"

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self, *, wait: float | None = None) -> Iterator[Session]:
        """One transaction. ``wait``: after about this many seconds blocked on a lock it
        fails with ``StoreUnavailable``, for callers that must not wait long."""
        try:
            with self._sessions.begin() as session:
                if wait is not None:
                    _limit_waits(session, wait)
                yield session
        except IntegrityError:
            raise  # a constraint doing its job (a duplicate), not an outage: callers decide
        except DataError as exc:
            raise StoreRejected(self._explain(exc, "refused the data")) from exc
        except SQLAlchemyError as exc:
            raise StoreUnavailable(self._explain(exc)) from exc

    @contextmanager
    def turn(
        self,
        channel: str,
        user_id: str,
        conversation_key: str,
        *,
        abandon: Callable[[], bool] | None = None,
    ) -> Iterator[Turn]:
        """Open a turn: the conversation's state in, the updated state saved on exit.

        ``abandon``: asked just before the commit; True rolls the whole turn back (its
        answer was already given without the database).
        """
        with self.session() as session:
            conversation = self._conversation(session, channel, user_id, conversation_key)
            turn = Turn(session, conversation, self.clock(), dict(conversation.state or {}))
            yield turn
            conversation.state = turn.state
            conversation.updated_at = turn.now
            turn.write_messages()
            session.flush()
            if abandon is not None and abandon():
                raise TurnAbandoned("answered without the database; this turn is not kept")

    def _conversation(self, session: Session, channel: str, user_id: str, key: str) -> Conversation:
        params = {"channel": channel, "user_id": user_id, "key": key}
        found = session.execute(_CONVERSATION, params).scalar_one_or_none()
        if found is not None:
            return found
        # Create it in a transaction of its own: if another process wins the race, the
        # unique constraint stops us and we use theirs.
        try:
            with self._sessions.begin() as other:
                other.add(
                    Conversation(channel=channel, user_id=user_id, conversation_key=key, state={})
                )
        except IntegrityError:
            log.debug("conversation created concurrently; using the other one")
        return session.execute(_CONVERSATION, params).scalar_one()


def recent_unanswered(store: Store, limit: int = 50) -> list[Unanswered]:
    """The latest questions the bot could not answer, newest first."""
    with store.session() as session:
        query = select(Unanswered).order_by(Unanswered.created_at.desc(), Unanswered.id.desc())
        return list(session.execute(query.limit(limit)).scalars())


def _recorded_revision(connection: Connection) -> str | None:
    """The schema revision the database records; None for a new database.

    Inside a savepoint: on PostgreSQL a failed query (no table yet) would otherwise
    spoil the transaction the migrations then run in.
    """
    try:
        with connection.begin_nested():
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        return None


_REVISION = re.compile(r"^(down_)?revision\s*=\s*[\"']?([\w-]+|None)[\"']?", re.MULTILINE)


def head_revision() -> str | None:
    """The newest migration's revision, read from the files without importing Alembic.

    The head is the revision no other migration builds on.
    """
    revisions, parents = set(), set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        for down, value in _REVISION.findall(path.read_text(encoding="utf-8")):
            (parents if down else revisions).add(value)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None

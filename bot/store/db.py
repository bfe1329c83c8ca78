"""Database access: open the store, migrate it, and run one conversation turn at a time.

A turn is one transaction: read the conversation's state (locking its row on databases
that can), let the engine decide, write the messages and the new state (a delivery's
claim, ``Store.turn``, is committed before it). Several bot processes can therefore
serve the same person without losing or mixing up state.
"""

from __future__ import annotations

import logging
import math
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, create_engine, event, func, select, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import (
    ArgumentError,
    DataError,
    DBAPIError,
    IntegrityError,
    SQLAlchemyError,
    StatementError,
)
from sqlalchemy.pool import StaticPool

from bot.clock import Clock, system_clock
from bot.config import DEFAULT_DB_TIMEOUT_SECONDS
from bot.errors import HelpbotError
from bot.store import tables
from bot.store.turns import NEW_CONVERSATION, Statements, Turn

if TYPE_CHECKING:
    from sqlalchemy.orm import Session, sessionmaker

    from bot.store.models import Unanswered

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


class DeliveredBefore(StoreError):
    """This delivery of a message was taken before (a platform's retry): not answered again."""


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


POOL_RECYCLE_SECONDS = 1800
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
            # A turn waiting for a pooled connection gives up as it would on a lock,
            # not after SQLAlchemy's 30 s: it runs in the thread that asked for it.
            kwargs.update(pool_timeout=timeout)
    else:
        # No ping before each use: it was a round trip on every turn. Connections are
        # renewed before servers and firewalls drop idle ones, and a turn whose
        # connection was dropped anyway is opened again (``Store._locked``).
        kwargs.update(
            pool_recycle=POOL_RECYCLE_SECONDS,
            pool_timeout=timeout,
            connect_args=_postgres_timeouts(timeout),
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


def _limit_waits(connection: Connection, seconds: float) -> None:
    """Make this transaction give up after ``seconds`` blocked on a lock (or, on
    PostgreSQL, running at all) instead of waiting as long as the database lets it."""
    ms = max(1, round(seconds * 1000))
    if connection.dialect.name == "sqlite":
        pooled = connection.connection
        pooled.info[_SHORT_WAIT] = True
        pooled.dbapi_connection.execute(f"PRAGMA busy_timeout={ms}")
    elif connection.dialect.name == "postgresql":
        # Local to this transaction: the pooled connection keeps its usual settings.
        for setting in ("lock_timeout", "statement_timeout"):
            connection.execute(select(func.set_config(setting, f"{ms}ms", True)))


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
        self._name = _safe_url(url)  # parsed once: every turn names the database
        self.clock = clock
        self.timeout = timeout
        self.engine = create_db_engine(url, timeout)
        self._statements = Statements(self.engine.dialect)  # compiled once, not per turn
        self._driver_error: type[Exception] = self.engine.dialect.loaded_dbapi.Error
        self._pipelines = _can_pipeline(self.engine)
        self._claims_in_turn = self.engine.dialect.name == "sqlite"  # see ``turn``
        # A server at the other end of a socket can stop answering, and then only a
        # deadline kept by another thread frees the caller (``bot.store.deadline``).
        # SQLite is a file on this machine's disk (WAL needs a local one): each of its
        # waits is bounded, by the busy timeout or the pool's, both set from
        # ``timeout``, though a turn of several waits may add them up (a writer that
        # takes the lock back between them), and a disk that stalls is waited for.
        self.can_hang = self.engine.dialect.name != "sqlite"
        # The ORM's sessions, made at their first use: a turn needs none (see
        # ``bot.store.tables``), and importing the ORM was a fifth of a command's start.
        self._session_maker: sessionmaker[Session] | None = None
        self._session_maker_lock = threading.Lock()
        self._news_written = 0
        self._news_lock = threading.Lock()
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

    @property
    def news_written(self) -> int:
        """How many transactions this process has committed that put news in the outbox.

        News is pushed soon after it is written: a channel pushing after every turn asks
        the outbox only when this has moved. News written by other processes is found
        by the sync round.
        """
        return self._news_written

    def _stamp_new_rows(self, session: Session, _context: Any, _instances: Any) -> None:
        now = None
        for row in session.new:
            if row.__table__ is tables.outbox:
                session.info["news"] = True
            for column in _STAMPED:
                if getattr(row, column, False) is None:
                    now = now or self.clock()
                    setattr(row, column, now)

    @property
    def name(self) -> str:
        """The database URL without its password, for messages and logs."""
        return self._name

    def _explain(self, exc: Exception, what: str = "is unavailable") -> str:
        reason = (str(getattr(exc, "orig", exc)).strip().splitlines() or ["no reason"])[0]
        return f"database {self.name} {what}: {reason}"

    def close(self) -> None:
        self.engine.dispose()

    @contextmanager
    def session(self, *, wait: float | None = None) -> Iterator[Session]:
        """One transaction. ``wait``: after about this many seconds blocked on a lock it
        fails with ``StoreUnavailable``, for callers that must not wait long."""
        with self._translated(), self._sessions().begin() as session:
            if wait is not None:
                _limit_waits(session.connection(), wait)
            yield session
        if session.info.get("news"):  # committed
            with self._news_lock:
                self._news_written += 1

    def _sessions(self) -> sessionmaker[Session]:
        if self._session_maker is None:
            with self._session_maker_lock:
                if self._session_maker is None:
                    from sqlalchemy.orm import sessionmaker

                    made = sessionmaker(self.engine, expire_on_commit=False)
                    event.listen(made, "before_flush", self._stamp_new_rows)
                    self._session_maker = made
        return self._session_maker

    @contextmanager
    def transaction(self, *, wait: float | None = None) -> Iterator[Connection]:
        """One transaction in SQLAlchemy Core, for the few statements that need no ORM.
        ``wait`` as for ``session``."""
        with self._translated(), self.engine.begin() as connection:
            if wait is not None:
                _limit_waits(connection, wait)
            yield connection

    def insert_once(
        self, table: Table, values: dict[str, Any], *, wait: float | None = None
    ) -> bool:
        """Insert one row; False, inserting nothing, if its key is taken already (by any
        process). How a channel recognises a delivery it has had before: through the ORM
        this cost three times as much, on every message."""
        try:
            with self.transaction(wait=wait) as connection:
                connection.execute(table.insert(), values)
        except IntegrityError:
            return False
        return True

    @contextmanager
    def _translated(self) -> Iterator[None]:
        """Database errors as the store's own: an outage, or data the database refused."""
        try:
            yield
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
        delivery: str | None = None,
    ) -> Iterator[Turn]:
        """Open a turn: the conversation's state in, the updated state saved on exit.

        ``abandon``: asked just before the commit; True rolls the whole turn back (its
        answer was already given without the database).

        ``delivery``: the id the channel's platform gave this delivery of the message
        (``tables.DELIVERIES``), claimed and committed before anything is decided:
        ``DeliveredBefore`` if any process has claimed it, and nothing else is done. A
        claim stays made if the turn then fails (the person is answered without the
        database), so a retry is still refused. On SQLite the claim is made on the turn's
        own connection, after its opening read: a transaction of its own there cost a
        pooled connection and SQLAlchemy's machinery on every message. On PostgreSQL it
        is made first, in a transaction of its own that waits for the disk: inside the
        turn's, it would be undone with a turn that fails, and unseen by other workers
        until the turn commits (a copy would wait on the conversation's lock, then be
        answered without the database).
        """
        params = {"channel": channel, "user_id": user_id, "key": conversation_key}
        if delivery is not None and not self._claims_in_turn:
            self._claim(channel, delivery, self.clock())
        with self._translated(), self._locked(params) as (connection, cursor, row):
            conversation_id, state, news, claimed = row[:4]
            now = self.clock()
            if delivery is not None and self._claims_in_turn:
                self._claim(channel, delivery, now, on=(connection, cursor))
            turn = Turn(
                cursor,
                self._statements,
                conversation_id,
                channel,
                user_id,
                conversation_key,
                now,
                dict(state or {}),
                news=bool(news),
                claimed=bool(claimed),
            )
            yield turn
            with self._batched(connection):
                turn.save()
                if abandon is not None and abandon():
                    raise TurnAbandoned("answered without the database; this turn is not kept")
                connection.commit()

    def _claim(
        self, channel: str, delivery: str, now: datetime, *, on: tuple[Any, Any] | None = None
    ) -> None:
        """Claim ``delivery``, committed: in a transaction of its own, or ``on`` the turn's
        driver connection and cursor. ``DeliveredBefore`` if it was claimed before. A
        claim the database could not make is said with the delivery's id: the message is
        answered all the same, and a retry of it may be answered again."""
        column = tables.DELIVERIES.get(channel)
        if column is None:
            raise ValueError(f"the {channel!r} channel records no deliveries")
        key = delivery[: column.type.length]  # as the channel's own records cut it
        try:
            if on is None:
                first = self.insert_once(column.table, {column.name: key, "received_at": now})
            else:
                connection, cursor = on
                self._statements.claim(column).run(cursor, {"delivery": key, "now": now})
                first = cursor.rowcount == 1
                connection.commit()
        except (self._driver_error, StoreError) as exc:
            log.warning("cannot claim delivery %s to %s: %s", delivery, channel, exc)
            raise
        if not first:
            raise DeliveredBefore(f"delivery {delivery} to {channel} was taken before")

    @contextmanager
    def _batched(self, connection: Any) -> Iterator[None]:
        """On PostgreSQL, the turn's writes and its commit sent together and answered in
        one round trip (a psycopg pipeline), not one round trip each. A refusal comes
        back as the pipeline ends, and is the store's like any other (``_locked``)."""
        if not self._pipelines:
            yield
            return
        with connection.driver_connection.pipeline():
            yield

    @contextmanager
    def _locked(self, params: dict[str, str]) -> Iterator[tuple[Any, Any, tuple[Any, ...]]]:
        """A transaction holding the conversation's row (made if new): the pooled driver
        connection, its cursor and that row. Committed by the caller; anything else
        rolls it back (the pool does, as it takes the connection back).

        Pooled connections are not pinged before use (a round trip on every turn): a
        connection the server dropped fails on the opening read, before anything was
        done, so the turn is opened once more on a new one.
        """
        for attempt in (1, 2):
            try:
                connection = self.engine.raw_connection()
            except self._driver_error as exc:  # not wrapped by SQLAlchemy on this path
                raise self._as_store_error(exc) from exc
            cursor = None
            try:
                cursor = connection.cursor()
                row = self._conversation(cursor, params)
            except (self._driver_error, DBAPIError) as exc:
                if isinstance(exc, DBAPIError):  # the new-conversation insert's, wrapped
                    dropped = exc.connection_invalidated
                else:
                    dropped = self._forget_if_dropped(connection, cursor, exc)
                connection.close()
                if attempt == 2 or not dropped:
                    raise self._as_store_error(exc) from exc
                log.info("a pooled database connection was dropped; opening the turn again")
                continue
            except BaseException:
                connection.close()
                raise
            try:
                yield connection, cursor, row
            except self._driver_error as exc:
                self._forget_if_dropped(connection, cursor, exc)
                raise self._as_store_error(exc) from exc
            except StatementError as exc:
                if isinstance(exc, DBAPIError):
                    raise  # another statement's (a ticket's), for ``_translated`` as before
                # A turn statement's value its column's type could not take (``Prepared``).
                raise StoreRejected(self._explain(exc, "refused the data")) from exc
            finally:
                connection.close()
            return

    def _forget_if_dropped(self, connection: Any, cursor: Any, exc: Exception) -> bool:
        """Whether ``exc`` means the connection is gone; if so the pool drops it, and
        renews at their next checkout every connection made before it, as SQLAlchemy's
        own ``Connection`` does: a server that restarted dropped them all, and the
        turn's one retry must not be handed another dead one."""
        dialect = self.engine.dialect
        if not dialect.is_disconnect(exc, connection.dbapi_connection, cursor):
            return False
        self.engine.pool._invalidate(connection, exc)  # noqa: SLF001 - see above
        return True

    def _as_store_error(self, exc: Exception) -> StoreError:
        """A driver's error as the store's: data the database refused, or an outage.

        A turn's rows have no unique constraints, so an integrity error is a row refused
        (a missing value), not a race.
        """
        dbapi = self.engine.dialect.loaded_dbapi
        if isinstance(exc, DBAPIError):
            exc = exc.orig
        if isinstance(exc, (dbapi.IntegrityError, dbapi.DataError)):
            return StoreRejected(self._explain(exc, "refused the data"))
        return StoreUnavailable(self._explain(exc))

    def _conversation(self, cursor: Any, params: dict[str, str]) -> tuple[Any, ...]:
        found = self._statements.opening.rows(cursor, params)
        if found:
            return found[0]
        # Create it in a transaction of its own: if another process wins the race, the
        # unique constraint stops us and we use theirs.
        now = self.clock()
        try:
            with self.engine.begin() as other:
                other.execute(
                    NEW_CONVERSATION,
                    {
                        "channel": params["channel"],
                        "user_id": params["user_id"],
                        "conversation_key": params["key"],
                        "state": {},
                        "created_at": now,
                        "updated_at": now,
                    },
                )
        except IntegrityError:
            log.debug("conversation created concurrently; using the other one")
        return self._statements.opening.rows(cursor, params)[0]


def _can_pipeline(engine: Engine) -> bool:
    """Whether this database's driver can send several statements before their answers."""
    if engine.dialect.name != "postgresql" or engine.dialect.driver != "psycopg":
        return False
    import psycopg  # loaded already by the dialect

    return bool(psycopg.Pipeline.is_supported())


def recent_unanswered(
    store: Store, limit: int = 50, since: datetime | None = None
) -> list[Unanswered]:
    """The latest questions the bot could not answer (from ``since``), newest first."""
    from bot.store.models import Unanswered

    with store.session() as session:
        query = select(Unanswered).order_by(Unanswered.created_at.desc(), Unanswered.id.desc())
        if since is not None:
            query = query.where(Unanswered.created_at >= since)
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


def sqlite_file(url: str) -> Path | None:
    """The file a SQLite URL names; None for other databases and in-memory ones."""
    try:
        found = make_url(url)
    except ArgumentError:
        return None  # the store says what is wrong with it when it opens
    if not found.drivername.startswith("sqlite") or found.database in (None, "", ":memory:"):
        return None
    return Path(found.database)

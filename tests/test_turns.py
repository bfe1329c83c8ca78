"""One conversation turn as one lean transaction (``bot.store.turns``)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import event, insert, text

from bot.store import Store
from bot.store.models import Outbound
from bot.store.tables import conversations


def statements_of(store: Store, work, tmp_path) -> list[str]:  # noqa: ANN001 - a callable
    """The statements ``work`` had the database run, as the database saw them (SQLite's
    trace, libpq's on PostgreSQL): their first words, without BEGIN and COMMIT. A
    statement run for several rows counts once a row."""
    if store.engine.dialect.name == "sqlite":
        sent: list[str] = []
        while_traced(
            store,
            work,
            lambda dbapi_connection: dbapi_connection.set_trace_callback(sent.append),
            lambda dbapi_connection: dbapi_connection.set_trace_callback(None),
        )
    else:
        sent = _libpq_statements(store, work, tmp_path / "libpq.trace")
    words = [statement.split(None, 1)[0].strip('"').upper() for statement in sent]
    return [word for word in words if word not in ("BEGIN", "COMMIT", "ROLLBACK")]


def while_traced(store: Store, work, start, stop) -> None:  # noqa: ANN001 - callables
    """``work()``, with ``start`` called on each driver connection it checks out of the
    pool and ``stop`` on each once it is done."""
    traced = []

    def checkout(dbapi_connection, *_args) -> None:  # noqa: ANN001
        start(dbapi_connection)
        traced.append(dbapi_connection)

    event.listen(store.engine, "checkout", checkout)
    try:
        work()
    finally:
        event.remove(store.engine, "checkout", checkout)
        for dbapi_connection in traced:
            stop(dbapi_connection)


def libpq_trace(store: Store, work, trace: Path) -> list[str]:  # noqa: ANN001
    """The lines of libpq's trace of what ``work`` sent and received, on PostgreSQL."""
    with trace.open("w") as out:
        while_traced(
            store,
            work,
            lambda dbapi_connection: dbapi_connection.pgconn.trace(out.fileno()),
            lambda dbapi_connection: dbapi_connection.pgconn.untrace(),
        )
    return trace.read_text(errors="replace").splitlines()


def _libpq_statements(store: Store, work, trace: Path) -> list[str]:  # noqa: ANN001
    """The SQL of each statement libpq sent: a simple query, or an Execute of a prepared
    statement (named, or the last unnamed one)."""
    parsed: dict[str, str] = {}
    bound, sent = "", []
    for line in libpq_trace(store, work, trace):
        fields = line.split("\t")
        if len(fields) < 5 or fields[1] != "F":
            continue
        kind, rest = fields[3], fields[4].strip()
        if kind == "Query":
            sent.append(rest.strip('"'))
        elif kind == "Parse":
            name, sql = rest.split(" ", 1)
            parsed[name] = sql.strip('"')
        elif kind == "Bind":
            bound = rest.split(" ")[1]
        elif kind == "Execute":
            sent.append(parsed[bound])
    return sent


def news_for_sam(store: Store) -> None:
    """Sam's conversation, and an agent's reply waiting for Sam's next turn."""
    with store.turn("cli", "sam", "k"):
        pass
    with store.session() as session:
        session.execute(
            insert(Outbound),
            {
                "channel": "cli",
                "user_id": "sam",
                "conversation_key": "k",
                "reply": {"text": "An agent replied"},
                "created_at": store.clock(),
            },
        )


def test_a_turn_reads_in_one_statement_and_writes_in_few(store: Store, tmp_path: Path) -> None:
    with store.turn("cli", "sam", "k") as turn:  # the conversation is made once
        turn.add_message("in", "hello")

    def second() -> None:
        with store.turn("cli", "sam", "k") as turn:
            assert turn.take_outbox() == []  # no news: not even asked
            turn.add_message("in", "thanks")
            turn.add_message("out", "You're welcome.")
            turn.state = {"misses": 1}

    assert statements_of(store, second, tmp_path) == ["SELECT", "UPDATE", "INSERT", "INSERT"]
    with store.session() as session:
        assert session.execute(text("SELECT count(*) FROM messages")).scalar() == 3


def test_news_waiting_is_seen_in_the_opening_read_and_taken_once(store: Store) -> None:
    news_for_sam(store)
    with store.turn("cli", "sam", "k") as turn:
        assert turn.news
        assert turn.take_outbox() == [{"text": "An agent replied"}]
    with store.turn("cli", "sam", "k") as turn:
        assert not turn.news and turn.take_outbox() == []


def test_a_rolled_back_turn_leaves_its_news_waiting(store: Store) -> None:
    news_for_sam(store)
    try:
        with store.turn("cli", "sam", "k") as turn:
            assert turn.take_outbox()
            raise RuntimeError("the turn failed")
    except RuntimeError:
        pass
    with store.turn("cli", "sam", "k") as turn:
        assert turn.take_outbox() == [{"text": "An agent replied"}]


def test_on_postgresql_only_the_turn_skips_waiting_for_the_disk(store: Store) -> None:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite commits with synchronous=NORMAL for every transaction")
    with store.turn("cli", "sam", "k") as turn:
        pass
    with store.turn("cli", "sam", "k") as turn:
        turn.cursor.execute("SHOW synchronous_commit")
        inside = turn.cursor.fetchone()[0]
    with store.session() as session:  # tickets and the rest: as the server says
        outside = session.execute(text("SHOW synchronous_commit")).scalar()
    assert (inside, outside) == ("off", "on")


def test_on_postgresql_a_turns_writes_and_commit_share_one_round_trip(
    store: Store, tmp_path: Path
) -> None:
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no round trips")
    with store.turn("cli", "sam", "k"):
        pass

    def turn() -> None:
        with store.turn("cli", "sam", "k") as turn:
            turn.state = {"misses": 1}
            turn.add_message("in", "thanks")
            turn.add_message("out", "You're welcome.")

    lines = libpq_trace(store, turn, tmp_path / "libpq.trace")
    update = next(i for i, line in enumerate(lines) if "UPDATE conversations" in line)
    answered = next(i for i in range(update, len(lines)) if "ReadyForQuery" in lines[i])
    # The state, both messages and the commit sent one after another, answered together.
    sent = [line for line in lines[update:answered] if "\tF\t" in line and "\tExecute\t" in line]
    assert len(sent) == 4
    assert 'CommandComplete\t "COMMIT"' in "\n".join(lines[update:answered])
    with store.session() as session:
        assert session.execute(text("SELECT count(*) FROM messages")).scalar() == 2


def test_a_write_the_database_refuses_is_rejected_and_the_next_turn_works(store: Store) -> None:
    from bot.store.db import StoreRejected

    with store.turn("cli", "sam", "k"):
        pass
    if store.engine.dialect.name == "sqlite":
        pytest.skip("SQLite keeps a value longer than its column")
    with pytest.raises(StoreRejected), store.turn("cli", "sam", "k") as turn:
        turn.state = {"misses": 1}
        turn.add_message("out", "An answer", band="x" * 40)  # the column holds 16
    with store.turn("cli", "sam", "k") as turn:
        assert turn.state == {}  # nothing of the refused turn was kept
        turn.add_message("in", "hello again")
    with store.session() as session:
        assert session.execute(text("SELECT text FROM messages")).scalars().all() == ["hello again"]


def test_a_value_its_column_cannot_take_is_rejected_and_the_next_turn_works(
    store: Store,
) -> None:
    from datetime import UTC, datetime

    from bot.store.db import StoreRejected

    with store.turn("cli", "sam", "k"):
        pass
    with pytest.raises(StoreRejected), store.turn("cli", "sam", "k") as turn:
        turn.add_message("in", "hello")
        turn.state = {"when": datetime(2026, 1, 1, tzinfo=UTC)}  # not JSON
    with store.turn("cli", "sam", "k") as turn:
        assert turn.state == {}
        turn.add_message("in", "hello again")
    with store.session() as session:
        assert session.execute(text("SELECT text FROM messages")).scalars().all() == ["hello again"]


def test_a_duplicate_met_inside_a_turn_is_left_to_its_caller(store: Store) -> None:
    """A unique constraint doing its job in another transaction of the turn (a ticket
    opened twice) is not taken for data the turn's own rows could not hold."""
    from sqlalchemy.exc import IntegrityError

    with store.turn("cli", "sam", "k"):
        pass
    row = {"channel": "cli", "user_id": "sam", "conversation_key": "k", "state": {}}
    row.update(created_at=store.clock(), updated_at=store.clock())
    with (
        pytest.raises(IntegrityError),
        store.turn("cli", "sam", "k"),
        store.transaction() as other,
    ):
        other.execute(insert(conversations), row)


def test_an_abandoned_turn_keeps_nothing_it_wrote(store: Store) -> None:
    from bot.store.db import TurnAbandoned

    with store.turn("cli", "sam", "k"):
        pass
    with pytest.raises(TurnAbandoned), store.turn("cli", "sam", "k", abandon=lambda: True) as turn:
        turn.state = {"misses": 1}
        turn.add_message("in", "too late")
    with store.turn("cli", "sam", "k") as turn:
        assert turn.state == {}
    with store.session() as session:
        assert session.execute(text("SELECT count(*) FROM messages")).scalar() == 0


def test_a_row_missing_a_value_is_rejected_on_every_database(store: Store) -> None:
    from bot.store.db import StoreRejected

    with store.turn("cli", "sam", "k"):
        pass
    # On PostgreSQL the refusal may come back with a later statement of the batch, or
    # when the batch ends: the same StoreRejected either way.
    with pytest.raises(StoreRejected), store.turn("cli", "sam", "k") as turn:
        turn.add_message("in", None)  # type: ignore[arg-type]
        turn.add_unanswered("a question", None, None, "fallback")
    with store.turn("cli", "sam", "k") as turn:
        turn.add_message("in", "hello again")
    with store.session() as session:
        assert session.execute(text("SELECT text FROM messages")).scalars().all() == ["hello again"]
        assert session.execute(text("SELECT count(*) FROM unanswered")).scalar() == 0


def test_a_delivery_is_claimed_by_its_first_turn_and_refused_to_any_other(store: Store) -> None:
    from bot.store.db import DeliveredBefore

    with store.turn("slack", "sam", "k", delivery="Ev01") as turn:
        turn.add_message("in", "hello")
    # Another process, or a retry that got past the ack's check: nothing is done.
    with (
        pytest.raises(DeliveredBefore),
        store.turn("slack", "sam", "k", delivery="Ev01") as turn,
    ):
        turn.add_message("in", "hello")  # not reached
    with store.turn("slack", "sam", "k", delivery="Ev02") as turn:
        turn.add_message("in", "thanks")
    with store.session() as session:
        said = session.execute(text("SELECT text FROM messages ORDER BY id")).scalars().all()
        taken = session.execute(text("SELECT event_id FROM slack_events ORDER BY event_id"))
        assert said == ["hello", "thanks"]
        assert taken.scalars().all() == ["Ev01", "Ev02"]


def test_a_claim_is_committed_before_the_turn_decides(store: Store, tmp_path: Path) -> None:
    """SQLite: on the turn's own connection, after its opening read. PostgreSQL: in a
    transaction of its own, before the turn takes the conversation's lock."""
    with store.turn("slack", "sam", "k"):
        pass  # the conversation is made once
    seen: list[tuple[str, bool]] = []

    def claimed() -> None:
        with store.turn("slack", "sam", "k", delivery="Ev01") as turn:
            seen.append(("decided", _claim_visible(store, "Ev01")))
            turn.add_message("in", "hello")

    connections: list[object] = []
    event.listen(store.engine, "checkout", lambda dbapi, *_: connections.append(dbapi))
    sent = statements_of(store, claimed, tmp_path)
    assert seen == [("decided", True)]  # another process sees it while the turn decides
    if store.engine.dialect.name == "sqlite":
        assert sent == ["SELECT", "INSERT", "UPDATE", "INSERT"]
        assert len(connections) == 1
    else:
        assert sent == ["INSERT", "SELECT", "UPDATE", "INSERT"]


def _claim_visible(store: Store, delivery: str) -> bool:
    from sqlalchemy import create_engine

    other = create_engine(store.url)
    try:
        with other.connect() as connection:
            found = connection.execute(
                text("SELECT count(*) FROM slack_events WHERE event_id = :id"), {"id": delivery}
            )
            return found.scalar() == 1
    finally:
        other.dispose()


def test_a_claim_stays_made_when_its_turn_fails(store: Store) -> None:
    """The person was answered without the database: a retry must still be refused."""
    from bot.store.db import DeliveredBefore, TurnAbandoned

    with store.turn("slack", "sam", "k"):
        pass
    with (
        pytest.raises(TurnAbandoned),
        store.turn("slack", "sam", "k", delivery="Ev01", abandon=lambda: True) as turn,
    ):
        turn.add_message("in", "too late")
    with pytest.raises(DeliveredBefore), store.turn("slack", "sam", "k", delivery="Ev01"):
        pass


def test_a_delivery_to_a_channel_that_records_none_is_a_mistake(store: Store) -> None:
    with (
        pytest.raises(ValueError, match="records no deliveries"),
        store.turn("cli", "sam", "k", delivery="x"),
    ):
        pass


def test_a_claim_that_meets_a_lock_is_said_with_its_id_and_kept_for_a_later_turn(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    from sqlalchemy import create_engine

    from bot.store import StoreUnavailable

    with store.turn("slack", "sam", "k"):
        pass
    held = create_engine(store.url)
    with held.connect() as other:
        if store.engine.dialect.name == "sqlite":
            other.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            other.execute(text("LOCK TABLE slack_events IN ACCESS EXCLUSIVE MODE"))
        with pytest.raises(StoreUnavailable), store.turn("slack", "sam", "k", delivery="Ev01"):
            pass
        other.rollback()
    assert "cannot claim delivery Ev01 to slack" in caplog.text
    held.dispose()
    with store.turn("slack", "sam", "k", delivery="Ev01") as turn:
        turn.add_message("in", "hello")  # the claim was not kept: this delivery is first

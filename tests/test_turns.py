"""One conversation turn as one lean transaction (``bot.store.turns``)."""

from __future__ import annotations

import pytest
from sqlalchemy import event, insert, text

from bot.store import Store
from bot.store.models import Outbound


def statements_of(store: Store, work) -> list[str]:  # noqa: ANN001 - a callable
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:  # noqa: ANN001
        seen.append(statement.split(None, 1)[0].upper())

    event.listen(store.engine, "before_cursor_execute", note)
    try:
        work()
    finally:
        event.remove(store.engine, "before_cursor_execute", note)
    return seen


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


def test_a_turn_reads_in_one_statement_and_writes_in_few(store: Store) -> None:
    with store.turn("cli", "sam", "k") as turn:  # the conversation is made once
        turn.add_message("in", "hello")

    def second() -> None:
        with store.turn("cli", "sam", "k") as turn:
            assert turn.take_outbox() == []  # no news: not even asked
            turn.add_message("in", "thanks")
            turn.add_message("out", "You're welcome.")
            turn.state = {"misses": 1}

    assert statements_of(store, second) == ["SELECT", "UPDATE", "INSERT"]
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
        inside = turn.connection.execute(text("SHOW synchronous_commit")).scalar()
    with store.session() as session:  # tickets and the rest: as the server says
        outside = session.execute(text("SHOW synchronous_commit")).scalar()
    assert (inside, outside) == ("off", "on")


def test_on_postgresql_a_turns_writes_share_one_round_trip(store: Store, tmp_path) -> None:  # noqa: ANN001
    if store.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has no round trips")
    with store.turn("cli", "sam", "k"):
        pass
    trace = tmp_path / "libpq.trace"
    connection = None
    with trace.open("w") as out:

        def traced(dbapi_connection, *_args) -> None:  # noqa: ANN001
            dbapi_connection.pgconn.trace(out.fileno())

        event.listen(store.engine, "checkout", traced)
        try:
            with store.turn("cli", "sam", "k") as turn:
                turn.state = {"misses": 1}
                turn.add_message("in", "thanks")
                turn.add_message("out", "You're welcome.")
                connection = turn.connection.connection.driver_connection
        finally:
            event.remove(store.engine, "checkout", traced)
            if connection is not None:
                connection.pgconn.untrace()
    lines = trace.read_text(errors="replace").splitlines()
    update = next(i for i, line in enumerate(lines) if "UPDATE conversations" in line)
    answered = next(i for i in range(update, len(lines)) if "ReadyForQuery" in lines[i])
    # The state and both messages sent one after another, answered together.
    sent = [line for line in lines[update:answered] if "\tF\t" in line and "\tExecute\t" in line]
    assert len(sent) == 3
    assert 'CommandComplete\t "COMMIT"' in "\n".join(lines[answered:])
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

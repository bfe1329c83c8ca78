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

"""One injected clock: nothing the bot stores is stamped from the wall clock."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import DateTime, select

from bot.core.engine import Engine
from bot.core.messages import Message
from bot.store.models import Base
from bot.tickets.service import Tickets

FAR_PAST = datetime(2001, 5, 6, 7, 8, tzinfo=UTC)


@pytest.mark.parametrize("clock", [FAR_PAST], indirect=True)
def test_every_stored_time_comes_from_the_injected_clock(knowledge, store, clock) -> None:
    bot = Engine(knowledge, store)  # no clock given: it takes the store's
    for text in ("help me set up my account secret", "cancel", "how do i bake bread"):
        bot.handle(Message(user_id="sam", text=text))
    bot.handle(Message(user_id="sam", text="talk to a person"))
    bot.handle(Message(user_id="sam", text="yes"))
    tickets = Tickets(store)
    [ticket] = tickets.list()
    tickets.claim(ticket.ref, "agent")
    tickets.resolve(ticket.ref, "agent")

    seen: set[datetime] = set()
    with store.session() as session:
        for table in Base.metadata.sorted_tables:
            stamps = [c for c in table.columns if isinstance(c.type, DateTime)]
            for row in session.execute(select(*stamps)) if stamps else ():
                seen.update(v.replace(tzinfo=UTC) for v in row if v is not None)
    assert seen and {s.date() for s in seen} <= {FAR_PAST.date()}

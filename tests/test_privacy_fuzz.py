"""2,400 generated messages from 60 people: nothing sensitive survives anywhere.

Every table, every log line, every ticket, its helpdesk card and its email are searched
for each secret, password, NHS number, phone, email and postcode that was typed (in the
formats people paste: no-break spaces, dots, zero-width characters). The helpdesk
number, dates and ticket refs must survive.
"""

from __future__ import annotations

import itertools
import json
import logging

import pytest

from bot.channels.slack.cards import card
from bot.config import SmtpSettings
from bot.core.engine import Engine
from bot.core.messages import Message
from bot.tickets.mailer import TicketMailer
from bot.tickets.service import Tickets, email_new_tickets
from tests.conftest import Inbox, dump_tables
from tests.fuzz_messages import Haystack, generate

SEED, COUNT = 2026, 2_400


def test_no_typed_secret_or_personal_detail_is_kept_anywhere(
    knowledge, store, serve, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    inbox = Inbox()
    port = serve(inbox)
    tickets = Tickets(store)
    mail = SmtpSettings(host="127.0.0.1", port=port, starttls=False, recipient="desk@x.org")
    # No wall clock and no random Message-ID: the leak search below must not find a
    # phone's last seven digits in a random number, so every run sees the same text.
    ids = itertools.count(1)
    mailer = TicketMailer(
        mail,
        sleep=lambda _: None,
        clock=store.clock,
        message_id=lambda domain: f"<fuzz-{next(ids)}@{domain}>",
    )
    sent = email_new_tickets(tickets, mailer)
    bot = Engine(knowledge, store, tickets=tickets)

    messages = generate(SEED, COUNT)
    said: list[str] = []
    for i, message in enumerate(messages):
        replies = bot.handle(Message(user_id=message.user, text=message.text))
        said.extend(r.text for r in replies)
        if i % 41 == 40:  # now and then (a different person each time), the helpdesk
            bot.handle(Message(user_id=message.user, text="talk to a person"))
            bot.handle(Message(user_id=message.user, text="yes"))
    views = tickets.list()
    for view in views[:10]:  # agents answer, quoting what people sent them
        tickets.claim(view.ref, "agent.kim")
        tickets.reply(view.ref, "agent.kim", f"thanks, got it: {messages[0].text}")
    for thread in sent:
        thread.join(timeout=30)

    views = [tickets.show(v.ref) for v in tickets.list()]
    places = {
        "tables": dump_tables(store),
        "logs": caplog.text,
        "replies": "\n".join(said),
        "tickets": "\n".join(json.dumps(v.to_dict(), default=str) for v in views),
        "cards": "\n".join(json.dumps(card(v)) for v in views),
        "emails": "\n".join(m.get_content() + m["Subject"] for m in inbox.received),
    }
    assert len(views) >= 10 and len(inbox.received) == len(views)

    haystacks = {place: Haystack(text) for place, text in places.items()}
    found = {
        (item.category, place)
        for message in messages
        for item in message.sensitive
        for place, haystack in haystacks.items()
        if haystack.holds(item)
    }
    assert found == set()
    categories = {item.category for m in messages for item in m.sensitive}
    assert categories == {"secret", "password", "nhs_number", "phone", "email", "postcode"}
    assert sum(len(m.sensitive) for m in messages) >= 2_000

    # What must survive: the helpdesk's number, ticket refs, dates.
    assert "0333 200 1133" in places["replies"]
    assert all(v.ref in places["tables"] and v.ref in places["emails"] for v in views)
    assert "3 February 2025" in places["replies"]

"""Helpdesk handoff: tickets from the user's side, the agents' side, email, and races."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import pytest
from conftest import Inbox, dump_tables
from sqlalchemy import select

from bot.config import SmtpSettings
from bot.core.engine import Engine
from bot.core.messages import Message
from bot.hours import BusinessHours
from bot.store import Store
from bot.store.models import Outbound, Ticket
from bot.tickets.mailer import TicketMailer
from bot.tickets.service import (
    AlreadyResolved,
    Requester,
    TicketConflict,
    Tickets,
    email_new_tickets,
)

NHS_NUMBER = "943 476 5919"  # valid check digit
PHONE = "07700 900123"
EMAIL = "jo.bloggs@example.com"


def ask(helpbot, *lines: str, user: str = "sam") -> list[dict]:
    result = helpbot("ask", "--json", "--user", user, stdin="\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


def tickets_cmd(helpbot, *args: str):
    return helpbot("tickets", *args)


def test_whole_life_of_a_ticket_through_the_cli(helpbot) -> None:
    opened = ask(
        helpbot,
        "my email won't open since this morning",
        "talk to a person",
        # A clear yes, with a sentence after it for the agent.
        f"yes, I'm locked out, call me on {PHONE}, resident NHS number {NHS_NUMBER}",
    )
    confirm, created = opened[-2], opened[-1]
    assert [b["typed"] for b in confirm["buttons"]] == ["create ticket", "cancel"]
    assert "HD-000001" in created["text"] and "0333 200 1133" in created["text"]

    listed = tickets_cmd(helpbot, "list", "--json")
    [ticket] = [json.loads(line) for line in listed.stdout.splitlines()]
    assert ticket["ref"] == "HD-000001" and ticket["status"] == "open"
    assert ticket["requester"]["user_id"] == "sam" and ticket["assignee"] is None
    shown = json.loads(tickets_cmd(helpbot, "show", "HD-000001", "--json").stdout)
    assert "my email won't open" in shown["transcript"]
    notes = [e["text"] for e in shown["events"] if e["kind"] == "note"]
    assert notes == ["I'm locked out, call me on [PHONE], resident NHS number [NHS NUMBER]"]

    assert tickets_cmd(helpbot, "claim", "HD-000001", "--agent", "ann").returncode == 0
    replied = tickets_cmd(
        helpbot, "reply", "HD-000001", "--agent", "ann", "I've unlocked it, try now"
    )
    assert replied.returncode == 0, replied.stderr
    seen = ask(helpbot, "hello?")
    assert "ann" in seen[0]["text"] and "HD-000001" in seen[0]["text"]  # claimed
    assert "I've unlocked it, try now" in seen[1]["text"]  # the agent's reply

    resolved = tickets_cmd(helpbot, "resolve", "HD-000001", "--agent", "ann", "--note", "done")
    assert resolved.returncode == 0
    [news, *_] = ask(helpbot, "thanks")
    assert "resolved" in news["text"] and "Did this solve your problem?" in news["text"]
    assert [b["typed"] for b in news["buttons"]] == ["yes", "no"]
    rating = ask(helpbot, "yes")
    assert "1 (poor) to 5 (great)" in rating[0]["text"]
    assert "Thank you" in ask(helpbot, "4")[0]["text"]

    final = json.loads(tickets_cmd(helpbot, "show", "HD-000001", "--json").stdout)
    assert (final["status"], final["solved"], final["score"]) == ("resolved", True, 4)
    kinds = [e["kind"] for e in final["events"]]
    assert kinds[:2] == ["created", "note"] and "claimed" in kinds and "resolved" in kinds


def test_agent_commands_that_cannot_be_done_exit_1_with_one_line(helpbot) -> None:
    ask(helpbot, "talk to a person", "create ticket")
    assert tickets_cmd(helpbot, "claim", "HD-000001", "--agent", "ann").returncode == 0
    taken = tickets_cmd(helpbot, "claim", "HD-000001", "--agent", "bob")
    assert taken.returncode == 1
    assert taken.stderr.strip() == "error: HD-000001 is already claimed by ann"
    unknown = tickets_cmd(helpbot, "show", "HD-999999")
    assert unknown.returncode == 1 and unknown.stderr.strip() == "error: no ticket 'HD-999999'"
    reply = tickets_cmd(helpbot, "reply", "HD-000001", "--agent", "bob", "hi")
    assert reply.returncode == 1 and len(reply.stderr.strip().splitlines()) == 1


def test_asking_again_adds_to_the_same_open_ticket(engine: Engine) -> None:
    for text in ("talk to a person", "create ticket", "talk to a person"):
        replies = engine.handle(Message(user_id="sam", text=text))
    assert "already have an open helpdesk ticket" in replies[-1].text
    assert "HD-000001" in replies[-1].text
    [added] = engine.handle(Message(user_id="sam", text="yes, still broken"))
    assert "I've added this to your ticket **HD-000001**" in added.text
    assert len(engine.tickets.list()) == 1
    notes = [e["text"] for e in engine.tickets.show("HD-000001").events if e["kind"] == "note"]
    assert notes == ["still broken"]


def test_two_fallbacks_in_a_row_offer_the_helpdesk(engine: Engine) -> None:
    engine.handle(Message(user_id="sam", text="how do I book a flu jab for my mum"))
    [second] = engine.handle(Message(user_id="sam", text="who won the football last night"))
    assert "pass this to the helpdesk" in second.text and second.meta.handoff_offered


def test_status_of_my_ticket(engine: Engine) -> None:
    [none] = engine.handle(Message(user_id="sam", text="status of my ticket"))
    assert "no helpdesk tickets" in none.text
    engine.handle(Message(user_id="sam", text="talk to a person"))
    engine.handle(Message(user_id="sam", text="create ticket"))
    [status] = engine.handle(Message(user_id="sam", text="any update on my ticket?"))
    assert "HD-000001" in status.text and "open" in status.text


def test_a_shared_conversation_never_hears_private_ticket_news(engine: Engine) -> None:
    # A thread in a public channel: others can read it.
    public = {"user_id": "sam", "conversation_id": "C1:100.1", "shared": True}
    engine.handle(Message(text="talk to a person", **public))
    [created] = engine.handle(Message(text="create ticket", **public))
    ref = engine.tickets.list()[0].ref
    assert ref in created.text
    engine.tickets.claim(ref, "ann")
    engine.tickets.reply(ref, "ann", "your account is unlocked")
    later = engine.handle(Message(text="how do I get nhsmail", **public))
    assert not any("unlocked" in r.text or "(ann)" in r.text for r in later)
    [status] = engine.handle(Message(text="status of my ticket", **public))
    assert ref not in status.text and "direct message" in status.text
    # The news is still there for the person's own conversation.
    mine = engine.handle(Message(user_id="sam", text="hello", conversation_id="C1:100.1"))
    assert any("unlocked" in r.text for r in mine)


def test_ticket_summaries_are_shown_verbatim_not_as_markdown(engine: Engine) -> None:
    question = "my printer says see [this](https://evil.example) **now**"
    for text in (question, "talk to a person", "create ticket"):
        engine.handle(Message(user_id="sam", text=text))
    [status] = engine.handle(Message(user_id="sam", text="status of my ticket"))
    assert f"`{question}`" in status.text


def test_claim_race_has_exactly_one_winner(store: Store) -> None:
    tickets = Tickets(store)
    view, _ = tickets.open(Requester("cli", "sam", "sam"), "general", "help")
    results: list[str] = []
    barrier = threading.Barrier(6)

    def claim(agent: str) -> None:
        barrier.wait()
        try:
            tickets.claim(view.ref, agent)
            results.append("won")
        except TicketConflict:
            results.append("lost")

    threads = [threading.Thread(target=claim, args=(f"agent{n}",)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["lost"] * 5 + ["won"]


def feedback_questions(store: Store) -> list[str]:
    with store.session() as session:
        rows = session.execute(select(Outbound.reply).order_by(Outbound.id)).scalars()
        return [r["text"] for r in rows if "Did this solve your problem?" in r["text"]]


def test_resolves_at_once_ask_for_feedback_once(store: Store) -> None:
    tickets = Tickets(store)
    view, _ = tickets.open(Requester("cli", "sam", "sam"), "general", "help")
    tickets.claim(view.ref, "ann")
    barrier = threading.Barrier(6)
    results: list[str] = []

    def resolve() -> None:
        barrier.wait()
        try:
            tickets.resolve(view.ref, "ann", "unlocked")
            results.append("resolved")
        except AlreadyResolved:
            results.append("no-op")

    threads = [threading.Thread(target=resolve) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["no-op"] * 5 + ["resolved"]
    assert len(feedback_questions(store)) == 1
    kinds = [e["kind"] for e in tickets.show(view.ref).events]
    assert kinds.count("resolved") == 1


def test_resolving_a_resolved_ticket_changes_nothing_and_says_so(helpbot) -> None:
    ask(helpbot, "talk to a person", "yes")
    assert tickets_cmd(helpbot, "resolve", "HD-000001", "--agent", "ann").returncode == 0
    again = tickets_cmd(helpbot, "resolve", "HD-000001", "--agent", "bob")
    assert again.returncode == 0, again.stderr
    assert again.stdout.strip() == "HD-000001 is already resolved (by ann); nothing to do"
    heard = [r["text"] for r in ask(helpbot, "hello")]
    assert "has been resolved" in heard[0]
    assert len([text for text in heard if "Did this solve" in text]) == 1


def test_reopening_waits_for_the_persons_other_open_ticket(store: Store) -> None:
    tickets = Tickets(store)
    sam = Requester("cli", "sam", "sam")
    first, _ = tickets.open(sam, "general", "help")
    tickets.resolve(first.ref, "ann")
    second, created = tickets.open(sam, "locked_out", "locked out")
    assert created
    with pytest.raises(TicketConflict, match=f"already has an open ticket, {second.ref}"):
        tickets.reopen(first.ref)
    tickets.resolve(second.ref, "ann")
    assert tickets.reopen(first.ref).status == "open"


def test_the_store_counts_the_transactions_that_wrote_news(engine: Engine, store: Store) -> None:
    tickets = Tickets(store)
    before = store.news_written
    engine.handle(Message(user_id="sam", text="how do i get nhsmail", channel="cli"))
    assert store.news_written == before  # an answer leaves no news
    view, _ = tickets.open(Requester("cli", "sam", "sam"), "general", "help")
    assert store.news_written == before + 1  # the agents' news of a new ticket
    tickets.claim(view.ref, "agent")
    assert store.news_written == before + 2  # the requester's news of the claim
    tickets.show(view.ref)
    assert store.news_written == before + 2


def test_dedupe_race_makes_one_ticket(store: Store) -> None:
    tickets = Tickets(store)
    barrier = threading.Barrier(6)
    created: list[bool] = []

    def open_one(n: int) -> None:
        barrier.wait()
        _, new = tickets.open(Requester("cli", "sam", "sam"), "locked_out", f"try {n}")
        created.append(new)

    threads = [threading.Thread(target=open_one, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(created) == [False] * 5 + [True]
    with store.session() as session:
        assert len(session.execute(select(Ticket)).scalars().all()) == 1


def test_no_table_holds_the_users_personal_details(engine: Engine, store: Store) -> None:
    for text in (
        f"my resident's NHS number is {NHS_NUMBER} and my mobile is {PHONE}",
        "talk to a person",
        f"yes, email me at {EMAIL}",
    ):
        engine.handle(Message(user_id="sam", text=text))
    view = engine.tickets.list()[0]
    engine.tickets.claim(view.ref, "ann")
    engine.tickets.reply(view.ref, "ann", f"I'll call {PHONE}")
    everything = dump_tables(store)
    for secret in (NHS_NUMBER, NHS_NUMBER.replace(" ", ""), PHONE, EMAIL):
        assert secret not in everything
    assert "[NHS NUMBER]" in everything and "[PHONE]" in everything


def test_new_ticket_is_emailed_even_when_the_server_refuses_once(knowledge, store, serve) -> None:
    inbox = Inbox("451 4.3.0 try again later")
    port = serve(inbox)
    tickets = Tickets(store)
    settings = SmtpSettings(host="127.0.0.1", port=port, starttls=False, recipient="desk@x.org")
    sent = email_new_tickets(tickets, TicketMailer(settings, sleep=lambda _: None))
    engine = Engine(knowledge, store, tickets=tickets)
    engine.handle(Message(user_id="sam", text=f"my phone {PHONE} can't get email"))
    engine.handle(Message(user_id="sam", text="talk to a person"))
    engine.handle(Message(user_id="sam", text="create ticket"))
    for thread in sent:
        thread.join(timeout=10)
    [email] = inbox.received
    assert email["Subject"].startswith("[HD-000001] ")
    body = email.get_content()
    assert "[PHONE]" in body and PHONE not in body
    assert tickets.show("HD-000001").email == "sent"


def test_a_mail_outage_never_loses_the_ticket(knowledge, store) -> None:
    from conftest import free_port

    tickets = Tickets(store)
    settings = SmtpSettings(host="127.0.0.1", port=free_port(), recipient="d@x.org", timeout=1)
    sent = email_new_tickets(tickets, TicketMailer(settings, sleep=lambda _: None))
    view, _ = tickets.open(Requester("cli", "sam", "sam"), "general", "help")
    for thread in sent:
        thread.join(timeout=10)
    shown = tickets.show(view.ref)
    assert shown.status == "open" and shown.email == "failed"


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (datetime(2026, 11, 24, 10, 0, tzinfo=UTC), "open now"),  # Tuesday morning
        (datetime(2026, 11, 28, 10, 0, tzinfo=UTC), "Monday at 09:00"),  # Saturday
        (datetime(2026, 11, 24, 18, 0, tzinfo=UTC), "Wednesday at 09:00"),
    ],
)
def test_business_hours_say_when_to_expect_a_reply(when: datetime, expected: str) -> None:
    hours = BusinessHours.parse("Mon-Fri 09:00-17:00")
    assert expected in hours.expectation(when)


def test_resolved_tickets_can_be_reopened_and_closed(store: Store) -> None:
    tickets = Tickets(store)
    view, _ = tickets.open(Requester("cli", "sam", "sam"), "general", "help")
    with pytest.raises(TicketConflict, match="resolve it before closing"):
        tickets.close(view.ref, "ann")
    tickets.resolve(view.ref, "ann")
    assert tickets.reopen(view.ref).status == "open"
    tickets.resolve(view.ref, "ann")
    assert tickets.close(view.ref, "ann").status == "closed"
    with pytest.raises(TicketConflict):
        tickets.claim(view.ref, "ann")

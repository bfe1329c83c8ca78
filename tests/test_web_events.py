"""News reaches a web visitor as it happens, through the event stream, exactly once."""

from __future__ import annotations

import json
import re
import socket
import threading
from collections.abc import Iterator
from http.client import HTTPConnection, HTTPException

import httpx
import pytest

from bot.channels.slack import cards
from bot.core.engine import Engine
from bot.core.messages import Message
from bot.store import Store
from bot.tickets import cli as tickets_cli
from bot.tickets.service import UNVERIFIED, Tickets, email_body
from tests.conftest import INTENTS, KNOWLEDGE


@pytest.fixture
def helpdesk_engine(knowledge, store: Store, clock) -> Engine:
    return Engine(
        knowledge, store, tickets=Tickets(store, clock=clock), source=(INTENTS, KNOWLEDGE)
    )


def open_ticket(http: httpx.Client) -> str:
    http.post("/api/messages", json={"text": "talk to a person"}).raise_for_status()
    done = http.post("/api/messages", json={"action": "ticket:create", "label": "Yes"}).json()
    return re.search(r"HD-\d{6}", done["replies"][0]["text"]).group(0)


class Stream:
    """One EventSource as a browser keeps it: events read in a thread as they come.

    Plain ``http.client`` on a socket the test can shut: a dropped connection is a real
    one, seen by the server at once.
    """

    def __init__(
        self,
        http: httpx.Client,
        last_event_id: int | None = None,
        arrived: threading.Condition | None = None,
    ) -> None:
        url = httpx.URL(str(http.base_url))
        self.connection = HTTPConnection(url.host, url.port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in http.cookies.items())}
        if last_event_id is not None:
            headers["Last-Event-ID"] = str(last_event_id)
        self.connection.request("GET", "/api/events", headers=headers)
        self.response = self.connection.getresponse()
        assert self.response.status == 200
        self.events: list[tuple[int, dict]] = []
        self.arrived = arrived or threading.Condition()
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        event_id = None
        try:
            for raw in self.response:
                line = raw.decode().rstrip("\n")
                if line.startswith("id: "):
                    event_id = int(line[4:])
                elif line.startswith("data: ") and event_id is not None:
                    with self.arrived:
                        self.events.append((event_id, json.loads(line[6:])))
                        self.arrived.notify_all()
        except (OSError, ValueError, HTTPException):
            return  # closed by the test

    def wait_for(self, count: int, timeout: float = 15) -> list[tuple[int, dict]]:
        with self.arrived:
            assert self.arrived.wait_for(lambda: len(self.events) >= count, timeout=timeout), (
                f"{len(self.events)} of {count} events: {self.events}"
            )
            return list(self.events)

    def close(self) -> None:
        sock = self.connection.sock
        if sock is not None:
            sock.shutdown(socket.SHUT_RDWR)
        self._thread.join(timeout=5)  # the reader sees the end first, then it is closed
        self.connection.close()


def texts(events: list[tuple[int, dict]]) -> list[str]:
    """The agents' words, without the "**Helpdesk (HD-…)**:" the bot puts before them."""
    return [re.sub(r"^\*\*[^*]+\*\*: ", "", data["text"]) for _, data in events]


@pytest.fixture
def visitor(web_chat, helpdesk_engine) -> Iterator[tuple[httpx.Client, str]]:
    server = web_chat(helpdesk_engine)
    with httpx.Client(base_url=server.url, headers={"Origin": server.url}, timeout=10) as http:
        yield http, open_ticket(http)


def test_an_agents_reply_appears_in_the_open_stream(visitor, helpdesk_engine) -> None:
    http, ref = visitor
    stream = Stream(http)
    tickets = helpdesk_engine.tickets
    tickets.claim(ref, "agent-1", "Sam")
    tickets.reply(ref, "agent-1", "Hello, I can reset that for you.")
    events = stream.wait_for(2)
    stream.close()
    assert "Sam" in events[0][1]["text"]  # the claim, then the reply
    assert "Hello, I can reset that for you." in events[1][1]["text"]
    # On the record: a reload shows both, and the next turn does not show them again.
    history = http.get("/api/history").json()["lines"]
    assert "Hello, I can reset that for you." in history[-1]["text"]
    later = http.post("/api/messages", json={"text": "thanks"}).json()
    assert not any("reset that for you" in r["text"] for r in later["replies"])


def test_a_dropped_stream_resumes_losing_nothing_and_repeating_nothing(
    visitor, helpdesk_engine
) -> None:
    http, ref = visitor
    tickets = helpdesk_engine.tickets
    first = Stream(http)
    tickets.claim(ref, "agent-1", "Sam")
    tickets.reply(ref, "agent-1", "first reply")
    (claim_id, _), (first_id, _) = first.wait_for(2)
    first.close()  # dropped; suppose "first reply" never reached the page

    tickets.reply(ref, "agent-1", "sent while disconnected")
    again = Stream(http, last_event_id=claim_id)  # the last piece the page saw
    events = again.wait_for(2)
    again.close()
    assert texts(events) == ["first reply", "sent while disconnected"]
    assert events[0][0] == first_id

    tickets.reply(ref, "agent-1", "after the second drop")
    third = Stream(http, last_event_id=events[-1][0])
    found = third.wait_for(1)
    third.close()
    assert texts(found) == ["after the second drop"]  # nothing before it came again


def test_two_workers_deliver_an_agent_reply_once(web_chat, knowledge, db_url, clock) -> None:
    # Two processes' worth: two engines and servers on one database, one visitor (the
    # same cookie works on both, as behind a load balancer), a stream open on each.
    stores = [Store(db_url, clock=clock) for _ in range(2)]
    engines = [Engine(knowledge, s, tickets=Tickets(s, clock=clock)) for s in stores]
    servers = [web_chat(e) for e in engines]
    origin = servers[0].url
    with httpx.Client(base_url=origin, headers={"Origin": origin}, timeout=10) as http:
        ref = open_ticket(http)
        cookies = dict(http.cookies)
        other = httpx.Client(
            base_url=servers[1].url, headers={"Origin": servers[1].url}, cookies=cookies
        )
        arrived = threading.Condition()  # one for both streams: either may get a reply
        streams = [Stream(http, arrived=arrived), Stream(other, arrived=arrived)]
        tickets = engines[0].tickets
        tickets.claim(ref, "agent-1", "Sam")
        for n in range(5):
            tickets.reply(ref, "agent-1", f"reply {n}")

        def replies_seen() -> list[str]:
            return [t for s in streams for t in texts(s.events) if t.startswith("reply ")]

        with arrived:
            arrived.wait_for(lambda: len(replies_seen()) >= 5, timeout=15)
            seen = replies_seen()
        for stream in streams:
            stream.close()
        other.close()
    for store in stores:
        store.close()
    assert sorted(seen) == [f"reply {n}" for n in range(5)]  # each once, none lost


def test_agents_see_that_a_web_ticket_is_unverified(visitor, helpdesk_engine) -> None:
    _, ref = visitor
    view = helpdesk_engine.tickets.show(ref)
    assert view.unverified and view.to_dict()["unverified"] is True
    assert UNVERIFIED in email_body(view)
    assert UNVERIFIED in tickets_cli._details(view)
    assert UNVERIFIED in json.dumps(cards.card(view))
    assert "Do not reset" in UNVERIFIED


def test_a_ticket_from_a_signed_in_channel_is_not_marked(helpdesk_engine) -> None:
    engine = helpdesk_engine
    engine.handle(Message(user_id="U1", text="talk to a person", channel="slack"))
    engine.handle(Message(user_id="U1", text="yes", channel="slack", action="ticket:create"))
    (view,) = engine.tickets.list()
    assert not view.unverified
    assert UNVERIFIED not in email_body(view)


def test_a_way_to_reach_them_is_kept_on_the_ticket_only(web_chat, helpdesk_engine, store) -> None:
    from tests.conftest import dump_tables

    phone = "07700 900123"
    server = web_chat(helpdesk_engine)
    with httpx.Client(base_url=server.url, headers={"Origin": server.url}, timeout=10) as http:
        http.post("/api/messages", json={"text": "talk to a person"}).raise_for_status()
        done = http.post(
            "/api/messages",
            json={"action": "ticket:create", "label": "Yes, create a ticket", "contact": phone},
        ).json()
        history = http.get("/api/history").text
    ref = re.search(r"HD-\d{6}", done["replies"][0]["text"]).group(0)
    view = helpdesk_engine.tickets.show(ref)
    assert view.reach == phone
    # Not in the chat, the transcript, the email, the card or the JSON any agent can list.
    assert phone not in history and phone not in str(done) and phone not in view.transcript
    assert phone not in email_body(view) and phone not in json.dumps(cards.card(view))
    assert phone not in json.dumps(view.to_dict()) and phone not in repr(view)
    assert dump_tables(store).count(phone) == 1  # the ticket's own column, nowhere else
    # Only the agent who has claimed it is given it.
    assert view.reach_for("sam") is None
    claimed = helpdesk_engine.tickets.claim(ref, "sam", "Sam")
    assert claimed.reach_for("sam") == phone and claimed.reach_for("alex") is None


def test_a_contact_that_is_not_short_text_is_refused(web_chat, helpdesk_engine) -> None:
    server = web_chat(helpdesk_engine)
    with httpx.Client(base_url=server.url, headers={"Origin": server.url}, timeout=10) as http:
        long = http.post(
            "/api/messages", json={"action": "ticket:create", "label": "Yes", "contact": "9" * 201}
        )
        odd = http.post("/api/messages", json={"action": "ticket:create", "contact": ["x"]})
    assert long.status_code == 400 and "under 200" in long.json()["error"]
    assert odd.status_code == 400


def test_new_tickets_from_one_address_are_capped_well_below_messages(
    web_chat, helpdesk_engine, ticker
) -> None:
    server = web_chat(helpdesk_engine, now=ticker, tickets_per_hour_per_ip=1)

    def ask_for_a_person() -> str:
        with httpx.Client(base_url=server.url, headers={"Origin": server.url}) as http:
            http.post("/api/messages", json={"text": "talk to a person"}).raise_for_status()
            done = http.post("/api/messages", json={"action": "ticket:create", "label": "Yes"})
            return done.json()["replies"][0]["text"]

    assert "Done: your ticket is" in ask_for_a_person()
    refused = ask_for_a_person()  # a new visitor (no cookie) from the same address
    assert "can't create a ticket right now" in refused and "0333 200 1133" in refused
    assert len(helpdesk_engine.tickets.list()) == 1
    ticker.now += 3601
    assert "Done: your ticket is" in ask_for_a_person()

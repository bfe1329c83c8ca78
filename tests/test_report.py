"""``helpbot report``: numbers that match a scripted day, and a page with charts that
renders offline in a real browser."""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import START, FixedClock

from bot.content.loader import Content
from bot.core.engine import Engine, Knowledge
from bot.core.messages import Message
from bot.report import as_text, gather
from bot.report_html import page
from bot.store import Store
from bot.tickets.service import Tickets

CHROMIUM = os.environ.get("HELPBOT_CHROMIUM", "/usr/bin/chromium")


def scripted_day(knowledge: Knowledge, store: Store, clock: FixedClock) -> str:
    """Three people on one day: two answers (one rated helpful, one not), a fallback, a
    did-you-mean taken, one ticket."""
    tickets = Tickets(store, clock=clock)
    engine = Engine(knowledge, store, tickets=tickets)

    def say(user: str, text: str) -> None:
        engine.handle(Message(user_id=user, text=text, channel="cli"))

    say("ann", "what is nhsmail")
    say("ann", "helpful")
    say("ann", "who can use nhsmail")
    say("ann", "not helpful")
    say("bob", "what is the capital of peru")  # falls back
    say("cat", "mfa")  # did you mean
    say("cat", "1")  # ... taken: the first suggestion
    say("bob", "talk to a person")
    say("bob", "yes")  # the ticket
    [ticket] = tickets.list()
    tickets.claim(ticket.ref, "agent")
    clock.now += timedelta(hours=3)
    tickets.resolve(ticket.ref, "agent")
    tickets.feedback(ticket.ref, solved=True)
    tickets.feedback(ticket.ref, score=4)
    return ticket.ref


@pytest.fixture
def period(knowledge: Knowledge, content: Content, store: Store, clock: FixedClock):
    scripted_day(knowledge, store, clock)
    smalltalk = frozenset(i.id for i in content.intents.values() if i.smalltalk)
    start, end = START - timedelta(days=1), clock.now + timedelta(minutes=1)
    return gather(store, content, start, end, idle=timedelta(hours=24), smalltalk=smalltalk)


def test_the_report_counts_what_the_script_did(period) -> None:
    assert (period.conversations, period.questions) == (3, 9)
    assert (period.without_a_person, round(period.deflection, 3)) == (2, 0.667)
    assert (period.fell_back, period.suggested, period.suggestions_taken) == (1, 1, 1)
    assert ("nhsmail_what", 1) in period.top_intents
    assert ("nhsmail_who_can_use", 1) in period.top_intents
    assert period.daily == [(START.date(), 9)]
    assert (period.tickets_opened, period.tickets_resolved) == (1, 1)
    assert period.hours_to_resolve == 3.0
    assert (period.solved_yes, period.solved_no, period.scores) == (1, 0, [4])
    assert (period.rated_helpful, period.rated_unhelpful) == (1, 1)
    assert period.unhelpful_intents == [("nhsmail_who_can_use", 1)]
    text = "\n".join(as_text(period))
    assert "answered without a person: 67% of conversations (2)" in text
    assert "median time to resolve 3.0 h" in text
    rated = "answers rated: 1 helpful / 1 not helpful; not helpful most: nhsmail_who_can_use 1"
    assert rated in text


@pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM}")
def test_the_page_renders_its_charts_offline_in_a_browser(period, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    path = tmp_path / "report.html"
    path.write_text(page(period), encoding="utf-8")
    requested: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            tab = browser.new_page()
            tab.on("request", lambda r: requested.append(r.url))
            tab.goto(path.as_uri())
            assert tab.locator("h1").inner_text() == "helpbot report"
            assert tab.locator("figure.chart svg").count() == 3
            for chart in tab.locator("figure.chart svg").all():
                box = chart.bounding_box()
                assert box is not None and box["width"] > 300 and box["height"] > 100
            assert "Top intents" in tab.locator("body").inner_text()
        finally:
            browser.close()
    assert requested == [path.as_uri()]  # nothing but the page itself


def test_the_command_prints_the_figures_and_writes_the_page(helpbot, tmp_path: Path) -> None:
    helpbot("ask", stdin="what is nhsmail\nwhat is the capital of peru\n")
    out = tmp_path / "report.html"
    done = helpbot("report", "--since", "7d", "--html", str(out))
    assert done.returncode == 0, done.stderr
    assert "conversations: 1, questions: 2" in done.stdout
    assert "replies: 1 answered, 0 did-you-mean (0 taken), 1 fell back" in done.stdout
    assert out.read_text().count("<svg") == 3
    assert helpbot("report", "--since", "soon").returncode == 2

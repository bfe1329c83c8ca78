"""The web chat in a real browser (Debian's Chromium driven by Playwright), phone-sized.

Playwright's own browser download cannot work here, so the system Chromium is used
(``.ci/run`` installs it; HELPBOT_CHROMIUM names another). Without it these tests skip.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.core.engine import Engine

CHROMIUM = os.environ.get("HELPBOT_CHROMIUM", "/usr/bin/chromium")
AXE = Path(__file__).parent / "browser" / "node_modules" / "axe-core" / "axe.min.js"
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM} (apt-get install chromium)"
)


@pytest.fixture(scope="module")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def site(web_chat, knowledge, sqlite_url, clock) -> Iterator[str]:
    # SQLite only: the browser adds nothing the API tests do not check on PostgreSQL.
    from bot.store import Store
    from bot.tickets.service import Tickets

    store = Store(sqlite_url, clock=clock)
    engine = Engine(knowledge, store, tickets=Tickets(store, clock=clock))
    yield web_chat(engine).url
    store.close()


@pytest.fixture
def page(browser, site):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(site + "/")
    yield page
    context.close()


def send(page, text: str) -> None:
    before = page.locator(".from-bot").count()
    page.get_by_label("Message").fill(text)
    page.get_by_role("button", name="Send").click()
    page.locator(".from-bot").nth(before).wait_for()


def click(page, label: str) -> None:
    before = page.locator(".from-bot").count()
    page.locator(".choices button:enabled", has_text=label).first.click()
    page.locator(".from-bot").nth(before).wait_for()


def test_a_question_shows_its_answer_and_its_source_as_a_safe_link(page) -> None:
    send(page, "acct secret deadline??")
    answer = page.locator(".from-bot").last
    assert "3 February 2025" in answer.inner_text()
    link = answer.locator("a[href^='https://support.nhs.net/']")
    assert link.get_attribute("rel") == "noopener noreferrer"
    assert answer.locator("strong", has_text="3 February 2025").count() == 1  # Markdown bold


def test_the_account_secret_walkthrough_runs_to_the_end_by_clicking(page) -> None:
    send(page, "help me set up my account secret")
    assert "step 1 of 8" in page.locator(".from-bot").last.inner_text()
    click(page, "Existing account")
    click(page, "Yes, I can sign in")
    for _ in range(4):
        click(page, "Next")
    assert "done" in page.locator(".from-bot").last.inner_text()


def test_only_the_newest_choices_can_be_clicked(page) -> None:
    send(page, "help me set up my account secret")
    click(page, "Existing account")
    groups = page.locator(".choices")
    assert groups.count() == 2
    assert groups.nth(0).locator("button:enabled").count() == 0
    assert groups.nth(1).locator("button:enabled").count() > 0


def test_an_answer_can_be_rated_and_not_helpful_offers_a_person(page) -> None:
    send(page, "acct secret deadline??")
    rating = page.locator(".from-bot").last.get_by_role("group", name="Was this answer helpful?")
    assert rating.inner_text().startswith("Was this answer helpful?")
    assert rating.get_by_role("button").all_inner_texts() == ["Helpful", "Not helpful"]
    before = page.locator(".from-bot").count()
    rating.get_by_role("button", name="Not helpful").click()
    page.locator(".from-bot").nth(before).wait_for()
    sorry = page.locator(".from-bot").last
    assert "Sorry that didn't help" in sorry.inner_text()
    assert sorry.locator(".choices button:enabled", has_text="Talk to a person").count() == 1
    assert rating.locator("button:enabled").count() == 0  # spent, like any old choice


def test_asking_for_a_person_gives_a_ticket_reference(page) -> None:
    send(page, "talk to a person")
    click(page, "Yes, create a ticket")
    assert re.search(r"HD-\d{6}", page.locator(".from-bot").last.inner_text())


def test_a_page_reload_keeps_the_transcript(page) -> None:
    send(page, "acct secret deadline??")
    page.reload()
    page.locator(".from-you").first.wait_for()
    assert page.locator(".from-you").first.inner_text().endswith("acct secret deadline??")
    assert "3 February 2025" in page.locator(".from-bot").first.inner_text()


def test_a_typed_secret_is_warned_about_and_never_shown_back(page) -> None:
    secret = "Bluebellwoodlands"
    send(page, f"my account secret is {secret}")
    assert secret not in page.content()
    assert "hidden" in page.locator(".from-you").last.inner_text()
    page.reload()
    page.locator(".from-you").first.wait_for()
    assert secret not in page.content()


def test_the_chat_works_with_the_keyboard_alone(page) -> None:
    for _ in range(10):  # Tab to the message box, as a keyboard user would
        if page.evaluate("document.activeElement.id") == "message":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "message"
    page.keyboard.type("help me set up my account secret")
    page.keyboard.press("Enter")
    page.locator(".choices button").first.wait_for()
    for _ in range(10):  # back from the box through the choices, to "Existing account"
        page.keyboard.press("Shift+Tab")
        if page.evaluate("document.activeElement.textContent") == "Existing account":
            break
    assert page.evaluate("document.activeElement.textContent") == "Existing account"
    page.keyboard.press("Enter")
    page.locator(".from-bot").nth(1).wait_for()
    assert "step 2 of 7" in page.locator(".from-bot").last.inner_text()
    assert page.evaluate("document.activeElement.id") == "message"  # back to typing


def test_text_and_targets_are_big_enough_for_a_phone(page) -> None:
    send(page, "help me set up my account secret")
    size = page.eval_on_selector("#message", "e => parseFloat(getComputedStyle(e).fontSize)")
    assert size >= 16  # smaller makes phones zoom in on focus
    for button in page.locator("button").all():
        box = button.bounding_box()
        assert box["height"] >= 24 and box["width"] >= 24


def test_axe_finds_no_wcag_22_aa_violations(browser, site) -> None:
    if not AXE.exists():
        pytest.skip("axe-core is not installed (npm ci --prefix tests/browser)")
    # axe is injected as a script of its own, which the page's CSP rightly forbids.
    context = browser.new_context(viewport=PHONE, is_mobile=True, bypass_csp=True)
    page = context.new_page()
    page.goto(site + "/")
    send(page, "help me set up my account secret")
    click(page, "Existing account")
    send(page, "acct secret deadline??")  # an answer, with Helpful / Not helpful
    send(page, "talk to a person")  # the offer of a ticket, with its contact field
    page.add_script_tag(path=str(AXE))
    result = page.evaluate(
        """() => axe.run(document, {runOnly: {type: 'tag', values:
            ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})"""
    )
    context.close()
    problems = [(v["id"], v["help"], len(v["nodes"])) for v in result["violations"]]
    assert problems == []
    assert len(result["passes"]) > 10  # it really ran


def test_an_agents_reply_from_the_shell_appears_without_the_person_doing_anything(
    page, helpbot
) -> None:
    send(page, "talk to a person")
    click(page, "Yes, create a ticket")
    ref = re.search(r"HD-\d{6}", page.locator(".from-bot").last.inner_text()).group(0)
    before = page.locator(".from-bot").count()
    for args in (
        ("tickets", "claim", ref, "--agent", "sam"),
        ("tickets", "reply", ref, "Hello, I'm Sam from the helpdesk.", "--agent", "sam"),
    ):
        done = helpbot(*args)
        assert done.returncode == 0, done.stderr
    page.locator(".from-bot").nth(before + 1).wait_for()  # the claim, then the reply
    assert "Hello, I'm Sam from the helpdesk." in page.locator(".from-bot").last.inner_text()
    page.reload()  # and it stays in the transcript
    page.get_by_text("Hello, I'm Sam from the helpdesk.").wait_for()


def test_someone_locked_out_can_leave_a_phone_number_with_their_ticket(page, helpbot) -> None:
    send(page, "talk to a person")
    page.get_by_label(re.compile("phone number or personal email")).fill("07700 900123")
    click(page, "Yes, create a ticket")
    ref = re.search(r"HD-\d{6}", page.locator(".from-bot").last.inner_text()).group(0)
    assert "07700 900123" not in page.locator("#log").inner_text()
    assert helpbot("tickets", "claim", ref, "--agent", "sam").returncode == 0
    shown = helpbot("tickets", "show", ref, "--agent", "sam").stdout
    assert "reach them at: 07700 900123" in shown
    assert "07700 900123" not in helpbot("tickets", "show", ref, "--agent", "alex").stdout


def test_news_is_neither_lost_nor_repeated_as_streams_end_and_reconnect(
    browser, web_chat, knowledge, sqlite_url, clock
) -> None:
    from bot.store import Store
    from bot.tickets.service import Tickets

    store = Store(sqlite_url, clock=clock)
    engine = Engine(knowledge, store, tickets=Tickets(store, clock=clock))
    # Streams end after a second here (five minutes in production), so the page goes
    # through several reconnects, each resuming after the last news it saw.
    url = web_chat(engine, stream_lifetime=1.0).url
    context = browser.new_context(viewport=PHONE, is_mobile=True)
    page = context.new_page()
    page.goto(url + "/")
    send(page, "talk to a person")
    click(page, "Yes, create a ticket")
    ref = re.search(r"HD-\d{6}", page.locator(".from-bot").last.inner_text()).group(0)
    engine.tickets.claim(ref, "sam", "Sam")
    for n in range(4):
        engine.tickets.reply(ref, "sam", f"agent message {n}")
        page.get_by_text(f"agent message {n}").wait_for(timeout=15_000)
    shown = page.locator("#log").inner_text()
    page.reload()
    page.get_by_text("agent message 3").wait_for()
    after_reload = page.locator("#log").inner_text()
    context.close()
    store.close()
    for n in range(4):
        assert shown.count(f"agent message {n}") == 1
        assert after_reload.count(f"agent message {n}") == 1

"""The Slack app end to end: ``helpbot slack`` served by gunicorn on loopback, a local
stand-in for Slack's Web API, and correctly signed event, action and command requests.

Each test uses its own user (and DM) so that conversations do not meet; the assertions
are on the exact Web API calls the app made.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import PG_SKIP, PG_URL, _reset_postgres, free_port
from slack_fake import BOT_USER, FakeSlack, event_body, payload
from slack_harness import (
    ADMIN,
    HELPDESK,
    SECRET,
    TOKEN,
    SlackApp,
    button,
    dm,
    new_event_id,
    new_user,
    open_home,
    open_ticket,
    start,
    thread_reply,
    until,
)

from bot.channels.slack.app import NICER, WORK_THREADS
from bot.config import PROJECT_ROOT
from bot.store import Store
from bot.store.audit import entries
from bot.tickets.service import Tickets


@pytest.fixture(scope="module")
def app(fake: FakeSlack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlackApp]:
    tmp = tmp_path_factory.mktemp("slack")
    running = start(fake, f"sqlite:///{tmp / 'slack.db'}", tmp, "app")
    yield running
    running.stop()


# -- staff ----------------------------------------------------------------------------------


def test_url_verification_answers_the_challenge(app: SlackApp) -> None:
    body = payload("url_verification")
    sent = app.event(body)
    assert json.loads(sent.body)["challenge"] == body["challenge"]


def test_direct_message_is_answered_with_chat_post_message(app: SlackApp) -> None:
    user, channel = new_user()
    app.event(dm(user, channel, "how do I get nhsmail"))
    (answer,) = app.fake.wait("chat.postMessage", channel=channel)
    assert "helpdesk@nhs.net" in answer.text()
    assert "0333 200 1133" in answer.text()
    assert "**" not in answer.text()  # Markdown became mrkdwn
    values = [b.get("value") for b in answer.buttons()]
    assert "flow:start:get_nhsmail" in values


def _threads(pid: int) -> dict[int, tuple[str, int]]:
    """Each thread of process ``pid``, by its id: its name and niceness (``stat``'s 19th
    field)."""
    found = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        nice = int((task / "stat").read_text().rsplit(")", 1)[1].split()[16])
        found[int(task.name)] = ((task / "comm").read_text().strip(), nice)
    return found


@pytest.mark.skipif(not Path("/proc/self/task").exists(), reason="no /proc to read threads")
def test_a_workers_threads_give_way_to_its_thinking_thread(app: SlackApp) -> None:
    user, channel = new_user()
    app.event(dm(user, channel, "hello"))  # gunicorn starts a thread for the request
    assert app.fake.wait("chat.postMessage", channel=channel)
    (worker,) = app.workers()
    threads = _threads(worker)
    (thinking,) = [nice for name, nice in threads.values() if name == "slack-work-thin"]
    backlog = [nice for name, nice in threads.values() if re.fullmatch(r"slack-work-\d+", name)]
    nicer = min(thinking + NICER, 19)
    # The thread that serves requests (the worker's first), the backlog's threads, and
    # gunicorn's threads that the first started since: all give way to the thinking one.
    assert threads[worker][1] == nicer
    assert backlog == [nicer] * WORK_THREADS
    assert sum(1 for _, nice in threads.values() if nice == nicer) >= 1 + WORK_THREADS + 1


def test_answers_wait_for_slack_side_by_side_on_every_backlog_thread(
    app: SlackApp, fake: FakeSlack
) -> None:
    # slack.com takes about a tenth of a second a call: a worker answers no faster than
    # its backlog threads can wait for it together.
    people = [new_user() for _ in range(WORK_THREADS)]
    held = threading.Event()
    fake.hold["chat.postMessage"] = held
    try:
        for user, channel in people:
            assert app.event(dm(user, channel, "hello")).status == 200
        for _, channel in people:  # every answer is at slack.com at once
            fake.wait("held:chat.postMessage", status=0, channel=channel)
    finally:
        held.set()
        del fake.hold["chat.postMessage"]
    for _, channel in people:
        fake.wait("chat.postMessage", channel=channel)


def test_mention_is_answered_in_a_thread(app: SlackApp) -> None:
    user, _ = new_user()
    body = payload("event_app_mention")
    ts = f"{time.time():.6f}"
    body["event"].update(
        user=user,
        channel="C0STAFF",
        ts=ts,
        event_ts=ts,
        text=f"<@{BOT_USER}> what is the account secret deadline",
    )
    body["event_id"] = new_event_id()
    app.event(body)
    (answer,) = app.fake.wait("chat.postMessage", channel="C0STAFF", thread_ts=ts)
    assert "3 February 2025" in answer.text()


def test_a_mention_in_a_helpdesk_thread_that_no_card_heads_is_answered_there(
    app: SlackApp,
) -> None:
    user, _ = new_user()
    body = payload("event_app_mention")
    ts = f"{time.time():.6f}"
    # Looked up on a backlog thread (no card, after a few looks), decided on the
    # thinking thread, said from a backlog thread: all on the one place it was given.
    body["event"].update(
        user=user,
        channel=HELPDESK,
        ts=ts,
        event_ts=ts,
        thread_ts="1700000000.000100",
        text=f"<@{BOT_USER}> what is the account secret deadline",
    )
    body["event_id"] = new_event_id()
    app.event(body)
    (answer,) = app.fake.wait("chat.postMessage", channel=HELPDESK, thread_ts="1700000000.000100")
    assert "3 February 2025" in answer.text()


def test_button_click_advances_the_flow_and_spends_the_buttons(app: SlackApp) -> None:
    user, channel = new_user()
    app.event(dm(user, channel, "help me set up my account secret"))
    (step1,) = app.fake.wait("chat.postMessage", channel=channel)
    assert "step 1 of" in step1.text()
    app.click(user, step1, button(step1, "flow:choose:account_secret:account_type:0"))
    (update,) = app.fake.wait("chat.update", channel=channel, ts=step1.ts)
    assert all(b["type"] != "actions" for b in update.args["blocks"])
    assert "You chose" in update.text()
    posted = app.fake.wait("chat.postMessage", count=2, channel=channel)
    assert "step 2 of" in posted[1].text()


def test_slash_command_is_answered_ephemerally(app: SlackApp) -> None:
    user, _ = new_user()
    sent, path = app.command(user, "/nhsmail", "acct secret deadline??")
    (answer,) = app.fake.wait("respond", path=path)
    assert answer.args["response_type"] == "ephemeral"
    assert "3 February 2025" in answer.text()


def test_click_on_an_ephemeral_answer_follows_through_the_response_url(app: SlackApp) -> None:
    user, _ = new_user()
    _, path = app.command(user, "/nhsmail", "help me set up my account secret")
    (step1,) = app.fake.wait("respond", path=path)
    assert "step 1 of" in step1.text()
    first = button(step1, "flow:choose:account_secret:account_type:0")
    click = app.click(user, step1, first, ephemeral=True)
    (shown,) = app.fake.wait("respond", path=click)
    assert shown.args["replace_original"] is True
    assert "step 2 of" in shown.text()
    assert not app.fake.made("chat.postMessage", channel=user)


def test_home_quick_action_starts_the_flow_in_the_dm(app: SlackApp) -> None:
    user, channel = new_user()
    home = open_home(app, user, channel)
    app.click(user, home, button(home, "flow:start:account_secret"), home=True)
    (step1,) = app.fake.wait("chat.postMessage", channel=user)
    assert "step 1 of" in step1.text()


def test_ticket_changed_with_the_cli_updates_the_card_and_tells_the_user(
    app: SlackApp, helpbot: Any
) -> None:
    user, channel = new_user()
    card = open_ticket(app, user, channel)
    ref = re.search(r"HD-\d{6}", card.text()).group()
    database = {"DATABASE_URL": app.database_url}
    claimed = helpbot("tickets", "claim", ref, "--agent", "ann", env=database)
    assert claimed.returncode == 0, claimed.stderr
    # No Slack request involved: the app's sync round notices, within seconds.
    (updated,) = app.fake.wait("chat.update", channel=HELPDESK, ts=card.ts)
    assert "Claimed" in updated.text() and "ann" in updated.text()
    (news,) = app.fake.wait("chat.postMessage", channel=user)
    assert "(ann) is now looking at your ticket" in news.text()


def test_app_home_offers_the_quick_actions(app: SlackApp) -> None:
    user, channel = new_user()
    published = open_home(app, user, channel)
    labels = [
        b["text"]["text"]
        for b in published.args["view"]["blocks"]
        for b in b.get("elements", [])
        if b.get("type") == "button"
    ]
    assert {"Set up my Account Secret", "Get NHSmail for my organisation"} <= set(labels)
    assert {"Talk to the helpdesk", "My tickets"} <= set(labels)


# -- agents ---------------------------------------------------------------------------------


def test_handoff_card_claim_relay_and_resolve(app: SlackApp) -> None:
    fake = app.fake
    user, channel = new_user()
    agent = f"UAGENT{uuid.uuid4().hex[:4].upper()}"
    # A card in the helpdesk channel, with the reference and a Claim button.
    card = open_ticket(app, user, channel)
    assert f"<@{user}>" in card.text()
    assert "HD-" in card.text() and button(card, "HD-")["action_id"] == "helpbot.ticket.claim"
    posted = fake.wait("chat.postMessage", count=2, channel=channel)
    assert "HD-" in posted[1].text()

    # Claim: the card is updated in place and the user is told.
    app.click(agent, card, button(card, "HD-"))
    (updated,) = fake.wait("chat.update", channel=HELPDESK, ts=card.ts)
    assert "Claimed" in updated.text() and f"<@{agent}>" in updated.text()
    news = fake.wait("chat.postMessage", count=1, channel=user)
    assert "is now looking at your ticket" in news[0].text()

    # The agent's reply in the card's thread reaches the user's DM.
    app.event(thread_reply(agent, card, "Please try the portal's Self-Service section"))
    relayed = fake.wait("chat.postMessage", count=2, channel=user)
    assert "Please try the portal's Self-Service section" in relayed[1].text()

    # The user's DM goes to the thread, as plain text that cannot ping anyone.
    app.event(dm(user, channel, "&lt;!channel&gt; it works now @here"))
    (to_thread,) = fake.wait("chat.postMessage", channel=HELPDESK, thread_ts=card.ts)
    shown = [b for b in to_thread.args["blocks"] if b["type"] == "section"]
    assert shown and all(b["text"]["type"] == "plain_text" for b in shown)
    assert "<!channel>" in shown[0]["text"]["text"]  # as typed, but plain text
    assert "<!channel>" not in to_thread.args["text"] and "@here" not in to_thread.args["text"]
    # The core relayed it (bot.core.relay) and the user is told where it went.
    acked = fake.wait("chat.postMessage", count=3, channel=channel)
    assert "Sent to" in acked[2].text() and agent.lower() in acked[2].text()
    ref = re.search(r"HD-\d{6}", card.text()).group()
    store = Store(app.database_url, migrate=False)
    said = [e["text"] for e in Tickets(store).show(ref).events if e["kind"] == "user"]
    store.close()
    assert said == ["<!channel> it works now @here"]

    # Resolve: the card shows it and the user is asked for feedback with buttons.
    app.click(agent, updated, button(updated, "HD-") | {"action_id": "helpbot.ticket.resolve"})
    resolved = fake.wait("chat.update", count=2, channel=HELPDESK, ts=card.ts)
    assert "Resolved" in resolved[1].text()
    assert not resolved[1].buttons()
    asked = fake.wait("chat.postMessage", count=3, channel=user)
    assert "has been resolved" in asked[2].text()
    assert {b["text"]["text"] for b in asked[2].buttons()} == {"Yes", "No"}

    # Feedback by button, stored on the ticket.
    app.click(user, asked[2], button(asked[2], "ticket:solved:"))
    fake.wait("chat.postMessage", count=4, channel=user)
    store = Store(app.database_url, migrate=False)
    assert Tickets(store).show(ref).solved is True
    store.close()


def test_agent_reply_without_words_is_explained_not_lost(app: SlackApp) -> None:
    user, channel = new_user()
    card = open_ticket(app, user, channel)
    app.click("UAGENT02", card, button(card, "HD-"))
    app.fake.wait("chat.update", channel=HELPDESK, ts=card.ts)
    screenshot = thread_reply("UAGENT02", card, "")
    screenshot["event"]["subtype"] = "file_share"
    app.event(screenshot)
    (hint,) = app.fake.wait("chat.postEphemeral", user="UAGENT02")
    assert "in words" in hint.args["text"]
    time.sleep(0.3)
    assert not [c for c in app.fake.made("chat.postMessage", channel=user) if "Sorry" in c.text()]


def test_agent_reply_before_claiming_is_not_sent(app: SlackApp) -> None:
    fake = app.fake
    user, channel = new_user()
    card = open_ticket(app, user, channel)
    app.event(thread_reply("UOTHER01", card, "hi"))
    (hint,) = fake.wait("chat.postEphemeral", user="UOTHER01")
    assert "claim" in hint.args["text"].lower()
    assert not fake.made("chat.postMessage", channel=user)


# -- admins ---------------------------------------------------------------------------------


def test_admin_commands_are_refused_politely_and_audited(app: SlackApp) -> None:
    user, _ = new_user()
    _, path = app.command(user, "/nhsmail-admin", "reload")
    (answer,) = app.fake.wait("respond", path=path)
    assert answer.args["response_type"] == "ephemeral"
    assert "only for helpbot admins" in answer.text()
    store = Store(app.database_url, migrate=False)
    found = [e for e in entries(store) if e.actor == user]
    store.close()
    assert [(e.action, e.allowed) for e in found] == [("reload", False)]


def test_admin_can_reload_and_read_stats(app: SlackApp) -> None:
    _, path = app.command(ADMIN, "/nhsmail-admin", "reload")
    (answer,) = app.fake.wait("respond", path=path)
    assert "Reloaded" in answer.text()
    _, path = app.command(ADMIN, "/nhsmail-admin", "stats")
    (stats,) = app.fake.wait("respond", path=path)
    assert "Conversations" in stats.text() and "Tickets" in stats.text()


# -- reliability ----------------------------------------------------------------------------


def test_retried_event_makes_no_second_call(app: SlackApp) -> None:
    user, channel = new_user()
    event = dm(user, channel, "how do I get nhsmail")
    app.event(event)
    app.fake.wait("chat.postMessage", channel=channel)
    again = app.event(
        event, headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    )
    assert again.headers.get("x-slack-no-retry") == "1"
    time.sleep(1.5)  # long enough for a (wrong) second reply to have been posted
    assert len(app.fake.made("chat.postMessage", channel=channel)) == 1


def test_bad_or_stale_signature_is_refused_with_401(app: SlackApp) -> None:
    user, channel = new_user()
    body = event_body(dm(user, channel, "how do I get nhsmail"))
    assert app.send(body, signature="v0=" + "0" * 64).status == 401
    assert app.send(body, timestamp=int(time.time()) - 60 * 10).status == 401
    time.sleep(0.5)
    assert not app.fake.made("chat.postMessage", channel=channel)


def test_rate_limited_post_is_retried_and_delivered_once(app: SlackApp) -> None:
    user, channel = new_user()
    app.fake.rate_limit_once.add("chat.postMessage")
    app.event(dm(user, channel, "how do I get nhsmail"))
    (delivered,) = app.fake.wait("chat.postMessage", channel=channel)
    limited = app.fake.made("chat.postMessage", status=429, channel=channel)
    assert len(limited) == 1 and "helpdesk@nhs.net" in delivered.text()
    time.sleep(0.5)
    assert len(app.fake.made("chat.postMessage", channel=channel)) == 1


@pytest.mark.parametrize("name", ["event_message_bot", "event_message_changed"])
def test_other_bots_and_edits_in_a_dm_are_acknowledged_and_ignored(
    app: SlackApp, name: str
) -> None:
    # In a DM, where any message from a person would be answered.
    _, channel = new_user()
    body = payload(name)
    body["event_id"] = new_event_id()
    body["event"].update(channel=channel, channel_type="im")
    sent = app.event(body)
    assert sent.status == 200
    time.sleep(0.5)
    assert not [c for c in app.fake.calls if c.args.get("channel") == channel]


def test_slow_slack_still_gets_its_ack_within_3_seconds(app: SlackApp) -> None:
    user, channel = new_user()
    app.fake.slow["chat.postMessage"] = 4.0
    try:
        began = time.monotonic()
        app.event(dm(user, channel, "how do I get nhsmail"))
        took = time.monotonic() - began
        app.fake.wait("chat.postMessage", channel=channel, timeout=20)
    finally:
        app.fake.slow.clear()
    assert took < 3.0, f"the ack took {took:.1f}s"


def test_own_messages_are_ignored(app: SlackApp) -> None:
    user, channel = new_user()
    event = dm(user, channel, "how do I get nhsmail")
    event["event"].update(user=BOT_USER, bot_id="B0001")
    app.event(event)
    time.sleep(0.5)
    assert not app.fake.made("chat.postMessage", channel=channel)


# -- two workers sharing PostgreSQL -----------------------------------------------------------


@pytest.fixture
def two_workers(fake: FakeSlack, tmp_path: Path) -> Iterator[tuple[SlackApp, SlackApp]]:
    if not PG_URL:
        pytest.skip(PG_SKIP)
    _reset_postgres(PG_URL)
    first = start(fake, PG_URL, tmp_path, "first")
    second = start(fake, PG_URL, tmp_path, "second")
    yield first, second
    first.stop()
    second.stop()


def test_retry_to_another_worker_is_dropped_on_postgresql(
    two_workers: tuple[SlackApp, SlackApp],
) -> None:
    first, second = two_workers
    user, channel = new_user()
    event = dm(user, channel, "talk to a person")
    first.event(event)
    (confirm,) = first.fake.wait("chat.postMessage", channel=channel)
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert second.event(event, headers=retry).headers.get("x-slack-no-retry") == "1"
    # The click lands on the other worker: one ticket, one card, whoever serves what.
    second.click(user, confirm, button(confirm, "ticket:create"))
    mine = {"channel": HELPDESK, "where": lambda c: user in c.text()}
    cards = first.fake.wait("chat.postMessage", **mine)
    time.sleep(2.5)  # a sync round in each worker, which must not post the card again
    assert len(first.fake.made("chat.postMessage", channel=channel)) == 2
    assert (
        len([c for c in first.fake.made("chat.postMessage", channel=HELPDESK) if user in c.text()])
        == len(cards)
        == 1
    )


def test_a_delivery_that_reaches_a_second_worker_unmarked_is_answered_once_on_postgresql(
    two_workers: tuple[SlackApp, SlackApp],
) -> None:
    """Slack sent it again without marking it a retry, or the retry check could not
    tell: the claim in the second worker's turn stops a second answer."""
    first, second = two_workers
    user, channel = new_user()
    event = dm(user, channel, "how do I get nhsmail")
    first.event(event)
    first.fake.wait("chat.postMessage", channel=channel)
    assert not second.event(event).headers.get("x-slack-no-retry")  # taken, not dropped
    dropped = f"delivery {event['event_id']} answered before"
    until(lambda: dropped in second.log.read_text(), 15, "the second turn did not stop")
    assert len(first.fake.made("chat.postMessage", channel=channel)) == 1


# -- configuration --------------------------------------------------------------------------

FULL = {
    "SLACK_BOT_TOKEN": TOKEN,
    "SLACK_SIGNING_SECRET": SECRET,
    "SLACK_APP_TOKEN": "",
    "SLACK_HELPDESK_CHANNEL": HELPDESK,
}


@pytest.mark.parametrize(
    ("missing", "options"),
    [
        ("SLACK_BOT_TOKEN", ()),
        ("SLACK_SIGNING_SECRET", ()),
        ("SLACK_HELPDESK_CHANNEL", ()),
        ("SLACK_APP_TOKEN", ("--socket",)),
    ],
)
def test_slack_without_a_setting_names_it_and_exits_2(
    helpbot: Any, missing: str, options: tuple[str, ...]
) -> None:
    result = helpbot("slack", *options, env={**FULL, missing: ""})
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {missing} is not set")
    assert "Traceback" not in result.stderr


def test_socket_mode_with_a_refused_app_token_says_so_and_exits_2(
    helpbot: Any, fake: FakeSlack
) -> None:
    env = {**FULL, "SLACK_APP_TOKEN": "xapp-revoked", "SLACK_API_BASE_URL": fake.api_url}
    result = helpbot("slack", "--socket", env=env)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        "error: SLACK_APP_TOKEN was refused by Slack (invalid_auth)"
    )
    bot_token = helpbot("slack", "--socket", env={**env, "SLACK_APP_TOKEN": TOKEN})
    assert bot_token.returncode == 2
    assert "SLACK_APP_TOKEN must be an app-level token" in bot_token.stderr


def test_slack_with_a_refused_token_says_so_and_exits_2(helpbot: Any, fake: FakeSlack) -> None:
    env = {**FULL, "SLACK_BOT_TOKEN": "xoxb-revoked", "SLACK_API_BASE_URL": fake.api_url}
    result = helpbot("slack", env=env)
    assert result.returncode == 2
    assert result.stderr.strip() == "error: SLACK_BOT_TOKEN was refused by Slack (invalid_auth)"


def test_slack_that_cannot_reach_the_api_says_why_in_one_line_and_exits_2(
    helpbot: Any,
) -> None:
    api = f"http://127.0.0.1:{free_port()}/api/"  # nothing listens there: refused
    result = helpbot("slack", env={**FULL, "SLACK_API_BASE_URL": api})
    assert result.returncode == 2
    # The reason as the system gave it, not urllib's wrapper, and none of the SDK's own
    # log lines for its attempts before it.
    assert re.fullmatch(
        rf"error: cannot reach the Slack Web API at {re.escape(api)}: \[Errno \d+\] [^<>\n]+",
        result.stderr.strip(),
    ), result.stderr
    assert "refused" in result.stderr.lower()


def test_slack_finding_no_http_server_at_the_api_address_says_so_in_one_line(
    helpbot: Any,
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listening:
        # Something else listens there, and greets every connection in its own protocol.
        def greet() -> None:
            while True:
                try:
                    connection, _ = listening.accept()
                except OSError:  # closed: the test is over
                    return
                with connection:
                    connection.sendall(b"SSH-2.0-OpenSSH_9.2\r\n")

        threading.Thread(target=greet, daemon=True).start()
        api = f"http://127.0.0.1:{listening.getsockname()[1]}/api/"
        result = helpbot("slack", env={**FULL, "SLACK_API_BASE_URL": api})
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        f"error: cannot reach the Slack Web API at {api}: "
    ), result.stderr


def test_the_manifest_sets_up_what_the_app_listens_to() -> None:
    import yaml

    from bot.channels.slack import app as slack_app

    manifest = yaml.safe_load((PROJECT_ROOT / "bot/channels/slack/manifest.yaml").read_text())
    commands = {c["command"]: c["url"] for c in manifest["features"]["slash_commands"]}
    assert set(commands) == {slack_app.ASK, slack_app.ADMIN}
    settings = manifest["settings"]
    urls = [*commands.values(), settings["event_subscriptions"]["request_url"]]
    urls.append(settings["interactivity"]["request_url"])
    assert all(u.endswith("/slack/events") for u in urls)
    assert settings["interactivity"]["is_enabled"] is True
    events = set(settings["event_subscriptions"]["bot_events"])
    assert {"app_home_opened", "app_mention", "message.im", "message.channels"} <= events
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert {"chat:write", "commands", "im:history", "app_mentions:read"} <= scopes
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True


def test_without_the_database_staff_still_get_answers_and_contacts(
    fake: FakeSlack, tmp_path: Path
) -> None:
    unreachable = "postgresql+psycopg://postgres@127.0.0.1:9/none?connect_timeout=1"
    running = start(fake, unreachable, tmp_path, "nodb")
    try:
        user, channel = new_user()
        running.event(dm(user, channel, "my account is locked who do i call"))
        (answer,) = fake.wait("chat.postMessage", channel=channel)
        assert "0333 200 1133" in answer.text()
        time.sleep(0.5)
        assert len(fake.made("chat.postMessage", channel=channel)) == 1  # no error after it
    finally:
        running.stop()

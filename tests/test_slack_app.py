"""The Slack app end to end: ``helpbot slack`` served by gunicorn on loopback, a local
stand-in for Slack's Web API, and correctly signed event, action and command requests.

Each test uses its own user (and DM) so that conversations do not meet; the assertions
are on the exact Web API calls the app made.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import PG_SKIP, PG_URL, _reset_postgres, free_port
from slack_fake import (
    BOT_USER,
    Call,
    FakeSlack,
    Sent,
    action_body,
    command_body,
    event_body,
    payload,
    post,
)

from bot.config import PROJECT_ROOT
from bot.store import Store
from bot.store.audit import entries
from bot.tickets.service import Tickets

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token"
HELPDESK = "C0HELP"
ADMIN = "UADMIN01"
_ids = itertools.count(1)


class SlackApp:
    """One running ``helpbot slack`` process and the requests Slack would send it."""

    def __init__(self, fake: FakeSlack, database_url: str, log: Path) -> None:
        self.fake = fake
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/slack/events"
        self.database_url = database_url
        env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_BASE_URL": fake.api_url,
            "SLACK_HELPDESK_CHANNEL": HELPDESK,
            "SLACK_ADMIN_USERS": ADMIN,
            "HELPBOT_LOG_LEVEL": "INFO",
        }
        env.pop("SLACK_APP_TOKEN", None)
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "slack", "--host", "127.0.0.1"]
            + ["--port", str(self.port), "--workers", "1"],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        self._wait_until_listening()

    def _wait_until_listening(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"helpbot slack exited:\n{self.log.read_text()}")
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.1)
        raise AssertionError(f"helpbot slack did not listen:\n{self.log.read_text()}")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()

    # -- what Slack sends --------------------------------------------------------------------

    def send(self, body: tuple[bytes, str], **options: Any) -> Sent:
        return post(self.url, body[0], body[1], SECRET, **options)

    def event(self, event: dict[str, Any], **options: Any) -> Sent:
        sent = self.send(event_body(event), **options)
        assert sent.status == 200, sent
        return sent

    def click(
        self,
        user: str,
        call: Call,
        button: dict[str, Any],
        *,
        ephemeral: bool = False,
        home: bool = False,
    ) -> str:
        """Click ``button`` on what ``call`` showed, as Slack sends block_actions; the
        path of the click's response_url, for asserting on ``respond`` calls."""
        body = payload("block_actions_button")
        body["user"] = {"id": user, "username": user.lower(), "name": user.lower()}
        respond_to = self.fake.response_url(f"click-{next(_ids)}")
        body["response_url"] = respond_to
        body["actions"] = [{**button, "block_id": "b", "action_ts": f"{time.time():.6f}"}]
        if home:  # a button on the App Home tab: a view, no channel, no message
            body["container"] = {"type": "view", "view_id": "V0001"}
            body["view"] = {"id": "V0001", "type": "home", **call.args["view"]}
            for key in ("channel", "message"):
                body.pop(key)
        elif ephemeral:  # Slack sends no copy of an ephemeral message
            body["container"] = {
                "type": "message",
                "message_ts": "1700000000.000900",
                "channel_id": "C0STAFF",
                "is_ephemeral": True,
            }
            body["channel"] = {"id": "C0STAFF", "name": "staff"}
            body.pop("message")
        else:
            channel = call.args["channel"]
            body["channel"] = {"id": channel, "name": "x"}
            body["container"] = {
                "type": "message",
                "message_ts": call.ts,
                "channel_id": channel,
                "is_ephemeral": False,
            }
            body["message"] = {
                "type": "message",
                "user": BOT_USER,
                "bot_id": "B0001",
                "ts": call.ts,
                "text": call.args.get("text", ""),
                "blocks": call.args.get("blocks", []),
                **({"thread_ts": call.args["thread_ts"]} if call.args.get("thread_ts") else {}),
            }
        sent = self.send(action_body(body))
        assert sent.status == 200, sent
        return respond_to.split(str(self.fake.port))[1]

    def command(self, user: str, command: str, text: str) -> tuple[Sent, str]:
        fields = payload("slash_command")
        respond_to = self.fake.response_url(f"command-{next(_ids)}")
        fields.update(command=command, text=text, user_id=user, response_url=respond_to)
        sent = self.send(command_body(fields))
        assert sent.status == 200, sent
        return sent, respond_to.split(str(self.fake.port))[1]


def new_event_id() -> str:
    return f"Ev{uuid.uuid4().hex[:10].upper()}"


def new_user() -> tuple[str, str]:
    """A fresh staff member and their DM channel id."""
    n = uuid.uuid4().hex[:8].upper()
    return f"U{n}", f"D{n}"


def dm(user: str, channel: str, text: str, event_id: str | None = None) -> dict[str, Any]:
    body = payload("event_message_im")
    ts = f"{time.time():.6f}"
    body["event"].update(user=user, channel=channel, text=text, ts=ts, event_ts=ts)
    body["event_id"] = event_id or new_event_id()
    return body


def button(call: Call, value_prefix: str) -> dict[str, Any]:
    for found in call.buttons():
        if found.get("value", "").startswith(value_prefix):
            return found
    raise AssertionError(f"no button {value_prefix!r} in {call.buttons()}")


def thread_reply(user: str, card: Call, text: str) -> dict[str, Any]:
    """``user`` writing ``text`` in the thread under the helpdesk card ``card``."""
    reply = payload("event_message_thread_reply")
    ts = f"{time.time():.6f}"
    reply["event"].update(
        user=user, channel=HELPDESK, thread_ts=card.ts, ts=ts, event_ts=ts, text=text
    )
    reply["event_id"] = new_event_id()
    return reply


def open_home(app: SlackApp, user: str, channel: str) -> Call:
    """The user opens the app's Home tab; the ``views.publish`` that answered it."""
    body = payload("event_app_home_opened")
    body["event"].update(user=user, channel=channel)
    body["event_id"] = new_event_id()
    app.event(body)
    (published,) = app.fake.wait("views.publish", user_id=user)
    return published


def open_ticket(app: SlackApp, user: str, channel: str) -> Call:
    """Ask for a person, confirm with the button; the ticket's card in the helpdesk channel."""
    app.event(dm(user, channel, "talk to a person"))
    (confirm,) = app.fake.wait("chat.postMessage", channel=channel)
    app.click(user, confirm, button(confirm, "ticket:create"))
    (card,) = app.fake.wait("chat.postMessage", channel=HELPDESK, where=lambda c: user in c.text())
    return card


def start(fake: FakeSlack, url: str, tmp: Path, name: str) -> SlackApp:
    return SlackApp(fake, url, tmp / f"{name}.log")


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSlack]:
    slack = FakeSlack().start()
    yield slack
    slack.stop()


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

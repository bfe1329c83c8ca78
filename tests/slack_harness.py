"""Running ``helpbot slack`` for tests: the real command under gunicorn on loopback, the
requests Slack would send it (correctly signed), and helpers to build them.

The Web API side is ``slack_fake.FakeSlack``; this is the other direction.
"""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

from conftest import free_port, stop_process, wait_until_listening
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

SECRET = "test-signing-secret"
TOKEN = "xoxb-test-token"
HELPDESK = "C0HELP"
ADMIN = "UADMIN01"
_ids = itertools.count(1)


class SlackApp:
    """One running ``helpbot slack`` process and the requests Slack would send it."""

    def __init__(
        self,
        fake: FakeSlack,
        database_url: str,
        log: Path,
        *,
        env: dict[str, str] | None = None,
    ) -> None:
        self.fake = fake
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/slack/events"
        self.database_url = database_url
        full_env = {
            **os.environ,
            "DATABASE_URL": database_url,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_BASE_URL": fake.api_url,
            "SLACK_HELPDESK_CHANNEL": HELPDESK,
            "SLACK_ADMIN_USERS": ADMIN,
            "HELPBOT_LOG_LEVEL": "INFO",
            **(env or {}),
        }
        full_env.pop("SLACK_APP_TOKEN", None)
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "slack", "--host", "127.0.0.1"]
            + ["--port", str(self.port), "--workers", "1"],
            env=full_env,
            cwd=PROJECT_ROOT,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        self._wait_until_listening()

    def _wait_until_listening(self) -> None:
        wait_until_listening(self.process, self.port, self.log, "helpbot slack")

    def workers(self) -> set[int]:
        """The gunicorn workers now running: the live child processes of this one."""
        found = set()
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                text = stat.read_text()
            except OSError:
                continue  # gone meanwhile
            # "pid (name) state ppid ...": the name may hold spaces and brackets.
            state, ppid = text.rsplit(")", 1)[1].split()[:2]
            if int(ppid) == self.process.pid and state != "Z":
                found.add(int(stat.parent.name))
        return found

    def stop(self) -> None:
        stop_process(self.process)

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


def until(what: Callable[[], object], timeout: float, why: str) -> object:
    """Poll ``what`` until it returns something true; fail with ``why`` at the deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = what()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"{why} within {timeout}s")


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

"""Running ``helpbot teams`` for tests: the real command on loopback, and the activities
Teams would post to it, each with a Bot Connector token from ``teams_fake``."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from conftest import free_port, stop_process, wait_until_listening
from teams_fake import APP_ID, TENANT, FakeConnector

from bot.config import PROJECT_ROOT

_ids = itertools.count(1)
GOOD = object()  # a token the fake signed for this app, valid now


class TeamsApp:
    """One running ``helpbot teams`` process."""

    def __init__(
        self,
        fake: FakeConnector,
        database_url: str,
        log: Path,
        *,
        env: dict[str, str] | None = None,
    ) -> None:
        self.fake = fake
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/api/messages"
        self.log = log
        env = {**os.environ, "DATABASE_URL": database_url, **(env or fake.environment())}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "teams", "--host", "127.0.0.1", "--port", str(self.port)],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
        )
        self._wait_until_listening()

    def _wait_until_listening(self) -> None:
        wait_until_listening(self.process, self.port, self.log, "helpbot teams")

    def stop(self) -> None:
        stop_process(self.process)

    def post(self, activity: dict[str, Any], token: object = GOOD) -> int:
        """POST ``activity``; the HTTP status. ``token``: GOOD, None (no header) or a JWT."""
        headers = {"Content-Type": "application/json"}
        if token is GOOD:
            token = self.fake.token()
        if token is not None:
            headers["Authorization"] = f"Bearer {token}"
        request = urllib.request.Request(
            self.url, json.dumps(activity).encode(), headers, method="POST"
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return response.status
        except urllib.error.HTTPError as exc:
            return exc.code


def message(
    user: str,
    text: str | None = None,
    *,
    value: dict[str, Any] | None = None,
    reply_to: str | None = None,
    service_url: str,
    activity_id: str | None = None,
) -> dict[str, Any]:
    """A 1:1 message as Teams posts it: from ``user`` in their personal chat with the bot."""
    activity: dict[str, Any] = {
        "type": "message",
        "id": activity_id or f"act-{next(_ids)}",
        "channelId": "msteams",
        "serviceUrl": service_url,
        "timestamp": "2025-03-03T09:00:00.000Z",
        "from": {"id": f"29:{user}", "name": user.title(), "aadObjectId": f"aad-{user}"},
        "recipient": {"id": f"28:{APP_ID}", "name": "helpbot"},
        "conversation": {"id": f"a:{user}", "conversationType": "personal", "tenantId": TENANT},
        "channelData": {"tenant": {"id": TENANT}},
    }
    if text is not None:
        activity["text"] = text
    if value is not None:
        activity["value"] = value
    if reply_to is not None:
        activity["replyToId"] = reply_to
    return activity

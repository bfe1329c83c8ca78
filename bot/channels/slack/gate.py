"""What a worker with a full backlog answers, before bolt spends anything on a request.

Refusing in the listener would cost a refusal as much as an acknowledgement (bolt parses,
checks and routes the request first), so a busy worker would spend its time saying no
instead of answering. This WSGI middleware sits behind ``SlackGuard`` (only signed
requests reach it). While the backlog is full a request waits its turn for a place, a
moment at most, which slows a sender that asks again at once; then it is refused: 503
and no ack, which Slack sends again (at once, then after 1 and 5 minutes), or for a
slash command, which Slack never retries, a line asking the person to try again. The
listener refuses the same way should the backlog fill up between here and there.
"""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Iterable
from typing import Any

from bot.channels.bodylimit import StartResponse, WSGIApp, body_of
from bot.channels.slack.backlog import Backlog

# Short enough to leave the acknowledgement well within Slack's 3 seconds, and to keep
# the threads serving requests free for the ones there is room for; long enough that the
# requests a full worker has in hand are admitted in turn rather than refused: each
# refusal costs the worker about as much as an answer. In `helpbot bench --slack` (8
# connections), before places were handed over in turn, 20 ms refused about 80 requests
# a second (26 ms: 8, and a tenth less CPU per answer); in turn, 20 ms refuses about 1.
ROOM_WAIT_SECONDS = 0.02
BUSY = "Sorry, I'm busy right now: please ask again in a minute."


def refusal(command: bool) -> tuple[int, dict[str, Any] | str]:
    """Status and body for a request the backlog has no room for."""
    if command:
        return 200, {"response_type": "ephemeral", "text": BUSY}
    return 503, "busy"


class BacklogGate:
    def __init__(self, app: WSGIApp, backlog: Backlog) -> None:
        self.app = app
        self.backlog = backlog

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if self.backlog.admit(ROOM_WAIT_SECONDS):
            try:
                return self.app(environ, start_response)
            finally:
                self.backlog.leave()
        self.backlog.refused()
        status, body = refusal(_is_command(environ))
        data = (json.dumps(body) if isinstance(body, dict) else body).encode()
        kind = "application/json" if isinstance(body, dict) else "text/plain; charset=utf-8"
        start_response(
            "200 OK" if status == 200 else "503 Service Unavailable",
            [("Content-Type", kind), ("Content-Length", str(len(data)))],
        )
        return [data]


def _is_command(environ: dict[str, Any]) -> bool:
    if "form-urlencoded" not in str(environ.get("CONTENT_TYPE", "")):
        return False
    fields = urllib.parse.parse_qs(body_of(environ).decode("utf-8", "replace"))
    return bool(fields.get("command"))

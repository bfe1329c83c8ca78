"""A local stand-in for Slack: its Web API on loopback, and signed requests to our app.

``FakeSlack`` answers the Web API methods helpbot uses the way Slack does (JSON with
``ok``), records every call, and can answer one method with a 429 once. The helpers at
the bottom sign request bodies exactly as Slack does, so the app's real verification runs.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import itertools
import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

PAYLOADS = Path(__file__).parent / "data" / "slack"
BOT_USER, BOT_ID, TEAM = "UBOT0001", "B0001", "T0001"


@dataclass
class Call:
    method: str  # "chat.postMessage", or "respond" for a response_url
    args: dict[str, Any]
    status: int = 200
    path: str = ""
    result: dict[str, Any] = field(default_factory=dict)

    @property
    def ts(self) -> str:
        """The ts Slack gave the posted message."""
        return str(self.result.get("ts"))

    def text(self) -> str:
        """Everything a person would read in this call: text and every block, as JSON."""
        return json.dumps({k: self.args.get(k) for k in ("text", "blocks", "view")})

    def buttons(self) -> list[dict[str, Any]]:
        found = []
        view = self.args.get("view") or {}
        for block in self.args.get("blocks") or view.get("blocks") or []:
            if block.get("type") == "actions":
                found += [e for e in block["elements"] if e.get("type") == "button"]
        return found


@dataclass
class FakeSlack:
    calls: list[Call] = field(default_factory=list)
    rate_limit_once: set[str] = field(default_factory=set)
    slow: dict[str, float] = field(default_factory=dict)  # method -> seconds to stall
    # method -> an event its calls wait for (recorded first, so a test can await them)
    hold: dict[str, threading.Event] = field(default_factory=dict)
    _lock: threading.Condition = field(default_factory=threading.Condition)
    _ts: itertools.count = field(default_factory=lambda: itertools.count(1))

    def start(self) -> FakeSlack:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                status, answer, headers = fake._answer(self.path, self.headers, raw)
                body = json.dumps(answer).encode() if isinstance(answer, dict) else answer
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def port(self) -> int:
        return self.server.server_address[1]

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/"

    def response_url(self, name: str) -> str:
        return f"http://127.0.0.1:{self.port}/respond/{name}"

    # -- answering ---------------------------------------------------------------------------

    def _answer(self, path: str, headers: Any, raw: str) -> tuple[int, Any, dict[str, str]]:
        kind = headers.get("Content-Type", "")
        if "json" in kind:
            args = json.loads(raw or "{}")
        else:
            args = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
            for key in ("blocks", "view"):
                if isinstance(args.get(key), str):
                    args[key] = json.loads(args[key])
        if path.startswith("/respond/"):
            self._record(Call("respond", args, 200, path))
            return 200, b"ok", {"Content-Type": "text/plain"}
        method = path.removeprefix("/api/")
        if headers.get("Authorization") != "Bearer xoxb-test-token":
            return 200, {"ok": False, "error": "invalid_auth"}, {}
        with self._lock:
            limited = method in self.rate_limit_once
            self.rate_limit_once.discard(method)
        time.sleep(self.slow.get(method, 0.0))
        held = self.hold.get(method)
        if held is not None:
            self._record(Call(f"held:{method}", args, 0, path))
            held.wait(timeout=60)
        if limited:
            self._record(Call(method, args, 429, path))
            return 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": "0"}
        answer = self._result(method, args)
        self._record(Call(method, args, 200, path, answer))
        return 200, answer, {"Content-Type": "application/json"}

    def _result(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://test.slack.com/",
                "team": "Test",
                "user": "helpbot",
                "team_id": TEAM,
                "user_id": BOT_USER,
                "bot_id": BOT_ID,
            }
        if method in ("chat.postMessage", "chat.update"):
            ts = args.get("ts") or f"{1700000000 + next(self._ts)}.000100"
            return {"ok": True, "channel": args.get("channel"), "ts": ts, "message": args}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"{1700000000 + next(self._ts)}.000200"}
        if method == "views.publish":
            return {"ok": True, "view": {"id": "V0001", **(args.get("view") or {})}}
        return {"ok": False, "error": "unknown_method"}

    def _record(self, call: Call) -> None:
        with self._lock:
            self.calls.append(call)
            self._lock.notify_all()

    # -- asserting ---------------------------------------------------------------------------

    def made(
        self,
        method: str,
        status: int | None = 200,
        path: str | None = None,
        where: Callable[[Call], bool] | None = None,
        **match: Any,
    ) -> list[Call]:
        """Calls of ``method`` whose args have the given values (``status=None``: any)."""
        with self._lock:
            return [
                c
                for c in self.calls
                if c.method == method
                and (status is None or c.status == status)
                and (path is None or c.path == path)
                and (where is None or where(c))
                and all(c.args.get(k) == v for k, v in match.items())
            ]

    def wait(self, method: str, count: int = 1, timeout: float = 15.0, **match: Any) -> list[Call]:
        """Block until ``count`` matching calls have been made; fail the test if they don't."""
        deadline = time.monotonic() + timeout
        with self._lock:
            while True:
                found = self.made(method, **match)
                if len(found) >= count:
                    return found
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [(c.method, c.status, c.args.get("channel")) for c in self.calls]
                    raise AssertionError(f"no {count} x {method} {match} within {timeout}s: {seen}")
                self._lock.wait(left)


# -- requests from "Slack" to the app -----------------------------------------------------------


def payload(name: str) -> dict[str, Any]:
    return copy.deepcopy(json.loads((PAYLOADS / f"{name}.json").read_text()))


@dataclass
class Sent:
    status: int
    body: str
    headers: dict[str, str]


def sign(secret: str, timestamp: int, body: bytes) -> str:
    base = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def post(
    url: str,
    body: bytes,
    content_type: str,
    secret: str,
    *,
    timestamp: int | None = None,
    signature: str | None = None,
    headers: dict[str, str] | None = None,
) -> Sent:
    when = int(time.time()) if timestamp is None else timestamp
    request = urllib.request.Request(
        url,
        data=body,
        method="POST",
        headers={
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": str(when),
            "X-Slack-Signature": signature or sign(secret, when, body),
            **(headers or {}),
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return Sent(response.status, response.read().decode(), dict(response.headers))
    except urllib.error.HTTPError as exc:
        return Sent(exc.code, exc.read().decode(), dict(exc.headers))


def event_body(event: dict[str, Any]) -> tuple[bytes, str]:
    return json.dumps(event).encode(), "application/json"


def action_body(action_payload: dict[str, Any]) -> tuple[bytes, str]:
    data = urllib.parse.urlencode({"payload": json.dumps(action_payload)})
    return data.encode(), "application/x-www-form-urlencoded"


def command_body(fields: dict[str, str]) -> tuple[bytes, str]:
    return urllib.parse.urlencode(fields).encode(), "application/x-www-form-urlencoded"

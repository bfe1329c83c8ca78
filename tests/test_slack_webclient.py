"""The Web API client keeps its connection open between calls, replaces one the server has
closed meanwhile, and still hands rate limits to the SDK's retries."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from bot.channels.slack.app import make_client
from bot.config import SlackSettings


class Server:
    """An HTTP/1.1 Web API stand-in that counts connections and can misbehave once."""

    def __init__(self) -> None:
        self.connections = 0
        self.calls: list[str] = []
        self.drop_after_next = False  # close silently after answering (a stale keep-alive)
        self.limit_next = False  # answer the next call 429
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                server.connections += 1

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                self.rfile.read(int(self.headers.get("Content-Length") or 0))
                server.calls.append(self.path)
                status, answer = 200, {"ok": True, "ts": "1.0"}
                if server.limit_next:
                    server.limit_next = False
                    status, answer = 429, {"ok": False, "error": "ratelimited"}
                body = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                if status == 429:
                    self.send_header("Retry-After", "0")
                self.end_headers()
                self.wfile.write(body)
                if server.drop_after_next:
                    server.drop_after_next = False
                    self.close_connection = True

            def log_message(self, *args: Any) -> None:
                pass

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.http.server_address[1]}/api/"


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    yield running
    running.http.shutdown()
    running.http.server_close()


def test_calls_share_one_connection_and_survive_its_closing(server: Server) -> None:
    client = make_client(SlackSettings("xoxb-x", "s", None, server.url, "C0HELP"))
    for _ in range(3):
        assert client.chat_postMessage(channel="D1", text="hi")["ok"]
    assert server.connections == 1
    server.drop_after_next = True
    assert client.chat_postMessage(channel="D1", text="hi")["ok"]
    # The server hung up after answering: the next call goes out once, on a new connection.
    assert client.chat_postMessage(channel="D1", text="hi")["ok"]
    assert server.connections == 2
    assert len(server.calls) == 5


def test_a_rate_limit_is_still_waited_out_and_retried(server: Server) -> None:
    client = make_client(SlackSettings("xoxb-x", "s", None, server.url, "C0HELP"))
    server.limit_next = True
    assert client.chat_postMessage(channel="D1", text="hi")["ok"]
    assert server.calls == ["/api/chat.postMessage", "/api/chat.postMessage"]

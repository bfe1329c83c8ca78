"""The Web API client keeps its connection open between calls, replaces one the server has
closed meanwhile, and still hands rate limits to the SDK's retries; ``chat.postMessage``
goes out without the SDK's layers and reads any HTTP/1.x answer."""

from __future__ import annotations

import http.client
import io
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.channels.slack.app import make_client
from bot.channels.slack.http11 import MAX_HEADERS, read_answer
from bot.config import SlackSettings


class Server:
    """An HTTP/1.1 Web API stand-in that counts connections and can misbehave once."""

    def __init__(self) -> None:
        self.connections = 0
        self.calls: list[str] = []
        self.sent: list[tuple[dict[str, str], Any]] = []  # each call's headers and JSON
        self.drop_after_next = False  # close silently after answering (a stale keep-alive)
        self.limit_next = False  # answer the next call 429
        self.raw_next: bytes | None = None  # the next answer, byte for byte
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self) -> None:
                super().setup()
                server.connections += 1

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                server.calls.append(self.path)
                server.sent.append((dict(self.headers), json.loads(data or b"null")))
                if server.raw_next is not None:
                    raw, server.raw_next = server.raw_next, None
                    self.wfile.write(raw)
                    self.close_connection = b"close" in raw.lower() or b"HTTP/1.0" in raw
                    return
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


def _client(server: Server) -> WebClient:
    return make_client(SlackSettings("xoxb-x", "s", None, server.url, "C0HELP"))


def _lower(headers: dict[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}


def _no_sdk(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("the call went the SDK's way")

    monkeypatch.setattr(WebClient, "chat_postMessage", refuse)


def test_an_answer_goes_out_without_the_sdk_as_the_sdk_would_send_it(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _client(server)
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "Step 1 \u2013 sign in"}}]
    client.api_call("chat.postMessage", json={"channel": "D1", "text": "hi £", "blocks": blocks})
    _no_sdk(monkeypatch)
    posted = client.chat_postMessage(channel="D1", text="hi £", blocks=blocks, thread_ts=None)
    assert posted["ok"] and posted["ts"] == "1.0" and posted.status_code == 200
    (sdk_headers, sdk_json), (headers, sent) = server.sent
    assert sent == sdk_json == {"channel": "D1", "text": "hi £", "blocks": blocks}
    headers, sdk_headers = _lower(headers), _lower(sdk_headers)  # urllib writes "Content-type"
    for name in ("authorization", "content-type", "user-agent"):
        assert headers[name] == sdk_headers[name]
    assert headers["authorization"] == "Bearer xoxb-x"


@pytest.mark.parametrize(
    "raw",
    [
        # chunked, with a chunk extension and a trailer
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b'6;x=1\r\n{"ok":\r\n9\r\ntrue,"ts"\r\n7\r\n:"2.0"}\r\n0\r\nX-T: 1\r\n\r\n',
        # HTTP/1.0, its body ended by the server closing the connection
        b'HTTP/1.0 200 OK\r\nContent-Type: application/json\r\n\r\n{"ok":true,"ts":"2.0"}',
        # an interim answer first, then the answer, then the server closes
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 22\r\n"
        b'Connection: close\r\n\r\n{"ok":true,"ts":"2.0"}',
    ],
    ids=["chunked", "http-1.0", "continue-then-close"],
)
def test_any_http_1_answer_is_read_and_the_next_call_still_goes_out(
    server: Server, monkeypatch: pytest.MonkeyPatch, raw: bytes
) -> None:
    client = _client(server)
    _no_sdk(monkeypatch)
    server.raw_next = raw
    assert client.chat_postMessage(channel="D1", text="hi")["ts"] == "2.0"
    assert client.chat_postMessage(channel="D1", text="hi")["ts"] == "1.0"
    assert len(server.calls) == 2


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        ("200 OK", b'{"ok":false,"error":"channel_not_found"}', "channel_not_found"),
        ("500 Internal Server Error", b'{"ok":false,"error":"fatal_error"}', "fatal_error"),
        ("200 OK", b"<html>hello</html>", "not JSON"),
    ],
    ids=["not-ok", "server-error", "not-json"],
)
def test_a_refused_call_raises_the_sdks_error_and_is_not_sent_again(
    server: Server, status: str, body: bytes, error: str
) -> None:
    client = _client(server)
    server.raw_next = f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body
    with pytest.raises(SlackApiError, match="The request to the Slack API failed") as caught:
        client.chat_postMessage(channel="D1", text="hi")
    assert error in caught.value.response["error"]
    assert len(server.calls) == 1
    assert client.chat_postMessage(channel="D1", text="hi")["ok"]  # the connection is fine
    assert server.connections == 1


def test_a_server_that_is_not_there_fails_at_once_as_it_did_through_the_sdk(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler) as gone:
        port = gone.server_address[1]
    client = make_client(SlackSettings("xoxb-x", "s", None, f"http://127.0.0.1:{port}/api/", "C"))
    _no_sdk(monkeypatch)  # not tried a second time (a host that is down would cost two waits)
    with pytest.raises(ConnectionRefusedError):
        client.chat_postMessage(channel="D1", text="hi")


def _answer(raw: bytes) -> tuple[int, dict[str, str], bytes, bool]:
    answer, keep = read_answer(io.BytesIO(raw))
    return answer.status, answer.headers, answer.body, keep


def test_reading_answers_byte_by_byte() -> None:
    assert _answer(b"HTTP/1.1 204 No Content\r\nX-A: 1\r\nX-A: 2\r\n\r\n") == (
        204,
        {"x-a": "2"},
        b"",
        True,
    )
    assert _answer(b"HTTP/1.1 200 OK\nContent-Length: 2\n\nokEXTRA")[2] == b"ok"
    assert _answer(b"HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n")[3] is False


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b"", http.client.RemoteDisconnected),
        (b"SSH-2.0-OpenSSH\r\n", http.client.BadStatusLine),
        (b"HTTP/1.1 OK\r\n", http.client.BadStatusLine),
        (b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", http.client.HTTPException),
        (b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", http.client.HTTPException),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", http.client.IncompleteRead),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", http.client.HTTPException),
        (b"HTTP/1.1 200 OK\r\nX: " + b"a" * 70_000 + b"\r\n\r\n", http.client.LineTooLong),
        (
            b"HTTP/1.1 200 OK\r\n" + b"X: 1\r\n" * (MAX_HEADERS + 1) + b"\r\n",
            http.client.HTTPException,
        ),
    ],
    ids=[
        "nothing",
        "not-http",
        "no-status",
        "bad-header",
        "bad-length",
        "short-body",
        "bad-chunk",
        "long-line",
        "many-headers",
    ],
)
def test_an_answer_that_is_not_http_is_an_error_not_a_guess(raw: bytes, problem: type) -> None:
    with pytest.raises(problem):
        read_answer(io.BytesIO(raw))

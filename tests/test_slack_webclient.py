"""The Web API client keeps its connection open between calls, replaces one the server has
closed meanwhile, and still hands rate limits to the SDK's retries; ``chat.postMessage``
goes out without the SDK's layers, reads any HTTP/1.x answer, and whatever goes wrong
ends as it would have the SDK's way: same sends, same waits, same errors."""

from __future__ import annotations

import errno
import http.client
import io
import json
import logging
import socket
import ssl
import threading
import urllib.error
import warnings
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import (
    ConnectionErrorRetryHandler,
    FixedValueRetryIntervalCalculator,
    RateLimitErrorRetryHandler,
    RetryHandler,
)
from slack_sdk.models.blocks import SectionBlock

from bot.channels.slack.app import make_client
from bot.channels.slack.http11 import MAX_HEADERS, Link, read_answer
from bot.channels.slack.webclient import KeepAliveClient
from bot.config import SlackSettings


class Server:
    """An HTTP/1.1 Web API stand-in that counts connections and can misbehave once."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.connections = 0
        self.calls: list[str] = []
        self.sent: list[tuple[dict[str, str], Any]] = []  # each call's headers and JSON
        self.drop_after_next = False  # close silently after answering (a stale keep-alive)
        self.drop = False  # take every call and close without an answer
        self.limits = 0  # answer this many next calls 429, Retry-After: retry_after
        self.retry_after = 0
        self.raw_next: bytes | None = None  # the next answer, byte for byte
        self.keep_after_raw = False  # and keep its connection open whatever it says
        self.names: list[str] = []  # the server name each TLS client asked for (SNI)
        self.closed = threading.Semaphore(0)  # released as each connection is closed
        self.late: bytes | None = None  # sent after the next answer, once told to
        self.send_late, self.sent_late = threading.Event(), threading.Event()
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
                if server.drop:
                    self.close_connection = True
                    return
                if server.raw_next is not None:
                    raw, server.raw_next = server.raw_next, None
                    self.wfile.write(raw)
                    closing = b"close" in raw.lower() or b"HTTP/1.0" in raw
                    self.close_connection = closing and not server.keep_after_raw
                    return
                status, answer = 200, {"ok": True, "ts": "1.0"}
                if server.limits:
                    server.limits -= 1
                    status, answer = 429, {"ok": False, "error": "ratelimited"}
                body = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                if status == 429:
                    self.send_header("Retry-After", str(server.retry_after))
                self.end_headers()
                self.wfile.write(body)
                if server.late is not None and server.send_late.wait(5):
                    self.wfile.write(server.late)
                    server.late = None
                    server.sent_late.set()
                if server.drop_after_next:
                    server.drop_after_next = False
                    self.close_connection = True

            def log_message(self, *args: Any) -> None:
                pass

        class Closing(ThreadingHTTPServer):
            def shutdown_request(self, request: Any) -> None:
                super().shutdown_request(request)
                server.closed.release()

        self.http = Closing(("127.0.0.1", 0), Handler)
        if tls is not None:
            tls.sni_callback = lambda _sock, name, _context: self.names.append(name)
            self.http.socket = tls.wrap_socket(self.http.socket, server_side=True)
        self.scheme = "http" if tls is None else "https"
        threading.Thread(target=self.http.serve_forever, args=(0.05,), daemon=True).start()

    @property
    def url(self) -> str:
        return f"{self.scheme}://127.0.0.1:{self.http.server_address[1]}/api/"

    def stop(self) -> None:
        self.http.shutdown()
        self.http.server_close()


@pytest.fixture
def server() -> Iterator[Server]:
    running = Server()
    yield running
    running.stop()


def test_calls_share_one_connection_and_survive_its_closing(server: Server) -> None:
    client = make_client(SlackSettings("xoxb-x", "s", None, server.url, "C0HELP"))
    client.retry_handlers = []  # the client replaces a closed connection by itself
    for _ in range(3):
        assert client.chat_postMessage(channel="D1", text="hi")["ok"]
    assert server.connections == 1
    server.drop_after_next = True
    assert client.chat_postMessage(channel="D1", text="hi")["ok"]
    # The server hung up after answering: the next call goes out once, on a new connection.
    assert client.chat_postMessage(channel="D1", text="hi")["ok"]
    assert server.connections == 2
    assert len(server.calls) == 5


class Waits(RateLimitErrorRetryHandler):
    """The SDK's rate-limit handler, writing down each wait it would sleep."""

    def __init__(self, log: list[str], max_retry_count: int) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.log = log

    def prepare_for_next_attempt(self, *, state: Any, request: Any, **outcome: Any) -> None:
        headers = {k.lower(): v for k, v in outcome["response"].headers.items()}
        self.log.append(f"wait {headers['retry-after'][0]}")
        state.next_attempt_requested = True
        state.increment_current_attempt()


def _counted(client: WebClient, log: list[str]) -> WebClient:
    """The client's own retry handlers, writing their waits to ``log`` instead of sleeping."""
    handlers: list[RetryHandler] = []
    for handler in client.retry_handlers:
        if isinstance(handler, RateLimitErrorRetryHandler):
            handlers.append(Waits(log, handler.max_retry_count))
        else:
            assert isinstance(handler, ConnectionErrorRetryHandler)
            handler.interval_calculator = FixedValueRetryIntervalCalculator(0)
            handlers.append(handler)
    client.retry_handlers = handlers
    return client


def _both_ways(client: WebClient) -> dict[str, Callable[[], Any]]:
    """chat.postMessage the lean way, and the SDK's way (api_call takes no shortcut)."""
    return {
        "lean": lambda: client.chat_postMessage(channel="D1", text="hi"),
        "sdk": lambda: client.api_call("chat.postMessage", json={"channel": "D1", "text": "hi"}),
    }


@pytest.mark.parametrize("way", ["lean", "sdk"])
def test_a_rate_limit_is_waited_out_before_the_call_goes_again(server: Server, way: str) -> None:
    post = _both_ways(_counted(_client(server), server.calls))[way]
    server.limits, server.retry_after = 1, 3
    assert post()["ok"]
    assert server.calls == ["/api/chat.postMessage", "wait 3", "/api/chat.postMessage"]


@pytest.mark.parametrize("way", ["lean", "sdk"])
def test_a_lasting_rate_limit_is_sent_as_often_as_the_sdk_retries_then_raised(
    server: Server, way: str
) -> None:
    client = _counted(_client(server), server.calls)
    retries = next(h for h in client.retry_handlers if isinstance(h, Waits)).max_retry_count
    server.limits, server.retry_after = 100, 2
    with pytest.raises(SlackApiError, match="ratelimited"):
        _both_ways(client)[way]()
    assert server.calls == ["/api/chat.postMessage", "wait 2"] * retries + ["/api/chat.postMessage"]


@pytest.mark.parametrize(
    "warm",
    ["new", "kept-alive", "closed-while-idle"],
)
@pytest.mark.parametrize("way", ["lean", "sdk"])
def test_a_connection_that_drops_unanswered_is_retried_as_the_sdk_would(
    server: Server, way: str, warm: str
) -> None:
    client = _counted(_client(server), server.calls)
    post = _both_ways(client)[way]
    if warm != "new":
        server.drop_after_next = warm == "closed-while-idle"
        assert post()["ok"]
        server.calls.clear()
        assert warm != "closed-while-idle" or server.closed.acquire(timeout=5)
    server.drop = True
    with pytest.raises(http.client.RemoteDisconnected):
        post()
    retries = _connection_retries(client)
    # Each attempt is one send, on a new connection; a kept-alive one that fails is
    # replaced within the first attempt, as http.client's users do. One the server
    # closed while it was idle never carried this call.
    assert len(server.calls) == 1 + retries + (warm == "kept-alive")


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
    for name in ("authorization", "content-type", "user-agent", "accept-encoding"):
        assert headers[name] == sdk_headers[name]
    assert headers["authorization"] == "Bearer xoxb-x"
    assert posted.headers["content-type"] == "application/json"
    client.token = "xoxb-rotated"  # the next call says who it is now
    client.chat_postMessage(channel="D1", text="hi")
    assert _lower(server.sent[-1][0])["authorization"] == "Bearer xoxb-rotated"


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
        # early hints, then the answer
        b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\nHTTP/1.1 200 OK\r\n"
        b'content-length: 22\r\n\r\n{"ok":true,"ts":"2.0"}',
    ],
    ids=["chunked", "http-1.0", "continue-then-close", "early-hints"],
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


def _outcome(post: Callable[[], Any]) -> tuple[str, Any, int | None]:
    """What a call ended in: its error's type and text, or what it answered."""
    try:
        response = post()
    except SlackApiError as error:
        return f"SlackApiError: {error}", error.response.data, error.response.status_code
    return "answered", response.data, response.status_code


@pytest.mark.parametrize(
    ("status", "body"),
    [
        ("200 OK", b'{"ok":false,"error":"channel_not_found"}'),
        ("500 Internal Server Error", b'{"ok":false,"error":"fatal_error"}'),
        ("200 OK", b"<html>hello</html>"),
        ("404 Not Found", b"<html>no such page</html>"),
        ("302 Found", b'{"ok":true,"ts":"3.0"}'),
        (
            "200 OK\r\nContent-Type: application/json; charset=iso-8859-1",
            '{"ok":true,"ts":"£"}'.encode(),
        ),
        ("200 OK", b'\xef\xbb\xbf{"ok":true,"ts":"3.0"}'),
    ],
    ids=["not-ok", "server-error", "not-json", "not-found", "redirect", "latin-1", "bom"],
)
def test_an_answer_not_plainly_ok_ends_as_the_sdks_way_and_is_sent_once(
    server: Server, status: str, body: bytes
) -> None:
    client = _client(server)
    raw = f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body
    outcomes = []
    for post in _both_ways(client).values():
        server.raw_next = raw
        outcomes.append(_outcome(post))
    assert outcomes[0] == outcomes[1]
    assert len(server.calls) == 2
    assert client.chat_postMessage(channel="D1", text="hi")["ok"]  # the connection is fine
    assert server.connections == 2  # one for each way, each kept


def _gone() -> str:
    """The base URL of a port nothing listens on."""
    with ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler) as gone:
        port = gone.server_address[1]
    return f"http://127.0.0.1:{port}/api/"


def _connects(
    monkeypatch: pytest.MonkeyPatch, fail: OSError | None = None, failing: int | None = None
) -> list[Any]:
    """Each address a connection is opened to, from now on (urllib's too); with ``fail``,
    the first ``failing`` attempts (every one, if None) fail so, as the network would."""
    tries: list[Any] = []
    connect = socket.create_connection

    def counted(*args: Any, **kwargs: Any) -> socket.socket:
        tries.append(args[0])
        if fail is not None and (failing is None or len(tries) <= failing):
            raise fail
        return connect(*args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", counted)
    return tries


def _connection_retries(client: WebClient) -> int:
    """How often the client's handlers send again after a failed connection."""
    handlers = client.retry_handlers
    return next(h for h in handlers if isinstance(h, ConnectionErrorRetryHandler)).max_retry_count


def _stock(url: str) -> WebClient:
    """The SDK's own client, retrying as ``make_client``'s does."""
    stock = WebClient(token="xoxb-x", base_url=url)
    stock.retry_handlers = _client_at(url).retry_handlers
    return stock


def _client_at(url: str) -> WebClient:
    return make_client(SlackSettings("xoxb-x", "s", None, url, "C"))


def test_the_running_bots_client_logs_each_failed_attempt(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Only the start-up check keeps these quiet (``server.check_token``): while the bot
    # runs, each failed attempt is an operator's clue.
    client = _counted(_client_at(_gone()), [])
    with caplog.at_level(logging.ERROR), pytest.raises(urllib.error.URLError):
        client.chat_postMessage(channel="D1", text="hi")
    failed = [r for r in caplog.records if r.name == "slack_sdk.web.base_client"]
    assert len(failed) == 1 + _connection_retries(client)


@pytest.mark.parametrize("way", ["lean", "sdk"])
def test_a_server_that_refuses_is_tried_again_as_the_stock_client_tries_it(
    monkeypatch: pytest.MonkeyPatch, way: str
) -> None:
    url = _gone()
    ours, stock = _unopened_both(url, way, monkeypatch)
    retries = _connection_retries(_client_at(url))
    assert ours.tries == stock.tries == 1 + retries
    assert isinstance(ours.reason, ConnectionRefusedError)
    assert isinstance(stock.reason, ConnectionRefusedError)


class Unopened(NamedTuple):
    tries: int  # connections attempted
    reason: BaseException  # the URLError's


def _unopened_both(
    url: str, way: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[Unopened, Unopened]:
    """A call to ``url`` that cannot connect, by this client and by the SDK's stock one
    (retrying alike, without waits): how each ended."""
    tries = _connects(monkeypatch)
    ended = []
    for client in (_client_at(url), _stock(url)):
        tries.clear()
        with pytest.raises(urllib.error.URLError) as error:
            _both_ways(_counted(client, []))[way]()
        ended.append(Unopened(len(tries), error.value.reason))
    return ended[0], ended[1]


MOMENTARY = {
    "name lookup": socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution"),
    "reset": ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"),
    "no route": OSError(errno.EHOSTUNREACH, "No route to host"),
    "network down": OSError(errno.ENETUNREACH, "Network is unreachable"),
}


@pytest.mark.parametrize("failure", MOMENTARY)
@pytest.mark.parametrize("way", ["lean", "sdk"])
def test_a_connection_that_fails_for_a_moment_loses_no_answer(
    server: Server, monkeypatch: pytest.MonkeyPatch, way: str, failure: str
) -> None:
    client = _counted(_client(server), [])
    post = _both_ways(client)[way]
    tries = _connects(monkeypatch, fail=MOMENTARY[failure], failing=1)
    assert post()["ok"]
    assert len(tries) == 2 and server.calls == ["/api/chat.postMessage"]


@pytest.mark.parametrize("way", ["lean", "sdk"])
def test_a_connect_timeout_is_not_waited_for_again(
    monkeypatch: pytest.MonkeyPatch, way: str
) -> None:
    # A host that does not answer would cost the whole timeout again at each retry.
    client = _counted(_client_at(_gone()), [])
    tries = _connects(monkeypatch, fail=TimeoutError("timed out"))
    with pytest.raises(TimeoutError):
        _both_ways(client)[way]()
    assert len(tries) == 1


def _answer(raw: bytes) -> tuple[int, dict[str, str], bytes, bool]:
    answer, keep = read_answer(io.BytesIO(raw))
    return answer.status, answer.headers, answer.body, keep


def test_reading_answers_byte_by_byte() -> None:
    # A repeated header means its values joined (RFC 9110); a 204 has no body.
    assert _answer(b"HTTP/1.1 204 No Content\r\nX-A: 1\r\nX-A: 2\r\n\r\n") == (
        204,
        {"x-a": "1, 2"},
        b"",
        True,
    )
    assert _answer(b"HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n")[2] == b""
    # Exactly the length it says, and no more; what follows is the connection's problem.
    assert _answer(b"HTTP/1.1 200 OK\nContent-Length: 2\n\nokEXTRA")[2] == b"ok"
    assert _answer(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok")[2] == (
        b"ok"
    )
    assert _answer(b"HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n")[3] is False
    assert _answer(b"HTTP/1.1 200 OK\r\nContent-Encoding: identity\r\n\r\nok")[2:] == (
        b"ok",
        False,
    )


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
        (b"HTTP/1.1 20 OK\r\n\r\n", http.client.BadStatusLine),
        (b"HTTP/1.1 2000 OK\r\n\r\n", http.client.BadStatusLine),
        ("HTTP/1.1 \u00b200 OK\r\n\r\n".encode("latin-1"), http.client.BadStatusLine),
        (b"HTTP/1.1 099 Low\r\n\r\n", http.client.BadStatusLine),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n", http.client.HTTPException),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0x5\r\nhello\r\n0\r\n\r\n",
            http.client.HTTPException,
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0_5\r\nhello\r\n0\r\n\r\n",
            http.client.HTTPException,
        ),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokXX\r\n0\r\n\r\n",
            http.client.HTTPException,
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc",
            http.client.HTTPException,
        ),
        (b"HTTP/1.1 200 OK\r\nContent-Length: \xb2\r\n\r\nab", http.client.HTTPException),
        (
            b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 2\r\n\r\n\x1f\x8b",
            http.client.HTTPException,
        ),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n\x1f\x8b", http.client.HTTPException),
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
        "two-digit-status",
        "four-digit-status",
        "superscript-digit",
        "status-below-100",
        "negative-chunk",
        "hex-prefixed-chunk",
        "underscored-chunk",
        "chunk-longer-than-its-size",
        "conflicting-lengths",
        "superscript-length",
        "gzip-not-asked-for",
        "transfer-coding-not-asked-for",
    ],
)
def test_an_answer_that_is_not_http_is_an_error_not_a_guess(raw: bytes, problem: type) -> None:
    with pytest.raises(problem):
        read_answer(io.BytesIO(raw))


@pytest.mark.parametrize(
    "head",
    [
        # Bytes no call asked for after the answer: read on that connection, the next
        # answer would start "EXTRA".
        b"HTTP/1.1 200 OK\r\nContent-Length: 22\r\n\r\n%sEXTRA",
        # HTTP/1.0 keeps no connection unless it says so, whatever the server then does.
        b"HTTP/1.0 200 OK\r\nContent-Length: 22\r\n\r\n%s",
    ],
    ids=["bytes-not-asked-for", "http-1.0-kept-open"],
)
def test_a_connection_that_cannot_carry_the_next_call_is_replaced(
    server: Server, monkeypatch: pytest.MonkeyPatch, head: bytes
) -> None:
    client = _client(server)
    _no_sdk(monkeypatch)
    server.raw_next, server.keep_after_raw = head % b'{"ok":true,"ts":"2.0"}', True
    assert client.chat_postMessage(channel="D1", text="hi")["ts"] == "2.0"
    assert client.chat_postMessage(channel="D1", text="hi")["ts"] == "1.0"
    assert server.connections == 2


def test_bytes_that_come_after_an_answer_retire_its_connection(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _client(server)
    _no_sdk(monkeypatch)
    server.late = b"HTTP/1.1 200 OK\r\n"  # a second answer to the same call
    assert client.chat_postMessage(channel="D1", text="hi")["ts"] == "1.0"
    server.send_late.set()
    assert server.sent_late.wait(5)
    assert client.chat_postMessage(channel="D1", text="hi")["ts"] == "1.0"
    assert server.connections == 2


@pytest.mark.parametrize(
    ("arrange", "options", "seen"),
    [
        # The SDK adds its default params (a team_id) to the call's JSON.
        (lambda c, s: setattr(c, "default_params", {"team_id": "T1"}), {}, "T1"),
        # The SDK turns its block objects into JSON itself.
        (lambda c, s: None, {"blocks": [SectionBlock(text="hi", block_id="b1")]}, "b1"),
        # Through a proxy, the call goes to the proxy with the whole URL.
        (
            lambda c, s: (
                setattr(c, "proxy", s.url),
                setattr(c, "base_url", "http://slack.test/api/"),
            ),
            {},
            "http://slack.test/api/chat.postMessage",
        ),
    ],
    ids=["default-params", "block-objects", "proxy"],
)
def test_what_only_the_sdk_knows_how_to_send_goes_its_way(
    server: Server, arrange: Callable[[WebClient, Server], Any], options: dict[str, Any], seen: str
) -> None:
    client = KeepAliveClient(token="xoxb-x", base_url=server.url)
    arrange(client, server)
    assert client.chat_postMessage(channel="D1", text="hi", **options)["ok"]
    (_, sent), path = server.sent[0], server.calls[0]
    assert seen in (sent.get("team_id"), (sent.get("blocks") or [{}])[0].get("block_id"), path)


@pytest.fixture(scope="module")
def tls_server(certificate: tuple[Path, Path]) -> Iterator[Server]:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    running = Server(tls=context)
    yield running
    running.stop()


def test_calls_over_https_check_the_certificate_and_name_the_host(
    tls_server: Server, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    url = tls_server.url.replace("127.0.0.1", "localhost")
    trusting = KeepAliveClient(token="xoxb-x", base_url=url)
    trusting.ssl = ssl.create_default_context(cafile=str(certificate[0]))
    _no_sdk(monkeypatch)
    for _ in range(2):
        assert trusting.chat_postMessage(channel="D1", text="hi")["ok"]
    assert tls_server.names == ["localhost"] and tls_server.connections == 1
    monkeypatch.undo()
    # With the system's certificate authorities, the stand-in's own certificate fails.
    with pytest.raises(ssl.SSLCertVerificationError):
        KeepAliveClient(token="xoxb-x", base_url=url).chat_postMessage(channel="D1", text="hi")
    assert len(tls_server.calls) == 2


@pytest.mark.parametrize("way", ["lean", "sdk"])
def test_a_certificate_that_fails_is_not_tried_again(
    tls_server: Server, monkeypatch: pytest.MonkeyPatch, way: str
) -> None:
    client = _counted(_client_at(tls_server.url.replace("127.0.0.1", "localhost")), [])
    tries, calls = _connects(monkeypatch), len(tls_server.calls)
    with pytest.raises(ssl.SSLCertVerificationError):
        _both_ways(client)[way]()
    assert len(tries) == 1 and len(tls_server.calls) == calls


@pytest.mark.parametrize("way", ["lean", "sdk"])
def test_a_stale_connection_whose_new_one_is_refused_is_tried_again_as_the_sdk_would(
    server: Server, monkeypatch: pytest.MonkeyPatch, way: str
) -> None:
    client = _counted(_client(server), [])
    post = _both_ways(client)[way]
    server.drop_after_next = True
    assert post()["ok"]
    assert server.closed.acquire(timeout=5)
    # As if the server's close came just after the idle check: the call goes out on the
    # closed connection, and the new one it is sent again on is refused.
    monkeypatch.setattr(Link, "_idle", lambda _link: True)
    tries = _connects(monkeypatch, fail=ConnectionRefusedError(111, "Connection refused"))
    with pytest.raises(urllib.error.URLError) as error:
        post()
    assert isinstance(error.value.reason, ConnectionRefusedError)
    retries = _connection_retries(client)
    assert len(tries) == 1 + retries


@pytest.mark.parametrize("way", ["lean", "sdk"])
def test_a_tls_handshake_the_server_cuts_is_tried_again_as_the_stock_client_tries_it(
    monkeypatch: pytest.MonkeyPatch, way: str
) -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        url = f"https://127.0.0.1:{listener.getsockname()[1]}/api/"

        def cut() -> None:
            while True:
                try:
                    accepted, _ = listener.accept()
                except OSError:
                    return  # the listener was closed: the test is over
                accepted.close()  # before the TLS handshake's answer

        threading.Thread(target=cut, daemon=True).start()
        ours, stock = _unopened_both(url, way, monkeypatch)
    assert ours.tries == stock.tries == 3
    # Closed mid-handshake: an end of file or a reset, as the timing falls.
    for ended in (ours, stock):
        assert isinstance(ended.reason, (ssl.SSLError, ConnectionResetError))


def test_a_call_the_sdk_stops_before_sending_leaves_nothing_for_the_next(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _client(server)
    server.raw_next = b"HTTP/1.1 500 Oops\r\nContent-Length: 2\r\n\r\n{}"
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}]
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # the SDK warns of a message without text
        with pytest.raises(UserWarning):
            client.chat_postMessage(channel="D1", blocks=blocks)
    # The lean attempt's 500 was not used: the next call is sent and answered.
    assert client.api_call("conversations.info", json={"channel": "D1"})["ok"]
    assert server.calls == ["/api/chat.postMessage", "/api/conversations.info"]


@pytest.mark.parametrize("way", ["lean", "sdk"])
def test_an_https_connection_closed_without_a_word_does_not_lose_the_next_call(
    tls_server: Server, certificate: tuple[Path, Path], way: str
) -> None:
    client = KeepAliveClient(token="xoxb-x", base_url=tls_server.url)
    client.ssl = ssl.create_default_context(cafile=str(certificate[0]))
    client.retry_handlers = []  # no second chance: the call must go out the first time
    post = _both_ways(client)[way]
    before = len(tls_server.calls)
    tls_server.drop_after_next = True  # a TCP close, without TLS's close_notify
    assert post()["ok"]
    assert tls_server.closed.acquire(timeout=5)
    assert post()["ok"]
    assert len(tls_server.calls) == before + 2

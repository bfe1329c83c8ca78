"""Web API calls over kept-alive connections.

slack_sdk's ``WebClient`` opens a new connection (and against slack.com a new TLS
session) for every call, through a urllib opener it also builds every time: about a
fifth of the work of answering a message. This client sends each call the same way, but
over one connection per thread and host, kept open between calls. Answers and errors
come back exactly as urllib gives them (a status of 400 or more as ``HTTPError``), so
the SDK's retries (rate limits, dropped connections) work as before.

``chat.postMessage``, the call every answer makes, skips the SDK's layers (request
objects, URL joins, retry bookkeeping) and ``http.client``'s header parsing when all
goes well: ``http11`` sends it and reads its answer. What does not go well (a rate
limit, an error status, a connection that fails) is given to the SDK as the outcome of
its own first attempt, not sent again: its retry handlers then decide, waits included,
as for any other call.

A connection that cannot be opened for a reason that may pass at once (refused, reset,
a name lookup that failed, no route) is urllib's ``URLError`` in both paths, as the
stock client has it, so the SDK tries again: a moment's DNS failure no longer loses an
answer. A connect timeout and a certificate that fails are raised as they are: trying
again doubles the wait for a host that does not answer, and a bad certificate stays bad.
"""

from __future__ import annotations

import http.client
import io
import json
import ssl
import threading
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import urljoin, urlsplit

from slack_sdk import WebClient
from slack_sdk.web import SlackResponse

from bot.channels.slack.http11 import Answer, Link

# A kept-alive connection the server has meanwhile closed fails on first use like this:
# the call is sent again once, on a new connection.
STALE = (
    http.client.RemoteDisconnected,
    BrokenPipeError,
    ConnectionResetError,
    ssl.SSLEOFError,  # over TLS, a server that closed without saying so
)
# What a lean call's arguments may be; anything else (the SDK's model objects, metadata)
# the SDK turns into JSON itself, so that call takes its way.
PLAIN = (str, int, float, bool)
SCHEMES = ("http", "https")  # what is sent over plain sockets here; any other, the SDK's way


class KeepAliveClient(WebClient):
    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._local = threading.local()
        self._origin = urlsplit(self.base_url)
        # The SDK's headers and the token they carry, one pair: replaced whole, so that
        # another thread never sends headers built for a token that has changed.
        self._signed: tuple[str | None, dict[str, str]] | None = None
        self._urls: dict[str, tuple[str, str]] = {}  # method: its URL, and that URL's path

    def chat_postMessage(self, *, channel: str, **options: Any) -> SlackResponse:  # noqa: N802 - the SDK's name
        payload = {"channel": channel, **{k: v for k, v in options.items() if v is not None}}
        if self._lean(payload) and (posted := self._post(payload)) is not None:
            return posted
        try:
            return super().chat_postMessage(channel=channel, **options)
        finally:
            self._local.outcome = None  # taken by the SDK's first attempt, or never to be

    def _post(self, payload: dict[str, Any]) -> SlackResponse | None:
        """The response, when the answer is a plain JSON object; else None, and what
        happened is kept as the outcome of the SDK's first attempt."""
        url, path = self._urls.get("chat.postMessage") or self._url("chat.postMessage")
        headers = self._headers()
        try:
            answer = self._exchange(path, headers, json.dumps(payload).encode())
        except Exception as error:  # noqa: BLE001 - the SDK's retry handlers judge it
            self._local.outcome = error
            return None
        data = _json(answer) if 200 <= answer.status < 300 else None
        if data is None:
            self._local.outcome = _as_urllib(url, answer)
            return None
        return SlackResponse(
            client=self,
            http_verb="POST",
            api_url=url,
            req_args={"headers": headers, "json": payload},
            data=data,
            headers=answer.headers,
            status_code=answer.status,
        ).validate()

    def _lean(self, payload: dict[str, Any]) -> bool:
        """Whether this call can skip the SDK: plain JSON, no proxy, no default params."""
        if self.proxy is not None or self.default_params or self._origin.scheme not in SCHEMES:
            return False
        for name, value in payload.items():
            if name == "blocks":
                if not isinstance(value, list) or not all(isinstance(b, dict) for b in value):
                    return False
            elif not isinstance(value, PLAIN):
                return False
        return True

    def _url(self, method: str) -> tuple[str, str]:
        url = urljoin(self.base_url, method)  # as the SDK joins them
        self._urls[method] = url, urlsplit(url).path
        return self._urls[method]

    def _headers(self) -> dict[str, str]:
        """The headers the SDK would send with a JSON call, for the token as it is now."""
        token, signed = self.token, self._signed
        if signed is None or signed[0] != token:
            built = self._build_urllib_request_headers(
                token=token or "", has_json=True, has_files=False, additional_headers={}
            )
            self._signed = signed = (token, built)
        return signed[1]

    def _exchange(self, target: str, headers: dict[str, str], body: bytes) -> Answer:
        """The answer, over this thread's connection: a kept-alive one the server has
        meanwhile closed is replaced once, as the generic path below does."""
        link = self._local.__dict__.get("link")
        if link is None:
            link = self._local.link = Link(self._origin, self.timeout, self.ssl)
        _open(link.connect)  # a connection that cannot be opened: nothing was sent
        reused = link.answered > 0
        try:
            return link.post(target, headers, body)
        except STALE:
            if not reused:
                raise
        _open(link.connect)
        return link.post(target, headers, body)

    def _perform_urllib_http_request_internal(
        self, url: str, req: urllib.request.Request
    ) -> dict[str, Any]:
        outcome = self._local.__dict__.get("outcome")
        if outcome is not None:  # the lean chat.postMessage was this call's first attempt
            self._local.outcome = None
            if isinstance(outcome, BaseException):
                raise outcome
            return outcome
        parts = urlsplit(url)
        if self.proxy is not None or parts.scheme not in SCHEMES:
            return super()._perform_urllib_http_request_internal(url, req)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = dict(req.header_items())
        while True:
            reused, conn = self._connection(parts.scheme, parts.netloc)
            try:
                if conn.sock is None:
                    _open(conn.connect)
                response, body = _send(conn, target, req.data, headers)
                break
            except BaseException as error:
                self._forget(parts.scheme, parts.netloc)
                # A kept-alive connection the server had closed: once more, on a new one.
                if not (reused and isinstance(error, STALE)):
                    raise
        if response.will_close:
            self._forget(parts.scheme, parts.netloc)
        outcome = _for_sdk(url, response.status, response.reason, response.headers, body)
        if isinstance(outcome, urllib.error.HTTPError):
            raise outcome
        return outcome

    def _connection(self, scheme: str, host: str) -> tuple[bool, http.client.HTTPConnection]:
        """This thread's connection to ``host``; whether it has served a call before."""
        pool: dict[tuple[str, str], http.client.HTTPConnection] = self._local.__dict__.setdefault(
            "pool", {}
        )
        conn = pool.get((scheme, host))
        if conn is not None:
            return True, conn
        if scheme == "https":
            conn = http.client.HTTPSConnection(host, timeout=self.timeout, context=self.ssl)
        else:
            conn = http.client.HTTPConnection(host, timeout=self.timeout)
        pool[(scheme, host)] = conn
        return False, conn

    def _forget(self, scheme: str, host: str) -> None:
        conn = self._local.__dict__.get("pool", {}).pop((scheme, host), None)
        if conn is not None:
            conn.close()


def _open(connect: Callable[[], None]) -> None:
    """``connect()``; a failure that may pass at once as urllib's ``URLError``, which the
    SDK's ``ConnectionErrorRetryHandler`` retries (see the module's docstring)."""
    try:
        connect()
    except (TimeoutError, ssl.SSLCertVerificationError):
        raise
    except OSError as error:
        raise urllib.error.URLError(error) from error


def _send(
    conn: http.client.HTTPConnection, target: str, data: Any, headers: dict[str, str]
) -> tuple[http.client.HTTPResponse, bytes]:
    conn.request("POST", target, body=data, headers=headers)
    response = conn.getresponse()
    return response, response.read()


def _json(answer: Answer) -> dict[str, Any] | None:
    """The answer's JSON object, read as the SDK reads it; None when it has none, or is
    in a charset other than UTF-8 (the SDK then says what it got)."""
    # By hand, not through http.client's HTTPMessage: the email package costs more than
    # the rest of reading the answer, and this runs for every answer.
    kind = answer.headers.get("content-type", "").lower()
    charset = kind.partition("charset=")[2].partition(";")[0].strip(' "')
    if charset not in ("", "utf-8", "utf8"):
        return None
    try:
        data = json.loads(answer.body.decode())  # text, as the SDK: a BOM is not JSON
    except ValueError:  # UnicodeDecodeError too
        return None
    return data if isinstance(data, dict) else None


def _as_urllib(url: str, answer: Answer) -> urllib.error.HTTPError | dict[str, Any]:
    """An answer the lean path does not take, as the generic path gives it to the SDK."""
    headers = http.client.HTTPMessage()
    for name, value in answer.headers.items():
        headers[name] = value
    reason = http.client.responses.get(answer.status, "")
    return _for_sdk(url, answer.status, reason, headers, answer.body)


def _for_sdk(
    url: str, status: int, reason: str, headers: http.client.HTTPMessage, body: bytes
) -> urllib.error.HTTPError | dict[str, Any]:
    """An answer as urllib gives it to the SDK: an ``HTTPError`` for a status of 400 or
    more, else its status, headers and text."""
    if status >= 400:
        return urllib.error.HTTPError(url, status, reason, headers, io.BytesIO(body))
    charset = headers.get_content_charset() or "utf-8"
    return {"status": status, "headers": headers, "body": body.decode(charset)}

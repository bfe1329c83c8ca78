"""Web API calls over kept-alive connections.

slack_sdk's ``WebClient`` opens a new connection (and against slack.com a new TLS
session) for every call, through a urllib opener it also builds every time: about a
fifth of the work of answering a message. This client sends each call the same way, but
over one connection per thread and host, kept open between calls. Answers and errors
come back exactly as urllib gives them (a status of 400 or more as ``HTTPError``), so
the SDK's retries (rate limits, dropped connections) work as before.

``chat.postMessage``, the call every answer makes, skips the SDK's layers (request
objects, URL joins, retry bookkeeping) and ``http.client``'s header parsing when all
goes well: ``http11`` sends it and reads its answer. What does not go well the usual way
(a rate limit, a connection that fails) is handed to the SDK, which sends the call again
and retries as it always has.
"""

from __future__ import annotations

import http.client
import io
import json
import threading
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urljoin, urlsplit

from slack_sdk import WebClient
from slack_sdk.web import SlackResponse

from bot.channels.slack.http11 import Answer, Link

# A kept-alive connection the server has meanwhile closed fails on first use like this:
# the call is sent again once, on a new connection.
STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)
# What a lean call's arguments may be; anything else (the SDK's model objects, metadata)
# the SDK turns into JSON itself, so that call takes its way.
PLAIN = (str, int, float, bool)
SCHEMES = ("http", "https")  # what is sent over plain sockets here; any other, the SDK's way


class KeepAliveClient(WebClient):
    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._local = threading.local()
        self._origin = urlsplit(self.base_url)
        self._headers: dict[str, str] | None = None
        self._urls: dict[str, tuple[str, str]] = {}  # method: its URL, and that URL's path

    def chat_postMessage(self, *, channel: str, **options: Any) -> SlackResponse:  # noqa: N802 - the SDK's name
        payload = {"channel": channel, **{k: v for k, v in options.items() if v is not None}}
        if self._lean(payload):
            posted = self._post("chat.postMessage", payload)
            if posted is not None:
                return posted
        return super().chat_postMessage(channel=channel, **options)

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

    def _post(self, method: str, payload: dict[str, Any]) -> SlackResponse | None:
        """The call's response, or None when the SDK should make it instead: Slack asked
        to wait (429), or a connection dropped before anything was answered."""
        if self._headers is None:
            self._headers = self._build_urllib_request_headers(
                token=self.token or "", has_json=True, has_files=False, additional_headers={}
            )
        url, path = self._urls.get(method) or self._url(method)
        answer = self._exchange(path, json.dumps(payload).encode())
        if answer is None or answer.status == 429:
            return None
        try:
            data = json.loads(answer.body)
        except ValueError:
            data = {"ok": False, "error": f"not JSON: {answer.body[:100]!r}"}
        return SlackResponse(
            client=self,
            http_verb="POST",
            api_url=url,
            req_args={"headers": self._headers, "json": payload},
            data=data,
            headers=answer.headers,
            status_code=answer.status,
        ).validate()

    def _url(self, method: str) -> tuple[str, str]:
        url = urljoin(self.base_url, method)  # as the SDK joins them
        self._urls[method] = url, urlsplit(url).path
        return self._urls[method]

    def _exchange(self, target: str, body: bytes) -> Answer | None:
        """The answer, or None if the connection dropped before any answer came."""
        assert self._headers is not None
        link = self._local.__dict__.get("link")
        if link is None:
            link = self._local.link = Link(self._origin, self.timeout, self.ssl)
        for attempt in (1, 2):
            # A connection that cannot be opened fails the call at once, as it did through
            # the SDK (its retries are for connections that drop, not for a host that is
            # unreachable): handing it over would double the wait for a host that is down.
            link.connect()
            reused = link.answered > 0
            try:
                return link.post(target, self._headers, body)
            except STALE:
                # A kept-alive connection the server has meanwhile closed: once more on a
                # new one. On a new one, the SDK's retries for dropped connections decide.
                if not reused or attempt == 2:
                    return None
        return None

    def _perform_urllib_http_request_internal(
        self, url: str, req: urllib.request.Request
    ) -> dict[str, Any]:
        parts = urlsplit(url)
        if self.proxy is not None or parts.scheme not in SCHEMES:
            return super()._perform_urllib_http_request_internal(url, req)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        headers = dict(req.header_items())
        reused, conn = self._connection(parts.scheme, parts.netloc)
        try:
            response, body = _send(conn, target, req.data, headers)
        except STALE:
            self._forget(parts.scheme, parts.netloc)
            if not reused:
                raise
            _, conn = self._connection(parts.scheme, parts.netloc)
            response, body = _send(conn, target, req.data, headers)
        except BaseException:
            self._forget(parts.scheme, parts.netloc)
            raise
        if response.will_close:
            self._forget(parts.scheme, parts.netloc)
        if response.status >= 400:
            raise urllib.error.HTTPError(
                url, response.status, response.reason, response.headers, io.BytesIO(body)
            )
        charset = response.headers.get_content_charset() or "utf-8"
        return {
            "status": response.status,
            "headers": response.headers,
            "body": body.decode(charset),
        }

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


def _send(
    conn: http.client.HTTPConnection, target: str, data: Any, headers: dict[str, str]
) -> tuple[http.client.HTTPResponse, bytes]:
    conn.request("POST", target, body=data, headers=headers)
    response = conn.getresponse()
    return response, response.read()

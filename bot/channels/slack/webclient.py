"""Web API calls over kept-alive connections.

slack_sdk's ``WebClient`` opens a new connection (and against slack.com a new TLS
session) for every call, through a urllib opener it also builds every time: about a
fifth of the work of answering a message. This client sends each call the same way, but
over one connection per thread and host, kept open between calls. Answers and errors
come back exactly as urllib gives them (a status of 400 or more as ``HTTPError``), so
the SDK's retries (rate limits, dropped connections) work as before.
"""

from __future__ import annotations

import http.client
import io
import threading
import urllib.error
import urllib.request
from typing import Any
from urllib.parse import urlsplit

from slack_sdk import WebClient

# A kept-alive connection the server has meanwhile closed fails on first use like this:
# the call is sent again once, on a new connection.
STALE = (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError)


class KeepAliveClient(WebClient):
    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._local = threading.local()

    def _perform_urllib_http_request_internal(
        self, url: str, req: urllib.request.Request
    ) -> dict[str, Any]:
        parts = urlsplit(url)
        if self.proxy is not None or parts.scheme not in ("http", "https"):
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

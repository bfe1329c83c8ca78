"""A cap on HTTP request bodies, in front of any WSGI app (Slack now, a web channel later).

Frameworks such as bolt read the whole body into memory, decode it and may log it, so one
large request could take a worker from tens of megabytes to gigabytes. Here the body is
refused before anything reads it: a ``Content-Length`` above the cap gets 413 unread, and
a body of unknown length (chunked) is read only until it passes the cap. A body within
the cap is handed on in memory, with its length set, so the app behind reads it as usual.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger(__name__)

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

BODY = "helpbot.body"  # the environ key holding the body read here, as bytes
_CHUNK = 64 * 1024


def body_of(environ: dict[str, Any]) -> bytes:
    """The request body ``BodyLimit`` read (it must be in front of the caller)."""
    return environ[BODY]


def plain(start_response: StartResponse, status: str, text: str) -> list[bytes]:
    """A short text/plain answer; nothing from the request is echoed back."""
    data = f"{text}\n".encode()
    start_response(
        status, [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(data)))]
    )
    return [data]


class BodyLimit:
    """Answer 413 to bodies over ``max_bytes``; hand smaller ones on, already read."""

    def __init__(self, app: WSGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        declared = str(environ.get("CONTENT_LENGTH") or "").strip()
        if declared and not (declared.isascii() and declared.isdigit()):
            return plain(start_response, "400 Bad Request", "bad Content-Length")
        if declared and int(declared) > self.max_bytes:
            # Not a byte of it is read: the server discards or drops the rest.
            log.info("refused a %s-byte request body (the limit is %d)", declared, self.max_bytes)
            return plain(start_response, "413 Content Too Large", "request body too large")
        limit = int(declared) if declared else self.max_bytes + 1
        body = _read(environ.get("wsgi.input"), limit)
        if len(body) > self.max_bytes:
            log.info("refused a request body of unknown length over %d bytes", self.max_bytes)
            return plain(start_response, "413 Content Too Large", "request body too large")
        environ[BODY] = body
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return self.app(environ, start_response)


def _read(stream: Any, limit: int) -> bytes:
    """At most ``limit`` bytes, in chunks: ``read(n)`` may return fewer than asked."""
    if stream is None:
        return b""
    parts: list[bytes] = []
    left = limit
    while left > 0:
        part = stream.read(min(left, _CHUNK))
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)

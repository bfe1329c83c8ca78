"""What bolt would answer with a 500: requests it cannot verify, and bodies it cannot read.

bolt parses the body before it checks the signature, and turns a non-numeric timestamp,
a body that is not JSON or UTF-8, or one of the wrong shape into an exception: a 500, a
traceback in the log, and Slack retrying. This WSGI middleware sits between
``BodyLimit`` and bolt's ``SlackRequestHandler`` and answers those requests itself:

- 401 for anything not proven to come from Slack (no, stale or wrong signature, or a
  timestamp that is not a number), before a byte of the body is parsed;
- 400 for a correctly signed body that bolt cannot turn into a request.

Nothing from the body or the signature headers is logged. The request bolt is given is
the one built here to check the body (``ParsedRequestHandler``): made twice, it was a
sixth of the work of an acknowledgement.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.request import BoltRequest
from slack_bolt.response import BoltResponse

from bot.channels.bodylimit import StartResponse, WSGIApp, body_of, plain

log = logging.getLogger(__name__)

# Seconds since 1970 in ASCII digits; int() would also take spaces, signs, other
# scripts' digits and thousands of digits, which bolt then trips over.
TIMESTAMP = re.compile(r"[0-9]{1,12}")
STALE_SECONDS = 5 * 60  # Slack's rule: an older signature may be a replay
PARSED = "helpbot.bolt_request"  # the environ key holding the request built here


class SlackGuard:
    def __init__(
        self,
        app: WSGIApp,
        signing_secret: str,
        path: str,
        now: Callable[[], float] = time.time,
    ) -> None:
        self.app = app
        self.path = path
        self.secret = signing_secret.encode()
        # Signatures are stamped with the real time by Slack, so this is the wall clock.
        self.now = now

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "POST" or environ.get("PATH_INFO") != self.path:
            return self.app(environ, start_response)  # bolt answers these (404)
        body = body_of(environ)
        if not self._signed(environ, body):
            log.info("slack: refused a request without a valid signature")
            return plain(start_response, "401 Unauthorized", "invalid request")
        parsed = _parsed(environ, body)
        if parsed is None:
            log.warning("slack: refused a signed request whose body cannot be read")
            return plain(start_response, "400 Bad Request", "malformed request")
        environ[PARSED] = parsed
        return self.app(environ, start_response)

    def _signed(self, environ: dict[str, Any], body: bytes) -> bool:
        """Slack's v0 signature, over the body's bytes (slack_sdk's verifier decodes them
        first, and so raises on a body that is not UTF-8)."""
        timestamp = str(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", ""))
        signature = str(environ.get("HTTP_X_SLACK_SIGNATURE", ""))
        if not TIMESTAMP.fullmatch(timestamp) or not self.secret:
            return False
        if abs(self.now() - int(timestamp)) > STALE_SECONDS:
            return False
        base = b"v0:" + timestamp.encode() + b":" + body
        expected = b"v0=" + hmac.new(self.secret, base, hashlib.sha256).hexdigest().encode()
        # Header values arrive as latin-1 text (PEP 3333), so this never fails.
        return hmac.compare_digest(expected, signature.encode("latin-1", "replace"))


def _parsed(environ: dict[str, Any], body: bytes) -> BoltRequest | None:
    """bolt's request for this body, built exactly as its adapter builds it; None if bolt
    cannot build one."""
    request = WsgiHttpRequest(environ)
    try:
        return BoltRequest(
            body=body.decode("utf-8"),
            query=request.query_string,
            headers=request.get_headers(),
        )
    except Exception:  # noqa: BLE001 - whatever bolt raises on it, the body is malformed
        return None


class ParsedRequestHandler(SlackRequestHandler):
    """bolt's WSGI handler, dispatching the request ``SlackGuard`` built, if it built one."""

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        parsed = request.environ.pop(PARSED, None)
        if parsed is None:
            return super().dispatch(request)
        return self.app.dispatch(parsed)

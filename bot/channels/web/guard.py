"""The web chat's front door, as plain ASGI middleware in front of the app.

Every response gets a strict Content-Security-Policy (the page's own script and style
only: no inline code, nothing from elsewhere) and the usual security headers. A request
that changes something must be JSON (a form on another site cannot send JSON without the
browser asking first) and come from the configured origin; its body has a cap.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from bot.errors import HelpbotError

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
)
HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
]
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


class WebGuard:
    def __init__(self, app: ASGIApp, *, origin: str, max_body: int, hsts: bool) -> None:
        self.app = app
        self.origin = origin
        self.max_body = max_body
        self.headers = HEADERS + (
            [(b"strict-transport-security", b"max-age=31536000")] if hsts else []
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = list(message.get("headers", [])) + self.headers
            await send(message)

        refusal = self._refusal(scope)
        if refusal is not None:
            status, text = refusal
            await _json(send_with_headers, status, {"error": text})
            return
        await self.app(scope, self._capped(receive), send_with_headers)

    def _refusal(self, scope: Scope) -> tuple[int, str] | None:
        if scope["method"] in SAFE_METHODS:
            return None
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        if headers.get("origin") != self.origin:
            return 403, "This chat only accepts messages from its own page."
        kind = headers.get("content-type", "").split(";")[0].strip().lower()
        if kind != "application/json":
            return 415, "Send JSON (Content-Type: application/json)."
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > self.max_body:
            return 413, "That message is too long."
        return None

    def _capped(self, receive: Receive) -> Receive:
        """``receive`` that stops a body (chunked or lying about its length) at the cap."""
        seen = 0
        cap = self.max_body

        async def capped() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > cap:
                    raise BodyTooLarge
            return message

        return capped


class BodyTooLarge(HelpbotError):
    """A request body went past the cap while it was being read."""


async def _json(send: Send, status: int, body: dict[str, Any]) -> None:
    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
                (b"cache-control", b"no-store"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})

"""The web chat's HTTP side: the page, ``POST /api/messages`` and ``GET /api/history``.

Only translation happens here: JSON in -> ``Message``, ``Reply`` -> JSON out, the same
shape as ``helpbot ask --json``. The engine decides everything, as for every channel.
The engine is synchronous (it may wait on the database), so each turn runs in a worker
thread and the event loop stays free for other visitors.
"""

from __future__ import annotations

import html
import json
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from bot.channels.web import visitor
from bot.channels.web.events import LIFETIME, NewsFeed, Streams
from bot.channels.web.guard import BodyTooLarge, WebGuard
from bot.channels.web.limits import RateLimiter
from bot.config import WebSettings
from bot.content.model import Contact
from bot.core.engine import Engine
from bot.core.messages import Message, Reply
from bot.core.redact import redact_checked
from bot.core.text import clean
from bot.runtime import Runtime
from bot.store import StoreError
from bot.store.deadline import within
from bot.store.history import transcript

log = logging.getLogger(__name__)

CHANNEL = Streams.name
STATIC = Path(__file__).parent / "static"
MAX_BODY = 16 * 1024
MAX_TEXT = 4000
MAX_CONTACT = 200  # about a page of typing; longer is refused with a clear message
HIDDEN = "(hidden: it looked like a password or Account Secret)"


class WebChat:
    """The handlers, with what they share: the engine, settings and rate limits."""

    def __init__(
        self,
        engine: Engine,
        settings: WebSettings,
        now: Callable[[], float] = time.monotonic,
        news_every: float = 1.0,
        stream_lifetime: float = LIFETIME,
    ) -> None:
        self.engine = engine
        self.streams = Streams()
        # The web's news is pulled by each open stream, never pushed to everyone: a worker
        # only reaches the visitors whose page is connected to it.
        self.runtime = Runtime(engine, self.streams, pulled=True)
        self.news = NewsFeed(self.runtime, self.streams, every=news_every, lifetime=stream_lifetime)
        self.settings = settings
        self.per_ip = RateLimiter(settings.messages_per_minute_per_ip, 60.0, now)
        self.per_visitor = RateLimiter(settings.messages_per_minute_per_visitor, 60.0, now)
        # Tickets cost a person's time at the helpdesk: far fewer per address than messages.
        self.new_tickets = RateLimiter(settings.tickets_per_hour_per_ip, 3600.0, now)
        self.page = _page(engine.knowledge.content.contacts)

    async def index(self, request: Request) -> Response:
        return HTMLResponse(self.page, headers={"cache-control": "no-cache"})

    async def messages(self, request: Request) -> Response:
        who, is_new = self._visitor(request)
        try:
            data = json.loads(await request.body())
        except BodyTooLarge:
            return _error(413, "That message is too long.")
        except ValueError:
            return _error(400, "Send a JSON object with 'text', or 'action' and 'label'.")
        parsed = _parse(data)
        if isinstance(parsed, str):
            return _error(400, parsed)
        text, action, contact = parsed
        address = _client_ip(request)
        for limiter, key in ((self.per_ip, address), (self.per_visitor, who)):
            wait = limiter.retry_after(key)
            if wait is not None:
                seconds = max(1, round(wait + 0.5))
                return _error(
                    429,
                    f"That's a lot of messages at once. Please wait {seconds} seconds and "
                    "try again.",
                    headers={"retry-after": str(seconds)},
                )
        # News comes only through the event stream, where it has ids to resume from.
        message = Message(
            user_id=who,
            text=text,
            channel=CHANNEL,
            action=action,
            takes_news=False,
            contact=contact,
            may_open_ticket=self.new_tickets.blocked(address) is None,
        )
        replies = await run_in_threadpool(self.runtime.handle, message)
        if any(r.meta.ticket for r in replies):
            self.new_tickets.record(address)
        body = {"you": _shown(text, replies), "replies": [r.to_dict() for r in replies]}
        return self._with_cookie(JSONResponse(body, headers=_NO_STORE), who, is_new)

    async def history(self, request: Request) -> Response:
        who, is_new = self._visitor(request)
        store = self.engine.store
        lines: list[dict[str, Any]] = []
        if store is not None and not is_new:
            try:
                # Bounded like a turn: a database that hangs must not hang the page.
                found = await run_in_threadpool(
                    within, store.timeout + 0.5, lambda: transcript(store, CHANNEL, who, who)
                )
            except StoreError as exc:
                log.warning("no history for a visitor: %s", exc)
                found = []
            lines = [{"id": x.id, "from": _speaker(x.direction), "text": x.text} for x in found]
        return self._with_cookie(JSONResponse({"lines": lines}, headers=_NO_STORE), who, is_new)

    async def events(self, request: Request) -> Response:
        who, is_new = self._visitor(request)
        if is_new:  # no conversation yet, so no news: the page opens this after a reply
            return _error(403, "Send a message first.")
        last = request.headers.get("last-event-id", "")
        after = int(last) if last.isdigit() and len(last) < 19 else None
        return StreamingResponse(
            self.news.stream(who, after, request.is_disconnected),
            media_type="text/event-stream",
            headers={"cache-control": "no-store", "x-accel-buffering": "no"},
        )

    def _visitor(self, request: Request) -> tuple[str, bool]:
        found = visitor.verified(request.cookies.get(visitor.COOKIE), self.settings.cookie_secret)
        return (found, False) if found else (visitor.new_visitor(), True)

    def _with_cookie(self, response: Response, who: str, is_new: bool) -> Response:
        if is_new:
            response.set_cookie(
                visitor.COOKIE,
                visitor.sign(who, self.settings.cookie_secret),
                max_age=visitor.MAX_AGE,
                httponly=True,
                secure=self.settings.secure_cookie,
                samesite="strict",
            )
        return response


def create_app(
    engine: Engine, settings: WebSettings, *, sync: bool = False, **options: Any
) -> WebGuard:
    """The web chat's ASGI app. ``sync``: also start the runtime's thread (a server does),
    which follows content reloads made by other processes."""
    chat = WebChat(engine, settings, **options)
    if sync:
        chat.runtime.start()
    app = Starlette(
        routes=[
            Route("/", chat.index),
            Route("/api/messages", chat.messages, methods=["POST"]),
            Route("/api/history", chat.history),
            Route("/api/events", chat.events),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ]
    )
    return WebGuard(
        app,
        origin=settings.public_origin,
        max_body=MAX_BODY,
        hsts=settings.public_origin.startswith("https://"),
    )


_NO_STORE = {"cache-control": "no-store"}


def _parse(data: object) -> tuple[str, str | None, str | None] | str:
    """(text, button value, contact) from the request, or what is wrong with it."""
    if not isinstance(data, dict):
        return "Send a JSON object with 'text', or 'action' and 'label'."
    action, label, text = data.get("action"), data.get("label"), data.get("text")
    contact = data.get("contact")
    if action is not None:
        if not isinstance(action, str) or not isinstance(label, str | None):
            return "'action' and 'label' must be strings."
        if not isinstance(contact, str | None) or len(contact or "") > MAX_CONTACT:
            return f"The phone number or email must be text under {MAX_CONTACT} characters."
        return (label or "")[:MAX_TEXT], action[:MAX_TEXT], (contact or "").strip() or None
    if not isinstance(text, str) or not text.strip():
        return "Type a message first."
    if len(text) > MAX_TEXT:
        return f"That message is too long: please keep it under {MAX_TEXT} characters."
    return text, None, None


def _shown(text: str, replies: list[Reply]) -> str:
    """The person's own message as the page may show it back: redacted as stored."""
    if any(r.meta.secret_warning for r in replies):
        return HIDDEN
    shown, secret = redact_checked(clean(text))
    return HIDDEN if secret else shown


def _speaker(direction: str) -> str:
    return "you" if direction == "in" else "bot"


def _client_ip(request: Request) -> str:
    # Behind a proxy uvicorn's --forwarded-allow-ips puts the real address here.
    return request.client.host if request.client else "unknown"


def _error(status: int, text: str, headers: dict[str, str] | None = None) -> Response:
    return JSONResponse(
        {"error": text}, status_code=status, headers={**_NO_STORE, **(headers or {})}
    )


def _page(contacts: list[Contact]) -> str:
    """index.html with the helpdesk contacts written in: they show even without script."""
    items = []
    for contact in contacts:
        ways = []
        if contact.phone:
            tel = "".join(ch for ch in contact.phone if ch.isdigit() or ch == "+")
            ways.append(f'<a href="tel:{html.escape(tel)}">{html.escape(contact.phone)}</a>')
        if contact.email:
            address = html.escape(contact.email)
            ways.append(f'<a href="mailto:{address}">{address}</a>')
        items.append(
            f"<li><strong>{html.escape(contact.name)}</strong>: {', '.join(ways)} "
            f'<span class="use">({html.escape(contact.use_for)})</span></li>'
        )
    page = (STATIC / "index.html").read_text(encoding="utf-8")
    return page.replace("<!-- contacts -->", "\n".join(items))

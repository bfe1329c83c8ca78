"""News for a web visitor as server-sent events: an agent's reply, a claim, a resolution.

The page keeps one ``EventSource`` open. Each piece of news is the outbox row's id and
its reply; the row is claimed (exactly one stream of one worker gets it) and written into
the visitor's conversation, so a reload shows it in the history. A stream that drops
reconnects with ``Last-Event-ID``: whatever was handed out after that id is sent again,
so nothing is lost, and the page shows nothing twice because it only asks for what
follows the last piece it saw.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

from bot.core.engine import Engine
from bot.core.messages import Reply
from bot.store import StoreError
from bot.store.outbox import Pending, claim_pending, delivered_after

log = logging.getLogger(__name__)

RETRY_MS = 3000  # how soon the browser reconnects after a drop
KEEP_ALIVE = 15.0  # seconds: a comment line now and then keeps proxies from closing it


@dataclass(frozen=True)
class NewsEvent:
    id: int
    reply: Reply

    def encode(self) -> bytes:
        data = json.dumps(self.reply.to_dict())
        return f"id: {self.id}\nevent: news\ndata: {data}\n\n".encode()


class NewsFeed:
    """Reads one channel's news for one visitor at a time from the outbox."""

    def __init__(self, engine: Engine, channel: str, every: float = 1.0) -> None:
        self.engine = engine
        self.channel = channel
        self.every = every

    async def stream(
        self, visitor: str, after: int | None, gone: Callable[[], object]
    ) -> AsyncIterator[bytes]:
        """The event stream for ``visitor`` until the browser goes (``gone()`` is truthy)."""
        yield f"retry: {RETRY_MS}\n\n".encode()
        if after is not None:
            for event in await run_in_threadpool(self._again, visitor, after):
                yield event.encode()
        quiet = 0.0
        while not await gone():
            events = await run_in_threadpool(self._new, visitor)
            for event in events:
                yield event.encode()
            if events:
                quiet = 0.0
                continue
            await asyncio.sleep(self.every)
            quiet += self.every
            if quiet >= KEEP_ALIVE:
                quiet = 0.0
                yield b": still here\n\n"

    def _again(self, visitor: str, after: int) -> list[NewsEvent]:
        store = self.engine.store
        if store is None:
            return []
        try:
            return [self._event(p) for p in delivered_after(store, self.channel, visitor, after)]
        except StoreError as exc:
            log.warning("web: news could not be re-read: %s", exc)
            return []

    def _new(self, visitor: str) -> list[NewsEvent]:
        store = self.engine.store
        if store is None:
            return []
        try:
            claimed = claim_pending(store, self.channel, visitor)
        except StoreError as exc:
            self.engine.health.failed(str(exc))
            return []
        events = [self._event(p) for p in claimed]
        for pending, event in zip(claimed, events, strict=True):
            try:
                # On the record, and its buttons answer typed words next turn.
                self.engine.noted(self.channel, visitor, pending.conversation_key, event.reply)
            except StoreError as exc:
                log.warning("web: news shown but not recorded: %s", exc)
        return events

    @staticmethod
    def _event(pending: Pending) -> NewsEvent:
        return NewsEvent(pending.id, Reply.from_dict(pending.reply))

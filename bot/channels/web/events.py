"""News for a web visitor as server-sent events: an agent's reply, a claim, a resolution.

The page keeps one ``EventSource`` open. The web channel is a ``bot.runtime`` channel
whose ``deliver`` feeds the visitor's open streams in this process; the runtime claims
each piece of news (exactly one stream of one worker gets it) and writes it into the
visitor's conversation, so a reload shows it in the history. Each event's id is the
piece's outbox id: a stream that drops reconnects with ``Last-Event-ID`` and whatever was
handed out after that id is sent again, so nothing is lost, and nothing shows twice.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable, Sequence

from starlette.concurrency import run_in_threadpool

from bot.core.messages import Reply
from bot.errors import HelpbotError
from bot.runtime import Runtime, as_news
from bot.store import StoreError
from bot.store.outbox import delivered_after

log = logging.getLogger(__name__)

RETRY_MS = 3000  # how soon the browser reconnects after a drop
KEEP_ALIVE = 15.0  # seconds: a comment line now and then keeps proxies from closing it
# A stream ends after this long and the browser opens a new one (resuming after the last
# id it saw): visitors spread over the workers again after a deploy or a restart.
LIFETIME = 300.0


class NotListening(HelpbotError):
    """The visitor has no open stream in this process: the news waits for one."""


def encode(reply: Reply) -> bytes:
    data = json.dumps(reply.to_dict())
    return f"id: {reply.meta.news_id}\nevent: news\ndata: {data}\n\n".encode()


class Streams:
    """The web channel (``bot.runtime.Channel``): the visitors' open streams here."""

    name = "web"

    def __init__(self) -> None:
        self._open: dict[str, list[tuple[asyncio.AbstractEventLoop, asyncio.Queue]]] = {}
        self._lock = threading.Lock()

    def listen(self, visitor: str) -> asyncio.Queue[Reply]:
        queue: asyncio.Queue[Reply] = asyncio.Queue()
        with self._lock:
            self._open.setdefault(visitor, []).append((asyncio.get_running_loop(), queue))
        return queue

    def stop_listening(self, visitor: str, queue: asyncio.Queue[Reply]) -> None:
        with self._lock:
            left = [(loop, q) for loop, q in self._open.get(visitor, []) if q is not queue]
            if left:
                self._open[visitor] = left
            else:
                self._open.pop(visitor, None)

    def deliver(self, recipient: str, replies: Sequence[Reply]) -> None:
        with self._lock:
            listening = list(self._open.get(recipient, []))
        if not listening:
            raise NotListening(f"no open stream for {recipient} here")
        for loop, queue in listening:
            for reply in replies:
                loop.call_soon_threadsafe(queue.put_nowait, reply)

    def tidy(self) -> None:
        """Nothing kept for a while: a stream's queue goes when the stream does."""


class NewsFeed:
    """The event stream of one visitor, on the web channel's runtime."""

    def __init__(
        self, runtime: Runtime, streams: Streams, every: float = 1.0, lifetime: float = LIFETIME
    ) -> None:
        self.runtime = runtime
        self.streams = streams
        self.every = every
        self.lifetime = lifetime

    async def stream(
        self, visitor: str, after: int | None, gone: Callable[[], object]
    ) -> AsyncIterator[bytes]:
        """The event stream for ``visitor`` until the browser goes (``gone()`` is truthy)."""
        queue = self.streams.listen(visitor)
        try:
            yield f"retry: {RETRY_MS}\n\n".encode()
            # News handed out between listening and re-reading reaches both the queue and
            # the re-read: what was sent again is not sent twice.
            resent: set[int | None] = set()
            if after is not None:
                for reply in await run_in_threadpool(self._again, visitor, after):
                    resent.add(reply.meta.news_id)
                    yield encode(reply)
            quiet = 0.0
            ends = asyncio.get_running_loop().time() + self.lifetime
            while asyncio.get_running_loop().time() < ends and not await gone():
                await run_in_threadpool(self._pull, visitor)
                try:
                    reply = await asyncio.wait_for(queue.get(), timeout=self.every)
                except TimeoutError:
                    quiet += self.every
                    if quiet >= KEEP_ALIVE:
                        quiet = 0.0
                        yield b": still here\n\n"
                    continue
                quiet = 0.0
                for item in (reply, *_drain(queue)):
                    if item.meta.news_id not in resent:
                        yield encode(item)
        finally:
            self.streams.stop_listening(visitor, queue)

    def _pull(self, visitor: str) -> None:
        try:
            self.runtime.push(visitor)
        except StoreError as exc:
            self.runtime.engine.health.failed(str(exc))

    def _again(self, visitor: str, after: int) -> list[Reply]:
        store = self.runtime.store
        if store is None:
            return []
        try:
            found = delivered_after(store, self.streams.name, visitor, after)
        except StoreError as exc:
            log.warning("web: news could not be re-read: %s", exc)
            return []
        return [as_news(item) for item in found]


def _drain(queue: asyncio.Queue[Reply]) -> list[Reply]:
    found = []
    while not queue.empty():
        found.append(queue.get_nowait())
    return found

"""A bounded backlog of work per worker process: what was acknowledged and not yet done.

bolt's lazy listeners hand work to an unbounded executor queue, so a worker that acks
faster than it answers piles work up (and memory with it) until its answers come many
seconds late. Here a request is taken only if there is room: ``offer`` says no when
``limit`` pieces are waiting or running, and the app answers that request so Slack
sends it again later, instead of acknowledging what it cannot do soon.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

Work = Callable[[], None]


@dataclass(frozen=True)
class BacklogState:
    """How full the backlog is: taken and not finished (waiting or running), and the most
    there have been at once since the start."""

    size: int
    peak: int
    limit: int


class Backlog:
    """At most ``limit`` pieces of work taken and not finished, run by ``threads`` threads."""

    def __init__(self, limit: int, threads: int, name: str = "slack-work") -> None:
        if limit < 1 or threads < 1:
            raise ValueError("a backlog needs room for one piece of work and one thread")
        self.limit = limit
        self._work: queue.SimpleQueue[Work | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        # A finished piece of work wakes one request waiting for room (waking them all
        # made each finish cost as many thread switches), and ``close`` once all is done.
        self._freed = threading.Condition(self._lock)
        self._idle = threading.Condition(self._lock)
        self._size = 0
        self._peak = 0
        self._closed = False
        self._refused = 0  # since the backlog was last found full
        # Daemon threads: a worker process told to stop waits for them only as long as
        # ``close`` allows, never for ever.
        self._threads = [
            threading.Thread(target=self._serve, name=f"{name}-{n}", daemon=True)
            for n in range(threads)
        ]
        for thread in self._threads:
            thread.start()

    def offer(self, work: Work) -> bool:
        """Take ``work`` to run soon; False, without taking it, when the backlog is full."""
        with self._lock:
            if self._closed or self._size >= self.limit:
                return False
            self._size += 1
            self._peak = max(self._peak, self._size)
            refused, self._refused = self._refused, 0
        self._work.put(work)
        if refused:
            log.warning("slack: the backlog has room again, after %d refused", refused)
        return True

    def refused(self) -> None:
        """A request was refused for want of room: said once each time the backlog fills."""
        with self._lock:
            self._refused += 1
            first = self._refused == 1
        if first:
            log.warning(
                "slack: the backlog is full (%d acknowledged, not yet done); refusing "
                "requests until there is room",
                self.limit,
            )

    def room(self, wait: float) -> bool:
        """Whether there is room now, or within ``wait`` seconds (a hint: ``offer`` decides).

        A worker that is full lets a request wait this long before refusing it, rather
        than spend its time refusing a sender that asks again at once.
        """
        with self._freed:
            if self._size < self.limit and not self._closed:
                return True
            self._freed.wait_for(lambda: self._size < self.limit or self._closed, wait)
            return self._size < self.limit and not self._closed

    def state(self) -> BacklogState:
        with self._lock:
            return BacklogState(self._size, self._peak, self.limit)

    def settled(self, wait: float) -> bool:
        """Whether nothing taken is unfinished, now or within ``wait`` seconds."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._size, wait)

    def close(self, wait: float) -> bool:
        """Take no more work; finish what was taken within ``wait`` seconds. True if it all
        finished (work still waiting after that is lost with the process)."""
        with self._lock:
            self._closed = True
            self._freed.notify_all()
        for _ in self._threads:
            self._work.put(None)
        deadline = time.monotonic() + wait
        with self._idle:
            while self._size and (left := deadline - time.monotonic()) > 0:
                self._idle.wait(left)
            left_over = self._size
        if left_over:
            log.error("slack: stopped with %d acknowledged request(s) not done", left_over)
        return not left_over

    def _serve(self) -> None:
        while (work := self._work.get()) is not None:
            try:
                work()
            except Exception:  # noqa: BLE001 - one failure must not stop the thread
                log.exception("slack: work failed")
            finally:
                with self._lock:
                    self._size -= 1
                    self._freed.notify()
                    if not self._size:
                        self._idle.notify_all()

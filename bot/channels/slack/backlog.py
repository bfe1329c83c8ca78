"""A bounded backlog of work per worker process: what was acknowledged and not yet done.

bolt's lazy listeners hand work to an unbounded executor queue, so a worker that acks
faster than it answers piles work up (and memory with it) until its answers come many
seconds late. Here a request is taken only if there is room: ``offer`` says no when
``limit`` pieces are waiting or running, and the app answers that request so Slack
sends it again later, instead of acknowledging what it cannot do soon.

A request that finds no room waits its turn (``admit``): places are handed over in the
order requests came, each finished piece of work passing its place straight to the
request that has waited longest. When newcomers could take a freed place first, a
request could lose the race again and again until its wait ran out and it was refused,
and each refusal cost the worker about as much as an answer (Slack sends it again).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)

Work = Callable[[], None]


@dataclass(frozen=True)
class BacklogState:
    """How full the backlog is: taken and not finished (waiting or running), and the most
    there have been at once since the start; requests waiting for a place."""

    size: int
    peak: int
    limit: int
    waiting: int = 0


class _Waiter:
    """A request waiting for a place: its lock is released when it is given one (or the
    backlog closes, ``placed`` False)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.lock.acquire()
        self.placed = False


class Backlog:
    """At most ``limit`` pieces of work taken and not finished, run by ``threads`` threads.

    A place is taken by ``offer``, or first by ``admit`` for the request the calling
    thread serves: its ``offer`` then uses that place, and ``leave`` gives it back if the
    request needed no work after all.
    """

    def __init__(self, limit: int, threads: int, name: str = "slack-work") -> None:
        if limit < 1 or threads < 1:
            raise ValueError("a backlog needs room for one piece of work and one thread")
        self.limit = limit
        self._work: queue.SimpleQueue[Work | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._waiting: deque[_Waiter] = deque()  # oldest first
        self._admitted = threading.local()  # .place: this thread's request holds a place
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
        """Take ``work`` to run soon; False, without taking it, when the backlog is full.
        Work for a request that was admitted goes in on the place it holds."""
        admitted = getattr(self._admitted, "place", False)
        self._admitted.place = False
        with self._lock:
            if self._closed:
                if admitted:
                    self._free()
                return False
            if not admitted:
                if self._size >= self.limit:  # always so while requests wait for a place
                    return False
                self._take()
            refused, self._refused = self._refused, 0
        self._work.put(work)
        if refused:
            log.warning("slack: the backlog has room again, after %d refused", refused)
        return True

    def admit(self, wait: float) -> bool:
        """Take a place for the request this thread serves: now, or within ``wait``
        seconds after the requests already waiting. False when none came in time."""
        with self._lock:
            if self._closed:
                return False
            if self._size < self.limit and not self._waiting:
                self._take()
                self._admitted.place = True
                return True
            if wait <= 0:
                return False
            waiter = _Waiter()
            self._waiting.append(waiter)
        if not waiter.lock.acquire(timeout=wait):
            with self._lock:
                if waiter in self._waiting:  # else a place came just as the wait ran out
                    self._waiting.remove(waiter)
                    return False
        self._admitted.place = waiter.placed
        return waiter.placed

    def leave(self) -> None:
        """The request this thread served is done: give back a place it did not use."""
        if getattr(self._admitted, "place", False):
            self._admitted.place = False
            with self._lock:
                self._free()

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

    def state(self) -> BacklogState:
        with self._lock:
            return BacklogState(self._size, self._peak, self.limit, len(self._waiting))

    def settled(self, wait: float) -> bool:
        """Whether nothing taken is unfinished, now or within ``wait`` seconds."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._size, wait)

    def close(self, wait: float) -> bool:
        """Take no more work; finish what was taken within ``wait`` seconds. True if it all
        finished (work still waiting after that is lost with the process)."""
        with self._lock:
            self._closed = True
            while self._waiting:  # told no: there will be no place
                self._waiting.popleft().lock.release()
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
                    self._free()

    def _take(self) -> None:
        self._size += 1
        self._peak = max(self._peak, self._size)

    def _free(self) -> None:
        """A place is free: it passes to the request that has waited longest, if any."""
        if self._waiting and not self._closed:
            waiter = self._waiting.popleft()
            waiter.placed = True
            waiter.lock.release()
            return
        self._size -= 1
        if not self._size:
            self._idle.notify_all()

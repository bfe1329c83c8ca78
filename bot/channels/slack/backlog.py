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

Work is done by two kinds of thread. Most of an answer's time is a wait for slack.com,
which many threads overlap (``offer``). Deciding the answer (the engine's turn) is
Python from end to end, which only one thread at a time can run: it goes to one thinking
thread (``think``), which hands what it decided to say to the other threads and goes on
to the next. One long-lived thread, not whichever backlog thread came, because the
kernel's scheduler puts a thread that has just woken from a wait before one that has
been running: a different thread waking for each turn went ahead of the request threads
and doubled the acknowledgements' p99. The same preference, turned on the thinking
thread, had every thread that woke (a request, a reply from slack.com) take the CPU
from it while it held the interpreter, only to wait for it: the other threads give way
to it (``nicer``), which halves those switches.
"""

from __future__ import annotations

import logging
import os
import queue
import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

log = logging.getLogger(__name__)

PR_SET_NAME = 15  # prctl(2)

# What a piece of work returns, if anything, is its next part, on the same place: work
# for a backlog thread may leave a thought (a decision that had to wait for slack.com or
# the database first), and a thought the work of saying what it decided.
Work = Callable[[], "Thought | None"]
Thought = Callable[[], "Work | None"]
T = TypeVar("T")


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
    """At most ``limit`` pieces of work taken and not finished, run by ``threads`` threads
    and one thinking thread (``think``); a piece keeps its place until its last part ends.

    A place is taken by ``offer`` or ``think``, or first by ``admit`` for the request the
    calling thread serves: its ``offer`` or ``think`` then uses that place, and ``leave``
    gives it back if the request needed no work after all.
    """

    def __init__(
        self, limit: int, threads: int, name: str = "slack-work", *, nicer: int = 0
    ) -> None:
        """``nicer``: how much nicer than the thinking thread the other threads run."""
        if limit < 1 or threads < 1:
            raise ValueError("a backlog needs room for one piece of work and one thread")
        self.limit = limit
        self._nicer = nicer
        self._work: queue.SimpleQueue[Work | None] = queue.SimpleQueue()
        self._thoughts: queue.SimpleQueue[Thought | None] = queue.SimpleQueue()
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
        self._thinker = threading.Thread(target=self._think, name=f"{name}-think", daemon=True)
        for thread in [*self._threads, self._thinker]:
            thread.start()

    def offer(self, work: Work) -> bool:
        """Take ``work`` to run soon; False, without taking it, when the backlog is full.
        Work for a request that was admitted goes in on the place it holds."""
        return self._place(self._work, work)

    def think(self, thought: Thought) -> bool:
        """As ``offer``, for work that is mostly deciding: ``thought`` runs on the thinking
        thread, one at a time in the order taken, and the work it returns, if any, on a
        backlog thread, on the same place."""
        return self._place(self._thoughts, thought)

    def _place(self, lane: queue.SimpleQueue[T | None], work: T) -> bool:
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
        lane.put(work)
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
        deadline = time.monotonic() + wait
        with self._idle:
            while self._size and (left := deadline - time.monotonic()) > 0:
                self._idle.wait(left)
            left_over = self._size
        # Only now: a piece of work may hand its next part from one kind of thread to the
        # other until its very end.
        for lane in [self._thoughts, *(self._work for _ in self._threads)]:
            lane.put(None)
        if left_over:
            log.error("slack: stopped with %d acknowledged request(s) not done", left_over)
        return not left_over

    def _serve(self) -> None:
        name_os_thread()
        give_way(self._nicer)
        self._run(self._work, self._thoughts)

    def _think(self) -> None:
        name_os_thread()
        self._run(self._thoughts, self._work)

    def _run(
        self, lane: queue.SimpleQueue[Callable[[], Any] | None], other: queue.SimpleQueue[Any]
    ) -> None:
        """Run what comes in ``lane``; what it returns goes to ``other``, on its place."""
        while (part := lane.get()) is not None:
            then = None
            try:
                then = part()
            except BaseException:  # noqa: BLE001 - nothing may stop a thread: the thinking one is alone
                log.exception("slack: work failed")
            finally:
                if then is not None:
                    other.put(then)
                else:
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


def give_way(nicer: int) -> None:
    """Make the calling thread ``nicer``: on Linux niceness is a thread's own, and threads
    it starts inherit it. Elsewhere it is the whole process's, the thinking thread's too,
    so nothing is changed; nor where the system says no (the thread runs as it was)."""
    if not nicer or sys.platform != "linux":
        return
    try:
        os.nice(nicer)
    except OSError as exc:
        log.warning("slack: could not lower a thread's priority: %s", exc)


def name_os_thread() -> None:
    """Give the calling thread its Python name in the system too (the first 15 bytes, all
    Linux keeps), so that ``top -H`` and ``/proc`` tell the thinking thread from the rest."""
    if sys.platform != "linux":
        return
    import ctypes  # here: only Linux needs it, and only once a thread

    name = threading.current_thread().name.encode()[:15]
    ctypes.CDLL(None).prctl(PR_SET_NAME, ctypes.c_char_p(name), 0, 0, 0)

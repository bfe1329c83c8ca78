"""Bound a piece of database work by a deadline, whatever the driver does.

Server-side limits (statement and lock timeouts) cannot help when the server itself
stops answering: a client then waits on its socket for ever. Running the work in a
thread of its own and waiting for it at most ``seconds`` is the one bound that holds.
"""

from __future__ import annotations

import os
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

from bot.store.db import Store, StoreUnavailable

T = TypeVar("T")


class StoreTimeout(StoreUnavailable):
    """The database did not answer within the deadline."""


class _Workers:
    """Daemon threads that wait for work and are reused: starting a thread per message
    cost about as much as the message's database work.

    A worker stuck on a database that never answers is simply not idle: the next piece
    of work starts a new thread. At most ``MAX_IDLE`` wait idle; extra ones end.
    """

    MAX_IDLE = 8

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        # Each task returns whether its worker should wait for more.
        self._tasks: queue.SimpleQueue[Callable[[], bool]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0

    def run(self, task: Callable[[], bool]) -> None:
        with self._lock:
            start = self._idle == 0
            if not start:
                self._idle -= 1  # that idle worker (or another) takes this task
        self._tasks.put(task)
        if start:
            threading.Thread(target=self._serve, name="helpbot-db", daemon=True).start()

    def finishing(self) -> bool:
        """Called by a task just before it hands back its result: this worker counts as
        idle from now, so a caller that sends more work at once finds it. False: there
        are enough idle workers, this one ends."""
        with self._lock:
            if self._idle >= self.MAX_IDLE:
                return False
            self._idle += 1
            return True

    def _serve(self) -> None:
        while self._tasks.get()():
            pass


_workers = _Workers()
# A forked worker process (gunicorn) inherits the idle count but not the threads: it
# starts afresh, or its first piece of work would wait for a thread that is not there.
os.register_at_fork(after_in_child=_workers._reset)


def in_background(work: Callable[[], T]) -> Future[T]:
    """Start ``work()`` on a reused daemon thread; its result or exception in the future.

    Daemon threads, not a ``ThreadPoolExecutor``'s: a database that never answers would
    otherwise hold the process open at exit. Threads cannot pile up for long: new
    connections have a connect timeout and the connection pool a checkout timeout.
    """
    future: Future[T] = Future()

    def run() -> bool:
        future.set_running_or_notify_cancel()
        try:
            value = work()
        except BaseException as exc:  # noqa: BLE001 - handed to whoever waits for it
            stay = _workers.finishing()
            future.set_exception(exc)
        else:
            stay = _workers.finishing()
            future.set_result(value)
        return stay

    _workers.run(run)
    return future


def within(seconds: float, work: Callable[[], T], what: str = "the database") -> T:
    """``work()``, or ``StoreTimeout`` once it has taken ``seconds``."""
    try:
        return in_background(work).result(timeout=seconds)
    except FutureTimeout:
        raise StoreTimeout(f"{what} did not answer in {seconds:g} s") from None


def bounded(store: Store, work: Callable[[], T]) -> T:
    """``work()`` on ``store``: given up after the store's timeout and half a second if
    its database is a server, which can stop answering (``Store.can_hang``).

    On SQLite the work runs in the caller's thread, with no deadline over the whole of
    it: each of its waits has a limit of its own (a locked file: the busy timeout, half
    the store's timeout; a pool with no connection to lend: the timeout), raising
    ``StoreUnavailable``, but a turn that waits several times can take longer than the
    timeout in all (``Store.can_hang``). Handing every turn to another thread and back
    cost a Slack worker about a tenth of its CPU per answer. Work that must end within
    a time, whatever the database, uses ``within`` (the Slack retry check, before its
    acknowledgement).
    """
    if not store.can_hang:
        return work()
    return within(store.timeout + 0.5, work, f"database {store.name}")

"""Bound a piece of database work by a deadline, whatever the driver does.

Server-side limits (statement and lock timeouts) cannot help when the server itself
stops answering: a client then waits on its socket for ever. Running the work in a
thread of its own and waiting for it at most ``seconds`` is the one bound that holds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TypeVar

from bot.store.db import StoreUnavailable

T = TypeVar("T")


class StoreTimeout(StoreUnavailable):
    """The database did not answer within the deadline."""


def within(seconds: float, work: Callable[[], T], what: str = "the database") -> T:
    """``work()``, or ``StoreTimeout`` once it has taken ``seconds``.

    A daemon thread, not a pool's: a database that never answers would otherwise hold
    the process open at exit. Threads cannot pile up for long: new connections have a
    connect timeout and the connection pool a checkout timeout.
    """
    future: Future[T] = Future()

    def run() -> None:
        future.set_running_or_notify_cancel()
        try:
            future.set_result(work())
        except BaseException as exc:  # noqa: BLE001 - handed to the waiting caller
            future.set_exception(exc)

    threading.Thread(target=run, name="helpbot-db", daemon=True).start()
    try:
        return future.result(timeout=seconds)
    except FutureTimeout:
        raise StoreTimeout(f"{what} did not answer in {seconds:g} s") from None

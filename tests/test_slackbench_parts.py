"""What ``serial --parts`` counts: each thread's CPU within a round, by kind of thread."""

from __future__ import annotations

import threading
import time

from bot.slackbench.parts import Meter


class DatabaseThread:
    """A thread named as the store's: it spends ``spend`` seconds of its own CPU, then
    waits until it is let go."""

    def __init__(self, spend: float) -> None:
        self._spent, self._go = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._run, args=(spend,), name="helpbot-db")
        self.thread.start()
        assert self._spent.wait(30)

    def _run(self, spend: float) -> None:
        until = time.thread_time() + spend
        while time.thread_time() < until:
            pass
        self._spent.set()
        self._go.wait(30)

    def end(self) -> None:
        self._go.set()
        self.thread.join(30)


def test_a_thread_that_ends_in_a_round_takes_nothing_from_the_one_started_after_it() -> None:
    # glibc hands an ended thread's id to the next thread started: counted by id, the
    # new thread's CPU less the old one's came out below zero.
    meter = Meter()
    first = DatabaseThread(0.05)
    mark = meter.mark()
    first.end()
    second = DatabaseThread(0.01)
    parts = meter.since(mark, events=1)
    second.end()
    spent = parts.by_kind["database threads"]
    assert 0.01 <= spent < 0.04


def test_work_done_before_a_round_is_not_counted_in_it() -> None:
    meter = Meter()
    before = DatabaseThread(0.03)
    mark = meter.mark()
    during = DatabaseThread(0.01)
    parts = meter.since(mark, events=1)
    before.end()
    during.end()
    assert 0.01 <= parts.by_kind["database threads"] < 0.03

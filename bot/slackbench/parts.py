"""Where an answer's CPU time goes, thread by thread: for ``serial --parts``.

The app does an answer's work in three or four kinds of thread (the request's, which
acks; the backlog's thinking thread, which runs the turn; the other backlog threads,
which render, post and deliver news; on a database server, the database threads, which
run the turn's transaction under a deadline), and a profiler's own cost changes what it
measures. Each thread's CPU clock is read instead, before and after a round, and the
turn's transaction and matching are timed where they run, so one line says which part
an optimisation has to shrink.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from bot.core import engine
from bot.core.matcher import Matcher

# Thread names (their prefixes) and the part of an answer each does.
KINDS = {
    "MainThread": "request thread (ack)",
    "slack-work-think": "thinking thread",  # before its prefix, "slack-work"
    "slack-work": "backlog threads",
    "helpbot-db": "database threads",
}
OTHER = "other threads"
T = TypeVar("T")


@dataclass(frozen=True)
class Parts:
    """CPU seconds per kind of thread over a round, and the turns' and matching's share."""

    by_kind: dict[str, float]
    turn: float  # the turns' transactions (matching in them), in whichever thread ran them
    matching: float
    events: int

    def line(self) -> str:
        """One line: each part's CPU per event in milliseconds (parts that took none,
        such as a bare ack's turn, are left out)."""
        each = {kind: self._ms(s) for kind, s in self.by_kind.items() if s > 0}
        shown = ", ".join(f"{kind} {ms:.3f} ms" for kind, ms in each.items())
        if self.turn <= 0:
            return f"CPU per event: {shown}"
        turn, matching = self._ms(self.turn), self._ms(self.matching)
        within = f"the turn {turn:.3f} ms, matching {matching:.3f} ms"
        return f"CPU per event: {shown}; of all that, {within}"

    def _ms(self, seconds: float) -> float:
        return 1000 * seconds / max(self.events, 1)


def _kind(name: str) -> str:
    return next((kind for prefix, kind in KINDS.items() if name.startswith(prefix)), OTHER)


def _clocks() -> dict[threading.Thread, float]:
    """Each live thread's CPU seconds so far. By thread, not by its id: a thread that
    ends hands its id to the next one started, whose clock starts again at zero."""
    found = {}
    for thread in threading.enumerate():
        if thread.ident is None:
            continue
        try:
            found[thread] = time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
        except OSError:  # ended since it was listed
            continue
    return found


@dataclass(frozen=True)
class Mark:
    """Each live thread's CPU clock, and the time in turns and matching so far, at a
    round's start."""

    clocks: dict[threading.Thread, float]
    turn: float
    matching: float


class Meter:
    """Per-thread CPU, and the time spent in turns and matching, between a ``mark`` and
    ``since`` it."""

    def __init__(self) -> None:
        self._turn = self._matching = 0.0
        self._lock = threading.Lock()

    @contextmanager
    def timing(self) -> Iterator[None]:
        """The engine's database work (its turns, and news noted into a conversation
        after it was shown) and ``Matcher.match`` timed in the thread that runs them,
        while inside."""
        plain_match, plain_bounded = Matcher.match, engine.bounded

        def timed_match(matcher: Matcher, text: str) -> object:
            began = time.thread_time()
            try:
                return plain_match(matcher, text)
            finally:
                self._add(matching=time.thread_time() - began)

        def timed_bounded(store: object, work: Callable[[], T]) -> T:
            def timed_work() -> T:
                began = time.thread_time()
                try:
                    return work()
                finally:
                    self._add(turn=time.thread_time() - began)

            return plain_bounded(store, timed_work)  # type: ignore[arg-type]

        Matcher.match = timed_match  # type: ignore[method-assign]
        engine.bounded = timed_bounded  # type: ignore[assignment]
        try:
            yield
        finally:
            Matcher.match = plain_match  # type: ignore[method-assign]
            engine.bounded = plain_bounded

    def _add(self, *, turn: float = 0.0, matching: float = 0.0) -> None:
        with self._lock:
            self._turn += turn
            self._matching += matching

    def mark(self) -> Mark:
        """Where the clocks stand now: a round's start."""
        return Mark(_clocks(), self._turn, self._matching)

    def since(self, mark: Mark, events: int) -> Parts:
        """What ``events`` cost since ``mark`` (what a thread that ended meanwhile spent
        is not counted)."""
        by_kind = {kind: 0.0 for kind in [*KINDS.values(), OTHER]}
        for thread, seconds in _clocks().items():
            by_kind[_kind(thread.name)] += seconds - mark.clocks.get(thread, 0.0)
        return Parts(by_kind, self._turn - mark.turn, self._matching - mark.matching, events)

"""Where an answer's CPU time goes, thread by thread: for ``serial --parts``.

The app does an answer's work in three kinds of thread (the request's, which acks; the
database thread, which runs the turn; the backlog's, which render, post and deliver
news), and a profiler's own cost changes what it measures. Each thread's CPU clock is
read instead, before and after a round, and matching is timed where it runs, so one
line says which part an optimisation has to shrink.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from bot.core.matcher import Matcher

# Thread names (their prefixes) and the part of an answer each does.
KINDS = {
    "MainThread": "request thread (ack)",
    "helpbot-db": "database thread (turn)",
    "slack-work": "backlog threads (render, post, news)",
}
OTHER = "other threads"


@dataclass(frozen=True)
class Parts:
    """CPU seconds per kind of thread over a round, and matching's share of them."""

    by_kind: dict[str, float]
    matching: float  # in whichever thread matched (the database thread's, in the app)
    events: int

    def line(self) -> str:
        """One line: each part's CPU per event in milliseconds (parts that took none,
        such as a bare ack's turn, are left out)."""
        each = {kind: 1000 * s / max(self.events, 1) for kind, s in self.by_kind.items() if s > 0}
        shown = ", ".join(f"{kind} {ms:.3f} ms" for kind, ms in each.items())
        if self.matching <= 0:
            return f"CPU per event: {shown}"
        matched = 1000 * self.matching / max(self.events, 1)
        return f"CPU per event: {shown}; of all that, matching {matched:.3f} ms"


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
    """Each live thread's CPU clock, and the time matched so far, at a round's start."""

    clocks: dict[threading.Thread, float]
    matching: float


class Meter:
    """Per-thread CPU and matching time between a ``mark`` and ``since`` it."""

    def __init__(self) -> None:
        self._matching = 0.0
        self._lock = threading.Lock()

    @contextmanager
    def matching_timed(self) -> Iterator[None]:
        """``Matcher.match`` timed in the thread that calls it, while inside."""
        plain = Matcher.match

        def timed(matcher: Matcher, text: str) -> object:
            began = time.thread_time()
            try:
                return plain(matcher, text)
            finally:
                spent = time.thread_time() - began
                with self._lock:
                    self._matching += spent

        Matcher.match = timed  # type: ignore[method-assign]
        try:
            yield
        finally:
            Matcher.match = plain  # type: ignore[method-assign]

    def mark(self) -> Mark:
        """Where the clocks stand now: a round's start."""
        return Mark(_clocks(), self._matching)

    def since(self, mark: Mark, events: int) -> Parts:
        """What ``events`` cost since ``mark`` (what a thread that ended meanwhile spent
        is not counted)."""
        by_kind = {kind: 0.0 for kind in [*KINDS.values(), OTHER]}
        for thread, seconds in _clocks().items():
            by_kind[_kind(thread.name)] += seconds - mark.clocks.get(thread, 0.0)
        return Parts(by_kind, self._matching - mark.matching, events)

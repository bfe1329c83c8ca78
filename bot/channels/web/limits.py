"""Rate limits for the public page: per address and per visitor, in one process.

A sliding window of recent request times per key. Each worker process keeps its own
counts, so with N workers a client may get up to N times the limit in the worst case;
a proxy in front (see the README) is the place for a hard global cap.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable

MAX_KEYS = 100_000  # beyond this the oldest keys are forgotten, so memory stays bounded


class RateLimiter:
    def __init__(self, limit: int, window: float, now: Callable[[], float]) -> None:
        self.limit = limit
        self.window = window
        self._now = now
        self._seen: dict[str, deque[float]] = {}

    def retry_after(self, key: str) -> float | None:
        """Record a request from ``key``; None if allowed, else seconds until it would be."""
        wait = self.blocked(key)
        if wait is None:
            self.record(key)
        return wait

    def blocked(self, key: str) -> float | None:
        """Seconds until ``key`` may go again, or None if it may now; records nothing."""
        times = self._recent(key)
        if len(times) >= self.limit:
            return max(times[0] + self.window - self._now(), 0.0)
        return None

    def record(self, key: str) -> None:
        self._recent(key).append(self._now())
        if len(self._seen) > MAX_KEYS:
            del self._seen[next(iter(self._seen))]

    def _recent(self, key: str) -> deque[float]:
        now = self._now()
        times = self._seen.pop(key, None) or deque()
        while times and times[0] <= now - self.window:
            times.popleft()
        self._seen[key] = times  # re-inserted: the dict stays in order of last use
        return times

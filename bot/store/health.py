"""Say once when the database goes away and once when it is back, not on every message.

An outage seen by every message (or by a loop polling every two seconds) would
otherwise fill the log with the same traceback and hide everything else.
"""

from __future__ import annotations

import logging
import threading


class Health:
    """Tracks whether the database worked last time; logs only the changes."""

    def __init__(self, log: logging.Logger) -> None:
        self._log = log
        self._lock = threading.Lock()
        self._down: str | None = None

    @property
    def down(self) -> bool:
        return self._down is not None

    def failed(self, reason: str) -> None:
        with self._lock:
            was, self._down = self._down, reason
        if was is None:
            self._log.error("%s; answering without it until it is back", reason)

    def worked(self) -> None:
        with self._lock:
            was, self._down = self._down, None
        if was is not None:
            self._log.warning("the database is back")

"""After a turn, the news it left (a new ticket for the agents, news for its person) goes
out at once: here for all the turns that end while one such push waits for a thread.

``Runtime.after_turn`` claims the helpdesk's news and the person's, two queries after
every answer: a fifth of a busy worker's time. Here a turn that ends asks for a push in
the backlog unless one is already waiting, and that push claims the news of everyone
(as the sync round does), so under load one push serves many answers; alone, a turn
still has its own. A push the full backlog has no room for is left to the sync round,
at most a couple of seconds later.
"""

from __future__ import annotations

import logging
import threading

from bot.channels.slack.backlog import Backlog
from bot.runtime import Runtime
from bot.store import StoreUnavailable

log = logging.getLogger(__name__)


class AfterTurns:
    def __init__(self, runtime: Runtime, backlog: Backlog) -> None:
        self.runtime = runtime
        self.backlog = backlog
        self._lock = threading.Lock()
        self._waiting = False

    def ended(self) -> None:
        """A turn has been answered: push what it left, soon, with any others'."""
        with self._lock:
            if self._waiting:
                return
            self._waiting = True
        if not self.backlog.offer(self._push):
            with self._lock:
                self._waiting = False

    def _push(self) -> None:
        with self._lock:
            self._waiting = False  # a turn ending from now on may have news this misses
        try:
            self.runtime.push_helpdesk()
            self.runtime.push()
        except StoreUnavailable as exc:
            # The answers have gone; the sync round catches up once the database is back.
            log.warning("%s: after the turn: %s", self.runtime.channel.name, exc)

"""After a turn, the news it left (a new ticket for the agents, news for its person) goes
out at once: here for all the turns that end while one such push waits for a thread.

``Runtime.after_turn`` claims the helpdesk's news and the person's, two queries after
every answer: a fifth of a busy worker's time. Here a turn that ends asks for a push in
the backlog only if this process has written news since the last push began (a new
ticket, a message for the agents: ``Store.news_written``), and unless one is already
waiting; that push claims the news of everyone (as the sync round does), so under load
one push serves many answers. Most answers leave no news, and then cost no query. News
from other processes, and a push the full backlog has no room for, are left to the sync
round, at most a couple of seconds later.
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
        self._seen: int | None = None  # ``news_written`` when the last push began

    def ended(self) -> None:
        """A turn has been answered: push what it left, soon, with any others'."""
        store = self.runtime.store
        with self._lock:
            if self._waiting or store is None or store.news_written == self._seen:
                return
            self._waiting = True
        if not self.backlog.offer(self._push):
            with self._lock:
                self._waiting = False

    def _push(self) -> None:
        assert self.runtime.store is not None
        with self._lock:
            self._waiting = False  # a turn ending from now on may have news this misses
            self._seen = self.runtime.store.news_written
        try:
            self.runtime.push_helpdesk()
            self.runtime.push()
        except StoreUnavailable as exc:
            # The answers have gone; the sync round catches up once the database is back.
            log.warning("%s: after the turn: %s", self.runtime.channel.name, exc)

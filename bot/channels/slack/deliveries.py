"""Slack's retried deliveries of an event: recognised at the ack, and answered once.

Slack sends an event again, with ``X-Slack-Retry-Num``, when it did not get a 2xx in
time (or got a 503 from a full backlog). A first delivery therefore cannot be a retry,
and its ack touches no database: this worker remembers its id, and the id is claimed in
the database (shared by every worker) when its work starts: for a person's message, by
its turn (``Message.delivery``). A retry is looked up in
this worker's memory, then with one SELECT, since the first delivery may have gone to
another worker. Should a retry get past both while its first delivery still waits in
another worker's backlog, the claim lets only one of the two answer.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable

from bot.channels.slack import records
from bot.store import Store, StoreUnavailable

log = logging.getLogger(__name__)

# The longest the retry check may wait on the database: the ack must reach Slack in 3 s.
WAIT_SECONDS = 1.0
# Ids taken by this worker, newest kept: Slack's retries come within about five minutes,
# and a worker takes far fewer than this in that time.
REMEMBERED = 20_000


class Deliveries:
    def __init__(self, store: Store | None, remembered: int = REMEMBERED) -> None:
        self.store = store
        self.remembered = remembered
        self._taken: OrderedDict[str, None] = OrderedDict()
        self._lock = threading.Lock()

    def already_taken(self, event_id: str, *, retry: bool) -> bool:
        """Whether this delivery repeats one taken before (by this worker, or for a retry
        by any): then it is acknowledged and dropped."""
        with self._lock:
            if event_id in self._taken:
                return True
        if not retry:
            return False
        # Unknown (the database is down or locked): better a rare duplicate, which the
        # claim may still stop, than a late ack.
        return self._ask(records.delivered_before, event_id, WAIT_SECONDS, unknown=False)

    def taken(self, event_id: str) -> None:
        """This worker has taken the delivery: later retries to it are dropped at once."""
        with self._lock:
            self._taken[event_id] = None
            while len(self._taken) > self.remembered:
                self._taken.popitem(last=False)

    def claim(self, event_id: str) -> bool:
        """Before the work: False if any worker has claimed this event already."""
        # Unknown: better a rare duplicate than a lost question. Off the ack path, so
        # within the store's usual limits, and in this thread: handing the insert to
        # another thread and back cost more than the insert on a busy single CPU.
        return self._ask(records.first_delivery, event_id, None, unknown=True)

    def _ask(
        self,
        question: Callable[..., bool],
        event_id: str,
        wait: float | None,
        *,
        unknown: bool,
    ) -> bool:
        if self.store is None:
            return unknown
        try:
            return question(self.store, event_id, wait=wait)
        except StoreUnavailable as exc:
            log.warning("slack: cannot check event %s for a retry: %s", event_id, exc)
            return unknown

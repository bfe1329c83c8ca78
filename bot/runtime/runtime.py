"""The runtime around the engine: turns, then news pushed out; reloads followed; a sync thread.

Before this lived in each adapter (Slack had its own outbox loop, reload check and sync
thread; the terminal polled the engine). Now a channel adapter only renders, and every
channel gets the same guarantees:

- news (an agent's reply, a claim, a resolution) is claimed with a conditional UPDATE
  before it is delivered, so of several processes exactly one delivers each piece, once;
  if delivery fails it is put back and a later round tries again;
- delivered news is written into the person's conversation, so its buttons answer typed
  words next turn ("yes" to "did this solve it?"), in every channel;
- a reload done by another process (``/nhsmail-admin reload``) is followed within a round.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from bot.content.loader import Content, ContentInvalid
from bot.core.engine import Engine
from bot.core.messages import Message, Reply, ReplyMeta
from bot.runtime.channel import Channel, Helpdesk, Unreachable
from bot.store import StoreError, StoreUnavailable, audit
from bot.store.deadline import within
from bot.store.outbox import HELPDESK, Pending, claim_pending, release

log = logging.getLogger(__name__)

SYNC_SECONDS = 2.0
SYNC_DEADLINE = 30.0  # a round that takes longer is left behind and reported
TIDY_ROUNDS = 1800  # channel.tidy() once in this many rounds: hourly at two seconds a round


def as_news(item: Pending) -> Reply:
    """A piece of news from the outbox as a reply that knows its outbox id."""
    stored = Reply.from_dict(item.reply)
    return Reply(stored.text, stored.buttons, ReplyMeta(news_id=item.id))


class Runtime:
    """One channel's side of the core: ``handle`` turns, ``push`` news, ``start`` syncing.

    ``recipient`` is for a channel that serves one person (the terminal): it never
    takes anyone else's news. ``helpdesk`` is where this process shows tickets to agents.
    ``pulled``: the channel asks for one person's news when it can show it (the web page's
    open stream), so the sync round never pushes everyone's; it still follows reloads.
    """

    def __init__(
        self,
        engine: Engine,
        channel: Channel,
        *,
        recipient: str | None = None,
        helpdesk: Helpdesk | None = None,
        pulled: bool = False,
    ) -> None:
        self.engine = engine
        self.pulled = pulled
        self.channel = channel
        self.helpdesk = helpdesk
        self.store = engine.store
        self.recipient = recipient
        # One turn or delivery at a time per person in this process: the state a turn
        # writes and the buttons a delivery remembers never cross.
        self._people: dict[str, threading.RLock] = {}
        self._people_lock = threading.Lock()
        self._reloads_seen = self._last_reload()
        self._stop = threading.Event()

    # -- turns ------------------------------------------------------------------------------

    def handle(self, message: Message) -> list[Reply]:
        """The engine's answer to ``message``; call ``after_turn`` once it is shown."""
        with self._person(message.user_id):
            return self.engine.handle(message)

    def turn(self, message: Message, show: Callable[[list[Reply]], None]) -> None:
        """Answer ``message`` with ``show``, then push what the turn left for others."""
        show(self.handle(message))
        self.after_turn(message.user_id)

    def after_turn(self, user: str) -> None:
        """Push what the turn left for the agents (a new ticket, a message for them), then
        anything waiting for ``user`` (news that came while they were typing)."""
        try:
            self.push_helpdesk()
            self.push(user)
        except StoreUnavailable as exc:
            # The answer has gone; the sync round catches up once the database is back.
            log.warning("%s: after the turn: %s", self.channel.name, exc)

    # -- news -------------------------------------------------------------------------------

    def push(self, user: str | None = None) -> int:
        """Deliver waiting news (everyone's, or ``user``'s); how many pieces were delivered."""
        if self.store is None:
            return 0
        user = self.recipient or user
        if user is None and self.pulled:
            return 0
        if user is None:
            return self._deliver(claim_pending(self.store, self.channel.name))
        with self._person(user):
            return self._deliver(claim_pending(self.store, self.channel.name, user))

    def push_helpdesk(self) -> int:
        """Show the agents new tickets and what requesters wrote to them; how many."""
        if self.store is None or self.helpdesk is None:
            return 0
        return self._hand_out(claim_pending(self.store, HELPDESK), self._to_helpdesk)

    def _deliver(self, waiting: list[Pending]) -> int:
        return self._hand_out(waiting, self._to_person)

    def _to_person(self, item: Pending) -> None:
        reply = as_news(item)
        self.channel.deliver(item.user_id, [reply])
        try:
            with self._person(item.user_id):
                self.engine.noted(self.channel.name, item.user_id, item.conversation_key, reply)
        except StoreError as exc:  # shown already; only typed answers to it are lost
            log.warning("%s: news shown but not recorded: %s", self.channel.name, exc)

    def _to_helpdesk(self, item: Pending) -> None:
        assert self.helpdesk is not None
        ref, news = item.user_id, item.reply
        if news.get("kind") == "opened":
            self.helpdesk.opened(ref)
        else:
            self.helpdesk.user_wrote(ref, str(news.get("text", "")))

    def _hand_out(self, waiting: list[Pending], show: Callable[[Pending], None]) -> int:
        """``show`` each claimed item in order; on a failure, put it and the rest back."""
        assert self.store is not None
        for sent, item in enumerate(waiting):
            try:
                show(item)
            except Unreachable as exc:
                # Not put back: no later round would reach them. The helpdesk is told.
                self._unreachable(item, str(exc))
            except Exception as exc:  # noqa: BLE001 - the channel or the network: retry later
                log.error("%s: could not deliver to %s: %s", self.channel.name, item.user_id, exc)
                for unsent in waiting[sent:]:
                    release(self.store, unsent.id)
                return sent
        return len(waiting)

    def _unreachable(self, item: Pending, why: str) -> None:
        name = self.channel.name
        log.warning("%s: %s cannot be reached: %s", name, item.user_id, why)
        tickets = self.engine.tickets
        if tickets is None:
            return
        try:
            tickets.record_unreachable(name, item.user_id, why)
        except StoreError as exc:
            log.error("%s: could not record that %s is unreachable: %s", name, item.user_id, exc)

    # -- keeping up with other processes ----------------------------------------------------

    def _last_reload(self) -> int:
        if self.store is None:
            return 0
        try:
            return audit.last_reload(self.store)
        except StoreUnavailable:
            return 0

    def reloaded_here(self) -> None:
        """This process has just reloaded the content itself: no need to follow it."""
        self._reloads_seen = self._last_reload()

    def follow_reloads(self) -> None:
        latest = self._last_reload()
        if latest > self._reloads_seen:
            self._reloads_seen = latest
            before = self.engine.knowledge.content
            try:
                after = self.engine.reload()
            except ContentInvalid as exc:
                log.error("%s: reload asked elsewhere failed here: %s", self.channel.name, exc)
                return
            self._describe(latest, before, after)

    def _describe(self, entry_id: int, before: Content, after: Content) -> None:
        """What the reload changed, from the version this process was serving (see
        ``audit.describe``); the log keeps the reload even if this cannot be written."""
        from bot.content.diff import content_diff

        if self.store is None:
            return
        changed = content_diff(before, after)
        try:
            audit.describe(self.store, entry_id, "\n".join(changed) if changed else "no change")
        except StoreUnavailable as exc:
            log.warning("%s: could not record what the reload changed: %s", self.channel.name, exc)

    def sync(self) -> None:
        """One round of catching up: news, the helpdesk, and reloads done elsewhere."""
        self.push()
        if self.helpdesk is not None:
            self.push_helpdesk()
            self.helpdesk.sync()
        self.follow_reloads()

    def sync_round(self, rounds: int = 1, deadline: float = SYNC_DEADLINE) -> None:
        """One round of the sync thread: never raises, never hangs, says an outage once."""
        name = self.channel.name
        try:
            within(deadline, self.sync, f"the sync round (database or {name})")
            if rounds % TIDY_ROUNDS == 0 and self.store is not None:
                self.channel.tidy()
        except StoreError as exc:
            # Said once when it goes and once when it is back, not every round.
            self.engine.health.failed(str(exc))
        except Exception:  # noqa: BLE001 - keep syncing after a bad round
            log.exception("%s: sync round failed", name)
        else:
            if self.store is not None:
                self.engine.health.worked()

    def start(self, every: float = SYNC_SECONDS) -> threading.Thread:
        """A daemon thread running ``sync_round`` every ``every`` seconds until ``stop``."""

        def loop() -> None:
            rounds = 0
            while not self._stop.wait(every):
                rounds += 1
                self.sync_round(rounds)

        thread = threading.Thread(target=loop, name=f"{self.channel.name}-sync", daemon=True)
        thread.start()
        if self.engine.watch:
            from bot.runtime.watch import watch_content

            watch_content(self.engine, self._stop)
        return thread

    def stop(self) -> None:
        self._stop.set()

    def _person(self, user: str) -> threading.RLock:
        with self._people_lock:
            return self._people.setdefault(user, threading.RLock())

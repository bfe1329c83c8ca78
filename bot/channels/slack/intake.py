"""How a Slack request becomes work in the worker's backlog: a retry of an event already
taken is acknowledged and dropped (``deliveries``), anything else is acknowledged once its
work is in the backlog, or refused when there is no room (``gate``).

This replaces bolt's lazy listeners: the listener's ack function is built here and hands
its work, with the payload bolt parsed for it, straight to the backlog.
"""

from __future__ import annotations

import functools
import inspect
import logging
from collections.abc import Callable
from typing import Any

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware

from bot.channels.slack.backlog import Backlog
from bot.channels.slack.deliveries import Deliveries
from bot.channels.slack.gate import refusal

log = logging.getLogger(__name__)

# What the payload-shaped arguments of the listeners' work are called (bolt's names).
PAYLOADS = ("event", "action", "command", "respond")


def event_id_of(body: dict[str, Any]) -> str | None:
    """The id of an Events API delivery (what Slack's retries of it share)."""
    event_id = body.get("event_id") if body.get("type") == "event_callback" else None
    return str(event_id) if event_id else None


class Dedupe(Middleware):
    """bolt middleware: acknowledge and drop Slack's retries of an event already taken.

    A ``Middleware`` subclass, not a function: bolt calls a function middleware through
    its argument injection, which cost a tenth of an acknowledgement."""

    def __init__(self, deliveries: Deliveries) -> None:
        self.deliveries = deliveries

    def process(
        self,
        *,
        req: BoltRequest,
        resp: BoltResponse,
        next: Callable[[], BoltResponse],  # noqa: A002 - bolt's name
    ) -> BoltResponse:
        event_id = event_id_of(req.body)
        if event_id is not None:
            retry = bool(req.headers.get("x-slack-retry-num"))
            if self.deliveries.already_taken(event_id, retry=retry):
                log.info("slack: event %s already received; retry dropped", event_id)
                return BoltResponse(status=200, body="", headers={"x-slack-no-retry": "1"})
        return next()


class Intake:
    def __init__(self, backlog: Backlog, deliveries: Deliveries) -> None:
        self.backlog = backlog
        self.deliveries = deliveries
        self.dedupe = Dedupe(deliveries)

    def queued(
        self, work: Callable[..., Any], *, claims: bool = False, thinks: bool = False
    ) -> Callable[..., BoltResponse]:
        """The ack for ``work``: 200 once it is in the backlog, or a refusal when full.

        The event is claimed before ``work`` runs, unless ``claims``: then ``work`` claims
        it itself, with its turn (``Message.delivery``) or with ``first``. Work that
        ``thinks`` runs on the backlog's thinking thread and returns what is left to do
        (``Backlog.think``).
        """
        place = self.backlog.think if thinks else self.backlog.offer
        wanted = [name for name in inspect.signature(work).parameters if name in PAYLOADS]

        def take(
            body: dict[str, Any], event: Any, action: Any, command: Any, respond: Any
        ) -> BoltResponse:
            given = {"event": event, "action": action, "command": command, "respond": respond}
            args = {name: given[name] for name in wanted}
            event_id = event_id_of(body)
            run = functools.partial(self._run, work, body, not claims, args)
            if not place(run):
                return self._refuse(body)
            if event_id is not None:
                self.deliveries.taken(event_id)
            return BoltResponse(status=200, body="")

        return take

    def first(self, body: dict[str, Any]) -> bool:
        """Claim the event ``body`` delivers: False if any worker has claimed it already."""
        event_id = event_id_of(body)
        if event_id is not None and not self.deliveries.claim(event_id):
            log.info("slack: event %s already received; retry dropped", event_id)
            return False
        return True

    def _run(
        self,
        work: Callable[..., Any],
        body: dict[str, Any],
        claim_first: bool,
        args: dict[str, Any],
    ) -> Any:
        """``work``'s result: its next part, if any (``Backlog``)."""
        if not claim_first or self.first(body):
            return work(body, **args)
        return None

    def _refuse(self, body: dict[str, Any]) -> BoltResponse:
        """The backlog filled up after the gate let this request through."""
        self.backlog.refused()
        status, answer = refusal(bool(body.get("command")))
        return BoltResponse(status=status, body=answer)

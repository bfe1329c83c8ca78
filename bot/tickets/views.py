"""What the rest of the bot sees of tickets: who asks, a ticket as shown, what can go wrong.

Apart from ``bot.tickets.service`` so that the conversation core can name them without
importing the service, and with it the ORM, on every start: a command that only answers
questions never touches a ticket.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from bot.core.buttons import TICKET
from bot.errors import HelpbotError

FEEDBACK_PREFIX = TICKET


class TicketError(HelpbotError):
    """Something an agent asked for cannot be done; the message says why, in one line."""


class TicketLimited(TicketError):
    """The channel allows this sender no new ticket for now (see ``Requester.may_open``)."""


class UnknownTicket(TicketError):
    pass


class TicketConflict(TicketError):
    pass


class AlreadyResolved(TicketConflict):
    """A resolve of a resolved ticket: nothing to do (and no second feedback question)."""


@dataclass(frozen=True)
class Requester:
    channel: str
    user_id: str
    conversation_key: str
    display_name: str | None = None
    reach: str | None = field(default=None, repr=False)  # see ``Message.contact``
    may_open: bool = True  # see ``Message.may_open_ticket``


@dataclass(frozen=True)
class TicketView:
    """A ticket as agents and JSON output see it."""

    ref: str
    status: str
    requester: dict[str, Any]
    summary: str
    category: str  # a stable id (an intent or flow id, or "general")
    category_title: str  # the same, as people read it
    assignee: str | None
    assignee_name: str | None  # how the user sees the agent
    priority: str
    created_at: str
    updated_at: str
    sla_due: str
    transcript: str
    email: str
    solved: bool | None
    score: int | None
    events: list[dict[str, Any]] = field(default_factory=list)

    # Kept out of repr and to_dict (lists, JSON, cards, emails): only ``reach_for`` the
    # agent who has claimed the ticket gives it.
    reach: str | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        found = asdict(self)
        del found["reach"]
        return {**found, "unverified": self.unverified}

    def reach_for(self, agent: str) -> str | None:
        """How to reach the person, for the agent who has claimed the ticket only."""
        return self.reach if self.status == "claimed" and self.assignee == agent else None

    @property
    def unverified(self) -> bool:
        """Opened where nobody signs in (the public web chat): anyone could have typed it."""
        return self.requester["channel"] in UNVERIFIED_CHANNELS


# Channels whose people are not signed in to anything we trust: tickets from them say so.
UNVERIFIED_CHANNELS = frozenset({"web"})
UNVERIFIED = (
    "Unverified: opened from the public web chat, with no sign-in. Do not reset or change "
    "anything on this ticket alone: confirm who the person is first (for example through "
    "their Local Administrator)."
)

"""Handing a conversation to a person: confirm, open a ticket, report status, feedback.

The engine decides *when* (a request for a person, two fallbacks in a row, a flow's
locked-out branch); this module says what happens then, in the bot's own words.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.content.loader import Content
from bot.core import replies
from bot.core.messages import Button, Reply, ReplyMeta
from bot.core.normalise import fold
from bot.tickets.hours import BusinessHours
from bot.tickets.service import FEEDBACK_PREFIX, Requester, TicketError, Tickets

CREATE = FEEDBACK_PREFIX + "create"
CANCEL = FEEDBACK_PREFIX + "cancel"
URGENT_PHONE = "0333 200 1133"
_DECLINE = {"no", "cancel", "no thanks", "dont", "stop", "nevermind", "never mind"}


@dataclass(frozen=True)
class Pending:
    """A handoff the user has been asked to confirm, kept in conversation state."""

    category: str
    summary: str

    def dump(self) -> dict[str, str]:
        return {"category": self.category, "summary": self.summary}

    @classmethod
    def load(cls, data: object) -> Pending | None:
        if isinstance(data, dict) and {"category", "summary"} <= data.keys():
            return cls(str(data["category"]), str(data["summary"]))
        return None


def confirm(content: Content) -> Reply:
    text = (
        "I can pass this to the **helpdesk** as a ticket, so a person can help. They will "
        "see our conversation, with personal details such as phone numbers removed.\n\n"
        "If you like, **type one sentence** about the problem now and I'll add it. Or "
        "choose **Create ticket**.\n\nPrefer to contact them yourself?\n"
        + replies.format_contacts(content.contacts)
    )
    buttons = (
        Button("Create ticket", CREATE, "create ticket"),
        Button("Cancel", CANCEL, "cancel"),
    )
    return Reply(text, buttons, ReplyMeta(confidence=1.0, handoff_offered=True))


def declined(text: str) -> bool:
    return fold(text) in _DECLINE


def cancelled() -> Reply:
    return Reply("OK, no ticket. Ask me anything else, or type **help**.")


def open_ticket(
    tickets: Tickets,
    hours: BusinessHours,
    requester: Requester,
    pending: Pending,
    note: str | None,
    now: datetime,
) -> Reply:
    try:
        ticket, created = tickets.open(requester, pending.category, pending.summary, note)
    except TicketError:
        return unavailable()
    if not created:
        text = (
            f"You already have an open ticket about this: **{ticket.ref}** "
            f"(status: {ticket.status}). I've added your message to it, so there's no need "
            "to start again."
        )
        return Reply(text, meta=ReplyMeta(confidence=1.0, handoff_offered=True))
    text = (
        f"Done: your ticket is **{ticket.ref}**. A helpdesk agent will pick it up and reply "
        "here; I'll tell you when they do.\n\n"
        f"{hours.expectation(now)} If it is urgent, phone the NHSmail Helpdesk on "
        f'**{URGENT_PHONE}**.\n\nYou can ask me "status of my ticket" at any time.'
    )
    return Reply(text, meta=ReplyMeta(confidence=1.0, handoff_offered=True))


def unavailable() -> Reply:
    text = (
        "Sorry, I can't create a ticket right now. Please contact the helpdesk directly: "
        f"helpdesk@nhs.net or {URGENT_PHONE}."
    )
    return Reply(text, meta=ReplyMeta(confidence=1.0, handoff_offered=True))


def status(tickets: Tickets, requester: Requester) -> Reply:
    mine = tickets.for_requester(requester.channel, requester.user_id)
    if not mine:
        return Reply(
            "You have no helpdesk tickets with me. Say **talk to a person** to open one.",
            meta=ReplyMeta(intent="ticket_status", confidence=1.0),
        )
    lines = [f"- **{t.ref}**: {t.status}, {replies.verbatim(t.summary, 80)}" for t in mine[:5]]
    return Reply(
        "Your tickets:\n" + "\n".join(lines), meta=ReplyMeta(intent="ticket_status", confidence=1.0)
    )


def feedback(tickets: Tickets, value: str) -> Reply | None:
    """Handle a feedback button (``ticket:solved:REF:yes`` or ``ticket:score:REF:4``)."""
    parts = value.removeprefix(FEEDBACK_PREFIX).split(":")
    if len(parts) != 3 or parts[0] not in ("solved", "score"):
        return None
    kind, ref, answer = parts
    try:
        if kind == "solved":
            tickets.feedback(ref, solved=answer == "yes")
            buttons = tuple(
                Button(str(n), f"{FEEDBACK_PREFIX}score:{ref}:{n}", str(n)) for n in range(1, 6)
            )
            text = "Thank you. How would you rate the help, from 1 (poor) to 5 (great)?"
            return Reply(text + " (Optional.)", buttons)
        tickets.feedback(ref, score=int(answer))
    except (TicketError, ValueError):
        return None
    return Reply("Thank you for your feedback.")

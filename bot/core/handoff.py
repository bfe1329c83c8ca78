"""Handing a conversation to a person: confirm, open a ticket, report status, feedback.

The engine decides *when* (a request for a person, two fallbacks in a row, a flow's
locked-out branch); this module says what happens then, in the bot's own words.

A person has one open ticket: asking for a person again offers to add to it, and a
second ticket is opened only when they say it is a new problem. Nothing is created
without a clear yes: any other reply to the offer is a question of its own.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from bot.content.loader import Content
from bot.core import replies
from bot.core.buttons import Feedback
from bot.core.messages import Button, Reply, ReplyMeta
from bot.core.normalise import fold
from bot.hours import BusinessHours
from bot.tickets.views import FEEDBACK_PREFIX, Requester, TicketError, TicketView

if TYPE_CHECKING:
    from bot.tickets.service import Tickets

CREATE = FEEDBACK_PREFIX + "create"
CANCEL = FEEDBACK_PREFIX + "cancel"
ADD = FEEDBACK_PREFIX + "add"  # add to the open ticket on offer
NEW = FEEDBACK_PREFIX + "new"  # "No, this is a new problem": a second ticket
CHOICES = (CREATE, CANCEL, ADD, NEW)
URGENT_PHONE = "0333 200 1133"
GENERAL = "general"
GENERAL_TITLE = "General question"

# Replies to the offer, after ``fold``. Only these decide it; anything else is answered
# as a question and the offer lapses (it used to become the ticket's note).
_YES = frozenset(
    {
        "yes",
        "y",
        "yeah",
        "yep",
        "yes please",
        "ok",
        "okay",
        "ok please",
        "okay please",
        "please",
        "please do",
        "yes please do",
        "sure",
        "go ahead",
        "do it",
        "create ticket",
        "create a ticket",
        "yes create a ticket",
        "yes create ticket",
        "add it",
        "yes add it",
        "add",
    }
)
_DECLINE = frozenset(
    {
        "no",
        "n",
        "nope",
        "cancel",
        "no thanks",
        "no thank you",
        "dont",
        "stop",
        "nevermind",
        "never mind",
        "not now",
        "no need",
    }
)
_NEW_PROBLEM = frozenset(
    {
        "new",
        "new problem",
        "a new problem",
        "its a new problem",
        "no its a new problem",
        "no this is a new problem",
        "no a new problem",
        "different problem",
        "a different problem",
        "its a different problem",
        "new ticket",
        "a new ticket",
    }
)
# "yes, it says my account is locked": a clear yes with a sentence to add after it.
# ("yesterday ..." is not a yes: the word must end after "yes".)
_YES_AND_NOTE = re.compile(
    r"^\W*(?:yes|yeah|yep)(?:\s+please)?\b[\s,.;:!\-]*(?P<note>.+)$", re.IGNORECASE | re.DOTALL
)


@dataclass(frozen=True)
class Pending:
    """A handoff the user has been asked to confirm, kept in conversation state.

    ``category`` is a stable id (intent, flow or ``general``), ``title`` how people read
    it; ``existing`` is the person's open ticket the offer proposed adding this to.
    """

    category: str
    summary: str
    title: str = GENERAL_TITLE
    existing: str | None = None

    def dump(self) -> dict[str, str | None]:
        return asdict(self)

    @classmethod
    def load(cls, data: object) -> Pending | None:
        if isinstance(data, dict) and {"category", "summary"} <= data.keys():
            category = str(data["category"])
            existing = data.get("existing")
            return cls(
                category,
                str(data["summary"]),
                str(data.get("title") or category),
                str(existing) if existing else None,
            )
        return None


@dataclass(frozen=True)
class Consent:
    """A clear answer to the offer: the button it amounts to, and a sentence to add."""

    value: str
    note: str | None = None


def request(
    content: Content,
    *,
    flow: str | None,
    intent: str | None,
    question: str | None,
    existing: TicketView | None,
) -> Pending:
    """What the ticket will be about: the walk-through, else the last topic answered.

    Titles come from the content (a flow's ``title``, an intent's ``title``), so agents
    read "Set up my Account Secret", not ``account_secret``.
    """
    category, title = GENERAL, GENERAL_TITLE
    if flow is not None and flow in content.flows:
        category, title = flow, content.flows[flow].title
    elif intent is not None and intent in content.intents:
        found = content.intents[intent]
        if not found.smalltalk:  # "hello" is not what the problem is about
            category, title = intent, found.title
    summary = question or (
        f"Help with: {title}" if category != GENERAL else "Asked to talk to a person"
    )
    return Pending(category, summary, title, existing.ref if existing else None)


def consent(text: str, pending: Pending) -> Consent | None:
    """The user's typed answer to the offer, if it is a clear one; None otherwise."""
    typed = fold(text)
    yes = ADD if pending.existing else CREATE
    if typed in _DECLINE:
        return Consent(CANCEL)
    if typed in _YES:
        return Consent(yes)
    if pending.existing and typed in _NEW_PROBLEM:
        return Consent(NEW)
    found = _YES_AND_NOTE.match(text)
    if found and fold(found["note"]):
        return Consent(yes, found["note"].strip())
    return None


def confirm(content: Content, existing: TicketView | None, *, private: bool = True) -> Reply:
    """The offer. With an open ticket: add to it, or (said explicitly) a new problem."""
    contacts = "\n\nPrefer to contact them yourself?\n" + replies.format_contacts(content.contacts)
    if existing is not None:
        about = f", about {replies.verbatim(existing.summary, 80)}" if private else ""
        text = (
            f"You already have an open helpdesk ticket: **{existing.ref}** "
            f"(status: {existing.status}{about}).\n\n"
            f"Is this about the same problem? Reply **yes** and I'll add it to "
            f"**{existing.ref}**, so there's no need to start again. If it is a different "
            "problem, choose **No, this is a new problem**." + contacts
        )
        buttons = (
            Button(f"Yes, add it to {existing.ref}", ADD, "yes"),
            Button("No, this is a new problem", NEW, "new problem"),
            Button("Cancel", CANCEL, "cancel"),
        )
        return Reply(text, buttons, ReplyMeta(confidence=1.0, handoff_offered=True))
    text = (
        "I can pass this to the **helpdesk** as a ticket, so a person can help. They will "
        "see our conversation, with personal details such as phone numbers removed.\n\n"
        "**Shall I create a ticket?** Reply **yes** or **no**. To add a sentence about the "
        'problem, write it after yes, for example: "yes, I can\'t open my email".' + contacts
    )
    buttons = (
        Button("Yes, create a ticket", CREATE, "create ticket"),
        Button("No, cancel", CANCEL, "cancel"),
    )
    return Reply(text, buttons, ReplyMeta(confidence=1.0, handoff_offered=True))


def cancelled() -> Reply:
    return Reply("OK, no ticket. Ask me anything else, or type **help**.")


def decide(
    tickets: Tickets,
    hours: BusinessHours,
    requester: Requester,
    pending: Pending,
    consent: Consent,
    now: datetime,
) -> Reply:
    """Carry out a yes (create, or add to the open ticket) or a new problem."""
    try:
        if consent.value == ADD and pending.existing:
            added = tickets.add(pending.existing, requester, consent.note or pending.summary)
            if added is not None:
                return _added(added)
            # Resolved since the offer: this becomes a ticket of its own below.
        after = pending.existing if consent.value == NEW else None
        ticket, created = tickets.open(
            requester,
            pending.category,
            pending.summary,
            consent.note,
            title=pending.title,
            after=after,
        )
    except TicketError:
        return unavailable()
    if not created:
        return _added(ticket)
    here = (
        # Nobody signs in on the web page: the cookie is all that finds them again.
        "here. Keep this page open, or come back to it later in this same browser (not "
        "another one or a private window), and you'll see their reply.\n\n"
        if ticket.unverified
        else "here; I'll tell you when they do.\n\n"
    )
    text = (
        f"Done: your ticket is **{ticket.ref}**. A helpdesk agent will pick it up and reply "
        + here
        + f"{hours.expectation(now)} If it is urgent, phone the NHSmail Helpdesk on "
        f'**{URGENT_PHONE}**.\n\nYou can ask me "status of my ticket" at any time.'
    )
    return Reply(text, meta=ReplyMeta(confidence=1.0, handoff_offered=True, ticket=ticket.ref))


def _added(ticket: TicketView) -> Reply:
    text = (
        f"I've added this to your ticket **{ticket.ref}** (status: {ticket.status}), so "
        'there\'s no need to start again. You can ask me "status of my ticket" at any time.'
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
    found = Feedback.parse(value)
    if found is None:
        return None
    ref, answer = found.ref, found.answer
    try:
        if found.kind == "solved":
            tickets.feedback(ref, solved=answer == "yes")
            buttons = tuple(
                Button(str(n), Feedback("score", ref, str(n)).value(), str(n)) for n in range(1, 6)
            )
            text = "Thank you. How would you rate the help, from 1 (poor) to 5 (great)?"
            return Reply(text + " (Optional.)", buttons)
        tickets.feedback(ref, score=int(answer))
    except (TicketError, ValueError):
        return None
    return Reply("Thank you for your feedback.")

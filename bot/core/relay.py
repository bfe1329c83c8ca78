"""Talking with an agent: while a person's ticket is claimed, what they write goes to them.

The rule lives in the core so that every channel behaves the same (the terminal, Slack,
later Teams): the message is added to the ticket as a ``user`` event, which the agent
sees (``helpbot tickets show``, the Slack card's thread), and the bot only acknowledges.

What stays with the bot:
- a clicked button (a click is unambiguous: it answers the bot, e.g. feedback);
- ``bot`` / ``ask the bot``: the next message goes to the bot, and a typed choice of the
  buttons in its answer ("2", "none") too; then messages go to the agent again;
- an Account Secret: it is never passed on (the engine warns before this module runs).

Everything else is relayed, including "cancel", "talk to a person", numbers and
questions the bot could answer: the person is in a conversation with someone, and the
defect this fixes was the bot answering what was meant for the agent. An agent can
also answer "cancel" ("I don't need help any more") by resolving the ticket.

The other way, ``from_agent`` decides whether what an agent wrote where they see the
ticket (a card's thread) reaches the person: only from the agent who claimed it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.core.messages import Button, Reply, ReplyMeta
from bot.core.normalise import fold
from bot.tickets.views import FEEDBACK_PREFIX, Requester, TicketError, TicketView

if TYPE_CHECKING:
    from bot.tickets.service import Tickets

ASK_BOT = FEEDBACK_PREFIX + "askbot"
SENT = "sent"  # the last message went to the agent (the next acknowledgement is short)
NEXT = "next"  # the person asked for the bot: their next message is for it
CHOICES = "choices"  # the bot answered with buttons: a typed choice of them is for it
_TO_BOT = frozenset(
    {"bot", "the bot", "ask the bot", "ask bot", "ask the bot instead", "talk to the bot"}
)


def wants_bot(text: str) -> bool:
    return fold(text) in _TO_BOT


def agent(ticket: TicketView) -> str:
    """The agent as the person knows them (their name when claimed in Slack)."""
    return ticket.assignee_name or ticket.assignee or "the helpdesk agent"


def ask_bot_button() -> Button:
    return Button("Ask the bot instead", ASK_BOT, "bot")


def forward(
    tickets: Tickets, requester: Requester, ticket: TicketView, text: str, *, again: bool
) -> Reply:
    """Add ``text`` (already redacted) to the ticket and acknowledge it.

    The first acknowledgement in a row says how to reach the bot; later ones are short.
    """
    tickets.user_says(ticket.ref, requester.user_id, text)
    ack = f"Sent to **{agent(ticket)}** on **{ticket.ref}**."
    if again:
        return Reply(ack, meta=ReplyMeta(confidence=1.0))
    return Reply(
        ack + " To ask me (the bot) something instead, type **bot**.",
        (ask_bot_button(),),
        ReplyMeta(confidence=1.0),
    )


def nothing_to_send(ticket: TicketView) -> Reply:
    text = f"Only words reach **{agent(ticket)}**: please type your message."
    return Reply(text, meta=ReplyMeta(confidence=1.0))


def bot_listens(ticket: TicketView) -> Reply:
    text = (
        f"OK, ask me your question. Your next message comes to me, not to "
        f"**{agent(ticket)}**; after that, what you write goes to them again."
    )
    return Reply(text, meta=ReplyMeta(confidence=1.0))


def bot_listens_anyway() -> Reply:
    """ "Ask the bot" clicked when no agent is talking with them (any more)."""
    return Reply("Go ahead: ask me your question.", meta=ReplyMeta(confidence=1.0))


@dataclass(frozen=True)
class FromAgent:
    """What became of an agent's message: sent to ``requester``, refused (``why_not``, for
    the agent's eyes only), or neither: a note to colleagues, left where it was written."""

    requester: str | None = None
    why_not: str | None = None


def from_agent(tickets: Tickets, ref: str, agent: str, text: str) -> FromAgent:
    """Send ``text`` to ``ref``'s requester (through the outbox) if ``agent`` may."""
    view = tickets.show(ref)
    if view.status == "claimed" and view.assignee != agent:
        return FromAgent()  # another agent's note to colleagues: it stays in the thread
    if view.status == "open":
        return FromAgent(why_not=f"Not sent to the user: claim {ref} first, then reply here.")
    if view.status != "claimed":
        return FromAgent(why_not=f"Not sent to the user: {ref} is {view.status}.")
    if not text.strip():
        why = "Not sent to the user: only text is relayed, so please write it in words."
        return FromAgent(why_not=why)
    try:
        tickets.reply(ref, agent, text)
    except TicketError as exc:
        return FromAgent(why_not=f"Not sent to the user: {exc}.")
    return FromAgent(requester=view.requester["user_id"])

"""The App Home tab: quick actions, the person's tickets, and the helpdesk contacts."""

from __future__ import annotations

from typing import Any

from bot.channels.slack.render import blocks_for, to_mrkdwn, user_text
from bot.content.loader import Content
from bot.core import replies
from bot.tickets.views import TicketView

TICKETS_SHOWN = 5


def home_view(content: Content, tickets: list[TicketView]) -> dict[str, Any]:
    """The ``views.publish`` view; its buttons are answered like any other button."""
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": "NHSmail help"}},
        *blocks_for(replies.quick_actions(content)),
        {"type": "divider"},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Your tickets*"}},
    ]
    if not tickets:
        blocks.append(_context("You have no helpdesk tickets."))
    for ticket in tickets[:TICKETS_SHOWN]:
        blocks.append(_context(f"*{ticket.ref}* · {ticket.status} · opened {ticket.created_at}"))
        blocks += user_text(ticket.summary)[:1]
    contacts = "*Contact the helpdesk yourself*\n" + to_mrkdwn(
        replies.format_contacts(content.contacts)
    )
    blocks += [
        {"type": "divider"},
        {"type": "section", "text": {"type": "mrkdwn", "text": contacts}},
    ]
    return {"type": "home", "blocks": blocks[:100]}


def _context(mrkdwn: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": mrkdwn}]}

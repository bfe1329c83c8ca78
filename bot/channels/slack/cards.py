"""Ticket cards in the helpdesk channel: one message per ticket, updated in place.

Agents claim and resolve from the card's buttons and talk to the user in its thread.
Everything a user typed is shown as plain text, so it cannot format or mention anyone.
"""

from __future__ import annotations

import logging
import re
import time

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.channels.slack import records
from bot.channels.slack.render import escape, user_text
from bot.store import Store
from bot.tickets.service import Tickets
from bot.tickets.views import UNVERIFIED, TicketView

log = logging.getLogger(__name__)

CLAIM = "helpbot.ticket.claim"
RESOLVE = "helpbot.ticket.resolve"
_SLACK_ID = re.compile(r"^[UW][A-Z0-9]{2,20}$")
_STATUS = {
    "open": ":large_yellow_circle: Open, waiting for an agent",
    "claimed": ":large_blue_circle: Claimed",
    "resolved": ":white_check_mark: Resolved",
    "closed": ":black_circle: Closed",
}
MAX_TRANSCRIPT = 2_900
CARD_LOOKUPS = 4


def person(user_id: str | None, channel: str = "slack") -> str:
    """A Slack user as a mention (ids only, never user text), anyone else as plain text."""
    if user_id and channel == "slack" and _SLACK_ID.match(user_id):
        return f"<@{user_id}>"
    return escape(user_id or "unknown")


def card(view: TicketView) -> dict:
    """The card's ``text`` and ``blocks`` for ``chat.postMessage`` / ``chat.update``."""
    requester = view.requester
    who = person(requester["user_id"], requester["channel"])
    status = _STATUS.get(view.status, escape(view.status))
    if view.status == "claimed" and view.assignee:
        status += f" by {person(view.assignee)}"
    blocks: list[dict] = [
        {
            "type": "section",
            "text": {"type": "mrkdwn", "text": f"*{escape(view.ref)}* · {status}"},
            "fields": [
                {"type": "mrkdwn", "text": f"*From*\n{who} ({escape(requester['channel'])})"},
                {"type": "mrkdwn", "text": f"*Topic*\n{escape(view.category_title)}"},
                {"type": "mrkdwn", "text": f"*Opened*\n{escape(view.created_at)}"},
                {"type": "mrkdwn", "text": f"*Reply due by*\n{escape(view.sla_due)}"},
            ],
        },
        *user_text(view.summary, heading="Summary"),
    ]
    if view.unverified:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": UNVERIFIED}]})
    transcript = view.transcript or "(no conversation before the request)"
    if len(transcript) > MAX_TRANSCRIPT:
        transcript = "[...]\n" + transcript[-MAX_TRANSCRIPT:]
    blocks += user_text(transcript, heading="Conversation (personal details removed)")
    buttons = []
    if view.status == "open":
        buttons.append(_button("Claim", CLAIM, view.ref, "primary"))
    if view.status in ("open", "claimed"):
        buttons.append(_button("Resolve", RESOLVE, view.ref, None))
    if buttons:
        blocks.append({"type": "actions", "block_id": "ticket", "elements": buttons})
    blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": _hint(view)}]})
    text = f"Ticket {view.ref} ({view.status}): {view.summary}"[:300]
    return {"text": escape(text), "blocks": blocks}


def _button(label: str, action_id: str, ref: str, style: str | None) -> dict:
    button = {
        "type": "button",
        "action_id": action_id,
        "text": {"type": "plain_text", "text": label},
        "value": ref,
    }
    if style:
        button["style"] = style
    return button


def _hint(view: TicketView) -> str:
    if view.status == "open":
        return "Claim it to talk to the user: your replies in this thread then reach them."
    if view.status == "claimed":
        return (
            f"Replies from {person(view.assignee)} in this thread are sent to the user; "
            "the user's messages appear here. Anyone else's replies stay internal."
        )
    return "This ticket is finished; replies in this thread are not sent."


class HelpdeskCards:
    """Posts and refreshes ticket cards; safe to call from several processes at once."""

    def __init__(self, client: WebClient, store: Store, tickets: Tickets, channel: str) -> None:
        self.client = client
        self.store = store
        self.tickets = tickets
        self.channel = channel

    def post(self, ref: str) -> str | None:
        """Post the card for a new ticket, unless another process already has; its ts."""
        if not records.reserve_card(self.store, ref, self.channel):
            return None
        try:
            view = self.tickets.show(ref)
            posted = self.client.chat_postMessage(channel=self.channel, **card(view))
        except Exception as exc:  # noqa: BLE001 - Slack or the network: a later sync retries
            log.error("could not post the card for %s: %s", ref, exc)
            records.place_card(self.store, ref, None, None)
            return None
        ts = posted["ts"]
        records.place_card(self.store, ref, ts, records.shown_key(view.status, view.assignee))
        return ts

    def refresh(self, ref: str) -> None:
        """Show the ticket as it is now on its card (posting one if there is none yet)."""
        place = records.card_for(self.store, ref)
        if place is None:
            self.post(ref)
            return
        if place.ts is None:
            return  # being posted by another process
        view = self.tickets.show(ref)
        self.client.chat_update(channel=place.channel, ts=place.ts, **card(view))
        records.place_card(self.store, ref, place.ts, records.shown_key(view.status, view.assignee))

    def sync(self) -> None:
        """Catch up with changes made elsewhere (the CLI, another worker that failed)."""
        missing, stale = records.tickets_needing_cards(self.store)
        for ref in missing:
            self.post(ref)
        for place in stale:
            try:
                self.refresh(place.ref)
            except SlackApiError as exc:
                log.error("could not update the card for %s: %s", place.ref, exc)

    def opened(self, ref: str) -> None:
        """A new ticket (``bot.runtime.Helpdesk``): its card, unless another process has it."""
        self.post(ref)

    def user_wrote(self, ref: str, text: str) -> None:
        """A requester's message to their agent (on the ticket already), in the card's thread."""
        place = records.card_for(self.store, ref)
        if place is None or place.ts is None:
            log.error("no card for %s; the user's message is on the ticket only", ref)
            return
        blocks = user_text(text, heading=f"The user wrote ({ref}):")
        self.client.chat_postMessage(
            channel=place.channel, thread_ts=place.ts, text=escape(text), blocks=blocks
        )

    def ticket_in_thread(self, channel: str, thread_ts: str) -> str | None:
        """The ticket whose card heads this thread in the helpdesk channel, if any."""
        if channel != self.channel:
            return None
        for attempt in range(CARD_LOOKUPS):
            # A card's ts is recorded just after Slack answers the post, so a reply
            # typed at once may beat it by a moment.
            if attempt:
                time.sleep(0.25)
            found = records.card_at(self.store, channel, thread_ts)
            if found is not None:
                return found
        return None

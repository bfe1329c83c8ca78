"""What the Slack app keeps in the database: events seen, and where each ticket card is.

Both are shared by every worker process, which is what makes retries and cards safe
when several processes serve the same workspace.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from bot.store import Store, tables
from bot.store.deadline import within
from bot.store.models import SlackCard, SlackEvent, Ticket


def first_delivery(store: Store, event_id: str, *, wait: float | None = None) -> bool:
    """True the first time an event id is seen; False for Slack's retries of it.

    ``wait``: raise ``StoreUnavailable`` after about this many seconds blocked on a lock.
    """
    row = {"event_id": event_id[:64], "received_at": store.clock()}

    def insert() -> bool:
        return store.insert_once(tables.slack_events, row, wait=wait)

    # The server-side limits cannot help if the server stops answering altogether.
    return insert() if wait is None else within(wait + 0.5, insert, f"database {store.name}")


def delivered_before(store: Store, event_id: str, *, wait: float) -> bool:
    """Whether an event id has been taken already, by any process: one SELECT.

    ``wait``: raise ``StoreUnavailable`` after about this many seconds blocked on a lock.
    """

    def look() -> bool:
        with store.session(wait=wait) as session:
            found = session.execute(
                select(SlackEvent.event_id).where(SlackEvent.event_id == event_id[:64])
            ).first()
        return found is not None

    return within(wait + 0.5, look, f"database {store.name}")


def forget_events(store: Store, older_than: timedelta = timedelta(days=1)) -> int:
    """Drop old event ids: Slack stops retrying within minutes."""
    with store.session() as session:
        cutoff = store.clock() - older_than
        return session.execute(delete(SlackEvent).where(SlackEvent.received_at < cutoff)).rowcount


@dataclass(frozen=True)
class CardPlace:
    ref: str
    channel: str
    ts: str | None
    shown: str | None


RESERVATION = timedelta(seconds=60)  # a process that reserved a card and died gives it up


def reserve_card(store: Store, ref: str, channel: str) -> bool:
    """Claim the right to post ``ref``'s card; False if another process has it."""
    try:
        with store.session() as session:
            session.add(SlackCard(ticket_ref=ref, channel=channel, updated_at=store.clock()))
    except IntegrityError:
        # Taken over only if its holder never recorded a post and has gone quiet.
        with store.session() as session:
            taken = session.execute(
                update(SlackCard)
                .where(
                    SlackCard.ticket_ref == ref,
                    SlackCard.ts.is_(None),
                    SlackCard.updated_at < store.clock() - RESERVATION,
                )
                .values(updated_at=store.clock(), channel=channel)
            ).rowcount
        return bool(taken)
    return True


def place_card(store: Store, ref: str, ts: str | None, shown: str | None) -> None:
    """Record where the card was posted (or, with ``ts=None``, give the reservation up)."""
    with store.session() as session:
        card = session.execute(
            select(SlackCard).where(SlackCard.ticket_ref == ref)
        ).scalar_one_or_none()
        if card is None:
            return
        if ts is None and card.ts is None:
            session.delete(card)
            return
        card.ts = ts or card.ts
        card.shown = shown
        card.updated_at = store.clock()


def card_at(store: Store, channel: str, ts: str) -> str | None:
    """The ticket whose card is the message ``ts`` in ``channel`` (a thread's parent)."""
    with store.session() as session:
        return session.execute(
            select(SlackCard.ticket_ref).where(SlackCard.channel == channel, SlackCard.ts == ts)
        ).scalar_one_or_none()


def card_for(store: Store, ref: str) -> CardPlace | None:
    with store.session() as session:
        card = session.execute(
            select(SlackCard).where(SlackCard.ticket_ref == ref)
        ).scalar_one_or_none()
        return CardPlace(card.ticket_ref, card.channel, card.ts, card.shown) if card else None


def tickets_needing_cards(
    store: Store, since: datetime | None = None, limit: int = 50
) -> tuple[list[str], list[CardPlace]]:
    """Open tickets with no card yet, and posted cards that may be out of date.

    Tickets change outside Slack too (``helpbot tickets claim``), so the app compares
    what each card last showed with the ticket now.
    """
    with store.session() as session:
        held = (SlackCard.ts.is_not(None)) | (SlackCard.updated_at >= store.clock() - RESERVATION)
        unposted = select(Ticket.ref).where(
            Ticket.status.in_(("open", "claimed")),
            Ticket.ref.is_not(None),
            ~select(SlackCard.id).where(SlackCard.ticket_ref == Ticket.ref, held).exists(),
        )
        if since is not None:
            unposted = unposted.where(Ticket.created_at >= since)
        missing = [r for r in session.execute(unposted.order_by(Ticket.id).limit(limit)).scalars()]
        rows = session.execute(
            select(SlackCard, Ticket.status, Ticket.assignee)
            .join(Ticket, Ticket.ref == SlackCard.ticket_ref)
            .where(SlackCard.ts.is_not(None))
            .order_by(SlackCard.id.desc())
            .limit(500)
        ).all()
        stale = [
            CardPlace(card.ticket_ref, card.channel, card.ts, card.shown)
            for card, status, assignee in rows
            if card.shown != shown_key(status, assignee)
        ]
    return missing, stale


def shown_key(status: str, assignee: str | None) -> str:
    return f"{status}|{assignee or ''}"[:64]

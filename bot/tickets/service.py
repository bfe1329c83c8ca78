"""The helpdesk ticket service: open, claim, reply, resolve, reopen, feedback.

Channel-agnostic, like the core: agents reach it through ``helpbot tickets`` (and Slack
later); users hear back through the outbox, which each channel delivers its own way.
Every text that reaches a ticket has already been redacted by the engine, and agent
replies are redacted here too, so the tables never hold patient-identifiable data.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot.clock import Clock
from bot.core.buttons import Feedback
from bot.core.messages import Button, Reply
from bot.core.redact import redact
from bot.store import Store
from bot.store.models import (
    AuditEntry,
    Conversation,
    MessageRecord,
    Outbound,
    Ticket,
    TicketEvent,
)
from bot.store.outbox import HELPDESK
from bot.tickets.keys import open_key
from bot.tickets.mailer import TicketMailer
from bot.tickets.views import (
    UNVERIFIED,
    AlreadyResolved,
    Requester,
    TicketConflict,
    TicketError,
    TicketLimited,
    TicketView,
    UnknownTicket,
)

log = logging.getLogger(__name__)

# Asked on every turn (is an agent talking with this person?): built once.
_CLAIMED = (
    select(Ticket)
    .where(
        Ticket.channel == bindparam("channel"),
        Ticket.user_id == bindparam("user_id"),
        Ticket.status == "claimed",
    )
    .order_by(Ticket.id.desc())
    .limit(1)
)

REF_PREFIX = "HD-"
OPEN_STATUSES = ("open", "claimed")
TRANSCRIPT_MESSAGES = 12


# Ticket events that are an agent's action on a ticket (not the requester's words).
AUDITED = frozenset({"claimed", "reply", "resolved", "closed", "reopened"})


def ref_for(ticket_id: int) -> str:
    return f"{REF_PREFIX}{ticket_id:06d}"


class Tickets:
    """Ticket operations on a ``Store``; each call is one transaction."""

    def __init__(
        self,
        store: Store,
        *,
        sla: timedelta = timedelta(hours=8),
        clock: Clock | None = None,
    ) -> None:
        self.store = store
        self.sla = sla
        self._clock = clock or store.clock
        # Called with each new ticket, after its commit: the email route. Channels hear of
        # it from the outbox instead (``bot.runtime``), whichever process opened it.
        self.on_created: list[Callable[[TicketView], None]] = []

    # -- users ------------------------------------------------------------------------------

    def open(
        self,
        requester: Requester,
        category: str,
        summary: str,
        note: str | None = None,
        *,
        title: str | None = None,
        after: str | None = None,
    ) -> tuple[TicketView, bool]:
        """Open a ticket, or add a note to the person's open one: one per person.

        ``after`` is the reference of the open ticket the person said this is *not*
        about (a new problem): then a second ticket is opened beside it. Returns the
        ticket and whether it is new. Two processes racing here end with one ticket: the
        unique ``open_key`` lets exactly one insert win (see ``bot.tickets.keys``).
        """
        key = open_key(requester.channel, requester.user_id, after)
        for _ in range(3):
            existing = self._add_note_to_open(key, requester, note or summary, any_open=not after)
            if existing is not None:
                return existing, False
            if not requester.may_open:
                raise TicketLimited("too many new tickets from this sender for now")
            try:
                view = self._create(key, requester, category, title, summary, note)
            except IntegrityError:
                continue  # someone else opened it a moment ago: note it on theirs
            for hook in self.on_created:
                hook(view)
            return view, True
        raise TicketError("could not open a ticket; please try again")

    def add(self, ref: str, requester: Requester, note: str) -> TicketView | None:
        """Add a note to the person's ticket ``ref``; None if it is no longer open."""
        with self.store.session() as session:
            ticket = self._get(session, ref, lock=True)
            if (ticket.channel, ticket.user_id) != (requester.channel, requester.user_id):
                raise TicketConflict(f"{ref} belongs to someone else")
            if ticket.status not in OPEN_STATUSES:
                return None
            self._event(session, ticket, "note", requester.user_id, redact(note))
            return self._view(session, ticket)

    def current(self, channel: str, user_id: str) -> TicketView | None:
        """The person's newest open (or claimed) ticket: the one a new request joins."""
        with self.store.session() as session:
            ticket = self._newest_open(session, channel, user_id)
            return self._view(session, ticket, events=False) if ticket is not None else None

    def _newest_open(
        self, session: Session, channel: str, user_id: str, *, lock: bool = False
    ) -> Ticket | None:
        query = (
            select(Ticket)
            .where(
                Ticket.channel == channel,
                Ticket.user_id == user_id,
                Ticket.status.in_(OPEN_STATUSES),
            )
            .order_by(Ticket.id.desc())
            .limit(1)
        )
        return session.execute(query.with_for_update() if lock else query).scalar_one_or_none()

    def _add_note_to_open(
        self, key: str, requester: Requester, note: str, *, any_open: bool
    ) -> TicketView | None:
        """Note it on the ticket holding ``key``, or with ``any_open`` on the person's
        newest open one (the one the bot offers them, whichever key it holds)."""
        with self.store.session() as session:
            if any_open:
                ticket = self._newest_open(session, requester.channel, requester.user_id, lock=True)
            else:
                ticket = session.execute(
                    select(Ticket).where(Ticket.open_key == key).with_for_update()
                ).scalar_one_or_none()
            if ticket is None:
                return None
            if requester.reach:  # a newer way to reach them wins
                ticket.reach = requester.reach
            self._event(session, ticket, "note", requester.user_id, redact(note))
            return self._view(session, ticket)

    def _create(
        self,
        key: str,
        requester: Requester,
        category: str,
        title: str | None,
        summary: str,
        note: str | None,
    ) -> TicketView:
        now = self._clock()
        with self.store.session() as session:
            ticket = Ticket(
                channel=requester.channel,
                user_id=requester.user_id,
                conversation_key=requester.conversation_key,
                display_name=requester.display_name,
                summary=redact(summary)[:500],
                category=category,
                category_title=title,
                transcript=self._transcript(session, requester),
                status="open",
                priority="normal",
                open_key=key,
                email_status="off",
                email_attempts=0,
                reach=requester.reach,
                created_at=now,
                updated_at=now,
                sla_due=now + self.sla,
            )
            session.add(ticket)
            session.flush()
            ticket.ref = ref_for(ticket.id)
            self._event(session, ticket, "created", requester.user_id, None)
            self._tell_helpdesk(session, ticket, "opened")
            if note:
                self._event(session, ticket, "note", requester.user_id, redact(note))
            return self._view(session, ticket)

    def _transcript(self, session: Session, requester: Requester) -> str:
        conversation = session.execute(
            select(Conversation.id).where(
                Conversation.channel == requester.channel,
                Conversation.user_id == requester.user_id,
                Conversation.conversation_key == requester.conversation_key,
            )
        ).scalar_one_or_none()
        if conversation is None:
            return ""
        rows = session.execute(
            select(MessageRecord.direction, MessageRecord.text)
            .where(MessageRecord.conversation_id == conversation)
            .order_by(MessageRecord.id.desc())
            .limit(TRANSCRIPT_MESSAGES)
        ).all()
        lines = [f"{'user' if d == 'in' else 'bot'}: {text}" for d, text in reversed(rows)]
        return redact("\n".join(lines))

    def for_requester(self, channel: str, user_id: str) -> list[TicketView]:
        with self.store.session() as session:
            rows = session.execute(
                select(Ticket)
                .where(Ticket.channel == channel, Ticket.user_id == user_id)
                .order_by(Ticket.id.desc())
            ).scalars()
            return [self._view(session, t, events=False) for t in rows]

    def live(self, channel: str, user_id: str) -> TicketView | None:
        """The requester's claimed ticket, if any: an agent is talking with them."""
        with self.store.session() as session:
            found = session.execute(_CLAIMED, {"channel": channel, "user_id": user_id})
            ticket = found.scalar_one_or_none()
            return self._view(session, ticket, events=False) if ticket is not None else None

    def user_says(self, ref: str, user_id: str, text: str) -> TicketView:
        """Record what the requester wrote to the agent (redacted, like everything)."""
        text = redact(text.strip())[:4000]
        with self.store.session() as session:
            ticket = self._get(session, ref, lock=True)
            if ticket.user_id != user_id:
                raise TicketConflict(f"{ref} belongs to someone else")
            self._event(session, ticket, "user", user_id, text)
            self._tell_helpdesk(session, ticket, "user", text)
            return self._view(session, ticket, events=False)

    def feedback(self, ref: str, solved: bool | None = None, score: int | None = None) -> None:
        with self.store.session() as session:
            ticket = self._get(session, ref)
            if solved is not None:
                ticket.solved = solved
            if score is not None:
                ticket.score = max(1, min(5, score))
            self._event(
                session, ticket, "feedback", ticket.user_id, f"solved={solved} score={score}"
            )

    # -- agents -----------------------------------------------------------------------------

    def list(self, status: str | None = None) -> list[TicketView]:
        with self.store.session() as session:
            query = select(Ticket).order_by(Ticket.id)
            if status:
                query = query.where(Ticket.status == status)
            return [self._view(session, t, events=False) for t in session.execute(query).scalars()]

    def show(self, ref: str) -> TicketView:
        with self.store.session() as session:
            return self._view(session, self._get(session, ref))

    def claim(self, ref: str, agent: str, display: str | None = None) -> TicketView:
        """Claim an open ticket for ``agent`` (an id); ``display`` is how the user sees them."""
        with self.store.session() as session:
            ticket = self._get(session, ref)
            # One conditional UPDATE: of two agents claiming at once, exactly one matches.
            won = session.execute(
                update(Ticket)
                .where(Ticket.id == ticket.id, Ticket.status == "open")
                .values(
                    status="claimed",
                    assignee=agent,
                    assignee_name=display or agent,
                    updated_at=self._clock(),
                )
            ).rowcount
            session.refresh(ticket)
            if not won:
                if ticket.status == "claimed" and ticket.assignee == agent:
                    return self._view(session, ticket)
                if ticket.status == "claimed":
                    raise TicketConflict(f"{ref} is already claimed by {ticket.assignee}")
                raise TicketConflict(f"{ref} is {ticket.status}; only open tickets can be claimed")
            self._event(session, ticket, "claimed", agent, None)
            self._notify(
                session,
                ticket,
                f"Good news: a helpdesk agent ({display or agent}) is now looking at your ticket "
                f"**{ticket.ref}**. Their replies will appear here, and what you write now goes "
                "to them. To ask me (the bot) something instead, type **bot**.",
            )
            return self._view(session, ticket)

    def reply(self, ref: str, agent: str, text: str) -> TicketView:
        text = redact(text.strip())
        if not text:
            raise TicketError("the reply is empty")
        with self.store.session() as session:
            ticket = self._get(session, ref, lock=True)
            if ticket.status != "claimed" or ticket.assignee != agent:
                owner = f"claimed by {ticket.assignee}" if ticket.assignee else ticket.status
                raise TicketConflict(f"{ref} is {owner}; claim it before replying")
            self._event(session, ticket, "reply", agent, text)
            self._notify(session, ticket, f"**Helpdesk ({ticket.ref})**: {text}")
            return self._view(session, ticket)

    def resolve(self, ref: str, agent: str, note: str | None = None) -> TicketView:
        """Resolve an open ticket (or one ``agent`` claimed) and ask the user for feedback.

        Only the change to resolved asks, and it is one conditional UPDATE: of two
        resolves at the same moment exactly one matches, so the user is asked once.
        Resolving a resolved ticket raises ``AlreadyResolved`` and changes nothing.
        """
        with self.store.session() as session:
            ticket = self._get(session, ref)
            won = session.execute(
                update(Ticket)
                .where(
                    Ticket.id == ticket.id,
                    Ticket.status.in_(OPEN_STATUSES),
                    or_(Ticket.status == "open", Ticket.assignee == agent),
                )
                .values(
                    status="resolved",
                    open_key=None,
                    assignee=func.coalesce(Ticket.assignee, agent),
                    assignee_name=func.coalesce(Ticket.assignee_name, agent),
                    updated_at=self._clock(),
                )
            ).rowcount
            session.refresh(ticket)
            if not won:
                if ticket.status == "resolved":
                    raise AlreadyResolved(
                        f"{ref} is already resolved (by {ticket.assignee}); nothing to do"
                    )
                if ticket.status == "claimed":
                    raise TicketConflict(f"{ref} is claimed by {ticket.assignee}")
                raise TicketConflict(f"{ref} is already {ticket.status}")
            self._event(session, ticket, "resolved", agent, redact(note) if note else None)
            text = f"Your ticket **{ticket.ref}** has been resolved."
            if note:
                text += f" The agent's note: {redact(note)}"
            text += "\n\nDid this solve your problem?"
            buttons = (
                Button("Yes", Feedback("solved", ticket.ref, "yes").value(), "yes"),
                Button("No", Feedback("solved", ticket.ref, "no").value(), "no"),
            )
            self._notify(session, ticket, text, buttons)
            return self._view(session, ticket)

    def close(self, ref: str, agent: str) -> TicketView:
        """Close a resolved ticket for good (no more feedback or reopening expected)."""
        with self.store.session() as session:
            ticket = self._get(session, ref, lock=True)
            if ticket.status != "resolved":
                raise TicketConflict(f"{ref} is {ticket.status}; resolve it before closing")
            ticket.status, ticket.open_key = "closed", None
            self._event(session, ticket, "closed", agent, None)
            return self._view(session, ticket)

    def reopen(self, ref: str, actor: str = "agent") -> TicketView:
        with self.store.session() as session:
            ticket = self._get(session, ref, lock=True)
            if ticket.status in OPEN_STATUSES:
                raise TicketConflict(f"{ref} is already {ticket.status}")
            other = self._newest_open(session, ticket.channel, ticket.user_id)
            if other is not None:
                # One open ticket per person: the agent works on that one instead.
                raise TicketConflict(
                    f"{ref}: the requester already has an open ticket, {other.ref}; add to that one"
                )
            ticket.status, ticket.assignee, ticket.assignee_name = "open", None, None
            ticket.open_key = open_key(ticket.channel, ticket.user_id)
            ticket.updated_at = self._clock()
            ticket.sla_due = self._clock() + self.sla
            self._event(session, ticket, "reopened", actor, None)
            try:
                session.flush()
            except IntegrityError:
                raise TicketConflict(
                    f"{ref}: the requester already has an open ticket; add to that one"
                ) from None
            self._notify(session, ticket, f"Your ticket **{ticket.ref}** has been reopened.")
            return self._view(session, ticket)

    def record_email(self, ref: str, sent: bool, attempts: int, error: str | None) -> None:
        with self.store.session() as session:
            ticket = self._get(session, ref)
            ticket.email_status = "sent" if sent else "failed"
            ticket.email_attempts += attempts
            self._event(
                session, ticket, "email", "helpbot", "sent" if sent else (error or "failed")
            )

    def record_unreachable(self, channel: str, user_id: str, why: str) -> str | None:
        """Say on the person's latest ticket that news can no longer reach them in
        ``channel`` (the app was removed, the bot blocked), so the helpdesk phones or
        emails instead. The ticket's reference, or None if they have none."""
        with self.store.session() as session:
            ticket = session.execute(
                select(Ticket)
                .where(Ticket.channel == channel, Ticket.user_id == user_id)
                .order_by(Ticket.id.desc())
                .limit(1)
            ).scalar_one_or_none()
            if ticket is None:
                return None
            text = f"cannot reach the requester in {channel} ({why}): phone or email them"
            self._event(session, ticket, "unreachable", "helpbot", text)
            return ticket.ref

    # -- internals --------------------------------------------------------------------------

    def _get(self, session: Session, ref: str, *, lock: bool = False) -> Ticket:
        query = select(Ticket).where(Ticket.ref == ref.strip().upper())
        ticket = session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
        if ticket is None:
            raise UnknownTicket(f"no ticket {ref!r}")
        return ticket

    def _event(
        self, session: Session, ticket: Ticket, kind: str, actor: str, text: str | None
    ) -> None:
        ticket.updated_at = self._clock()
        session.add(
            TicketEvent(
                ticket_id=ticket.id, kind=kind, actor=actor, text=text, created_at=self._clock()
            )
        )
        if kind in AUDITED:  # what agents do to tickets is in the audit log too
            session.add(
                AuditEntry(
                    actor=actor,
                    channel="tickets",
                    action=f"ticket {kind}",
                    allowed=True,
                    outcome=ticket.ref,
                    created_at=self._clock(),
                )
            )

    def _notify(
        self, session: Session, ticket: Ticket, text: str, buttons: tuple[Button, ...] = ()
    ) -> None:
        reply = Reply(text, buttons)
        session.add(
            Outbound(
                channel=ticket.channel,
                user_id=ticket.user_id,
                conversation_key=ticket.conversation_key,
                reply={"text": reply.text, "buttons": [b.dump() for b in reply.buttons]},
                created_at=self._clock(),
            )
        )

    def _tell_helpdesk(
        self, session: Session, ticket: Ticket, kind: str, text: str | None = None
    ) -> None:
        """News for the agents' side, in the same transaction as the change: the runtime
        of whichever process shows tickets to agents picks it up (``bot.runtime``)."""
        assert ticket.ref is not None
        session.add(
            Outbound(
                channel=HELPDESK,
                user_id=ticket.ref,
                conversation_key=ticket.ref,
                reply={"kind": kind, "text": text or ""},
                created_at=self._clock(),
            )
        )

    def _view(self, session: Session, ticket: Ticket, *, events: bool = True) -> TicketView:
        found: list[dict[str, Any]] = []
        if events:
            rows = session.execute(
                select(TicketEvent)
                .where(TicketEvent.ticket_id == ticket.id)
                .order_by(TicketEvent.id)
            ).scalars()
            found = [
                {"kind": e.kind, "actor": e.actor, "text": e.text, "at": _iso(e.created_at)}
                for e in rows
            ]
        return TicketView(
            ref=ticket.ref or ref_for(ticket.id),
            status=ticket.status,
            requester={
                "channel": ticket.channel,
                "user_id": ticket.user_id,
                "display_name": ticket.display_name,
            },
            summary=ticket.summary,
            category=ticket.category,
            category_title=ticket.category_title or ticket.category,
            assignee=ticket.assignee,
            assignee_name=ticket.assignee_name,
            priority=ticket.priority,
            created_at=_iso(ticket.created_at),
            updated_at=_iso(ticket.updated_at),
            sla_due=_iso(ticket.sla_due),
            transcript=ticket.transcript,
            reach=ticket.reach,
            email=ticket.email_status,
            solved=ticket.solved,
            score=ticket.score,
            events=found,
        )


def email_new_tickets(tickets: Tickets, mailer: TicketMailer) -> list[threading.Thread]:
    """Send each new ticket to the helpdesk mailbox, off the user's reply path.

    The ticket is committed before the email is tried, so a mail outage never loses it;
    the mailer retries, and the outcome is recorded on the ticket. Threads are not
    daemons: a short-lived process (``helpbot ask``) finishes sending before it exits.
    """
    started: list[threading.Thread] = []

    def deliver(view: TicketView) -> None:
        def work() -> None:
            result = mailer.send(view.ref, view.summary, email_body(view))
            try:
                tickets.record_email(view.ref, result.sent, result.attempts, result.error)
            except Exception:  # noqa: BLE001 - a bookkeeping failure must not kill the thread
                log.exception("could not record the email outcome for %s", view.ref)

        thread = threading.Thread(target=work, name=f"email-{view.ref}")
        thread.start()
        started.append(thread)

    tickets.on_created.append(deliver)
    return started


def email_body(view: TicketView) -> str:
    who = view.requester.get("display_name") or view.requester["user_id"]
    return (
        f"Helpdesk ticket {view.ref}\n"
        f"From: {who} ({view.requester['channel']})\n"
        f"Topic: {view.category_title}\n"
        f"Summary: {view.summary}\n"
        f"Reply due by: {view.sla_due}\n\n"
        + (f"{UNVERIFIED}\n\n" if view.unverified else "")
        + f"Conversation (personal details removed):\n{view.transcript or '(none)'}\n\n"
        f"Claim it with: helpbot tickets claim {view.ref} --agent YOUR-ID\n"
    )


def _iso(when: datetime | None) -> str:
    return when.isoformat(timespec="seconds") if when else ""

"""``helpbot report``: what happened over a period, from the database, in numbers.

Conversations and questions, how many were answered without a person (deflection), the
replies' outcomes, the intents asked most, the guided flows, tickets opened and resolved
and how long that took, the feedback people gave, and the answers due for review.
"""

from __future__ import annotations

import statistics
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from bot.content.loader import Content
from bot.store import Store
from bot.store.models import Conversation, MessageRecord, Rating, Ticket, TicketEvent
from bot.store.reports import FlowCounts, flow_stats

TOP = 10


@dataclass
class Period:
    start: datetime
    end: datetime
    conversations: int = 0
    questions: int = 0
    answered: int = 0  # replies that answered outright
    suggested: int = 0  # "did you mean" offered
    suggestions_taken: int = 0  # ... and the very next reply answered
    fell_back: int = 0
    without_a_person: int = 0  # conversations that opened no ticket
    top_intents: list[tuple[str, int]] = field(default_factory=list)
    daily: list[tuple[date, int]] = field(default_factory=list)  # questions per day
    flows: list[FlowCounts] = field(default_factory=list)
    tickets_opened: int = 0
    tickets_resolved: int = 0
    hours_to_resolve: float | None = None  # median, of those resolved in the period
    solved_yes: int = 0
    solved_no: int = 0
    scores: list[int] = field(default_factory=list)
    rated_helpful: int = 0  # answers rated with the Helpful / Not helpful buttons
    rated_unhelpful: int = 0
    unhelpful_intents: list[tuple[str, int]] = field(default_factory=list)  # most first
    due_for_review: list[str] = field(default_factory=list)

    @property
    def deflection(self) -> float:
        return self.without_a_person / self.conversations if self.conversations else 0.0

    @property
    def mean_score(self) -> float | None:
        return statistics.fmean(self.scores) if self.scores else None


def _aware(value: datetime) -> datetime:
    from datetime import UTC

    return value if value.tzinfo else value.replace(tzinfo=UTC)


def gather(
    store: Store, content: Content, start: datetime, end: datetime, *, idle: timedelta,
    review_months: int = 12, smalltalk: frozenset[str] = frozenset(),
) -> Period:  # fmt: skip
    """Everything ``helpbot report`` shows for ``start`` to ``end``."""
    from bot.content.lint import due

    found = Period(start, end)
    within = MessageRecord.created_at.between(start, end)
    with store.session() as session:
        rows = session.execute(
            select(MessageRecord.direction, MessageRecord.intent, MessageRecord.band,
                   MessageRecord.created_at, MessageRecord.conversation_id)
            .where(within).order_by(MessageRecord.conversation_id, MessageRecord.id)
        ).all()  # fmt: skip
        with_tickets = {
            (channel, user)
            for channel, user in session.execute(
                select(Ticket.channel, Ticket.user_id).where(Ticket.created_at.between(start, end))
            )
        }
        people = dict(
            (cid, (channel, user))
            for cid, channel, user in session.execute(
                select(Conversation.id, Conversation.channel, Conversation.user_id)
            )
        )
        tickets = session.execute(
            select(Ticket.created_at, Ticket.solved, Ticket.score).where(
                Ticket.created_at.between(start, end)
            )
        ).all()
        resolved = session.execute(
            select(TicketEvent.created_at, Ticket.created_at)
            .join(Ticket, Ticket.id == TicketEvent.ticket_id)
            .where(TicketEvent.kind == "resolved", TicketEvent.created_at.between(start, end))
        ).all()
        rated = session.execute(
            select(Rating.intent, Rating.helpful).where(Rating.created_at.between(start, end))
        ).all()
        found.tickets_opened = session.execute(
            select(func.count()).select_from(Ticket).where(Ticket.created_at.between(start, end))
        ).scalar_one()
    asked = [r for r in rows if r.direction == "in"]
    replies = [r for r in rows if r.direction == "out"]
    found.questions = len(asked)
    talked = {r.conversation_id for r in asked}
    found.conversations = len(talked)
    found.without_a_person = sum(1 for c in talked if people.get(c) not in with_tickets)
    found.fell_back = sum(1 for r in replies if r.band == "fallback")
    found.suggested = sum(1 for r in replies if r.band == "suggest")
    found.answered = sum(1 for r in replies if r.band is None and r.intent)
    found.suggestions_taken = _taken(replies)
    intents = Counter(r.intent for r in replies if r.intent and r.intent not in smalltalk)
    found.top_intents = intents.most_common(TOP)
    days = Counter(_aware(r.created_at).date() for r in asked)
    found.daily = sorted(days.items())
    found.flows = flow_stats(store, idle, end)
    found.tickets_resolved = len(resolved)
    hours = [(_aware(done) - _aware(opened)).total_seconds() / 3600 for done, opened in resolved]
    found.hours_to_resolve = statistics.median(hours) if hours else None
    found.solved_yes = sum(1 for t in tickets if t.solved is True)
    found.solved_no = sum(1 for t in tickets if t.solved is False)
    found.scores = [t.score for t in tickets if t.score is not None]
    found.rated_helpful = sum(1 for r in rated if r.helpful)
    found.rated_unhelpful = len(rated) - found.rated_helpful
    found.unhelpful_intents = Counter(r.intent for r in rated if not r.helpful).most_common(TOP)
    today = end.date()
    found.due_for_review = sorted(
        a.id
        for a in content.answers.values()
        if a.source and (a.reviewed is None or due(a.reviewed, today, review_months))
    )
    return found


def _taken(replies: list) -> int:  # noqa: ANN001 - rows, by conversation then order
    """Did-you-means whose next reply in the same conversation was an answer."""
    taken, offered_in = 0, None
    for r in replies:
        if offered_in == r.conversation_id and r.band is None and r.intent:
            taken += 1
        offered_in = r.conversation_id if r.band == "suggest" else None
    return taken


def as_text(p: Period) -> list[str]:
    hours = f"{p.hours_to_resolve:.1f} h" if p.hours_to_resolve is not None else "none resolved"
    score = f"{p.mean_score:.1f} of 5 ({len(p.scores)})" if p.mean_score is not None else "none"
    lines = [
        f"from {p.start:%Y-%m-%d %H:%M} to {p.end:%Y-%m-%d %H:%M} (UTC)",
        f"conversations: {p.conversations}, questions: {p.questions}",
        f"answered without a person: {p.deflection:.0%} of conversations ({p.without_a_person})",
        f"replies: {p.answered} answered, {p.suggested} did-you-mean "
        f"({p.suggestions_taken} taken), {p.fell_back} fell back",
        f"tickets: {p.tickets_opened} opened, {p.tickets_resolved} resolved, "
        f"median time to resolve {hours}",
        f"feedback: solved {p.solved_yes} yes / {p.solved_no} no; score {score}",
        f"answers rated: {p.rated_helpful} helpful / {p.rated_unhelpful} not helpful"
        + (
            "; not helpful most: " + ", ".join(f"{i} {n}" for i, n in p.unhelpful_intents)
            if p.unhelpful_intents
            else ""
        ),
        "top intents: " + (", ".join(f"{i} {n}" for i, n in p.top_intents) or "none"),
    ]
    lines += [
        f"flow {f.flow}: {f.started} started, {f.completed} completed, {f.cancelled} cancelled, "
        f"{f.abandoned} abandoned"
        for f in p.flows
    ]
    due = ", ".join(p.due_for_review) or "none"
    lines.append(f"answers due for review ({len(p.due_for_review)}): {due}")
    return lines

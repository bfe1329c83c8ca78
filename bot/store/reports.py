"""What admins read back from the database: usage and flow analytics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select

from bot.store.db import Store
from bot.store.models import (
    Conversation,
    FlowRun,
    MessageRecord,
    Ticket,
    Unanswered,
)


@dataclass(frozen=True)
class FlowCounts:
    flow: str
    started: int = 0
    completed: int = 0
    cancelled: int = 0
    abandoned: int = 0
    active: int = 0


def flow_stats(
    store: Store, idle_limit: timedelta, now: datetime | None = None
) -> list[FlowCounts]:
    """Per flow: walk-throughs started, completed, cancelled, abandoned and still active.

    A run still marked active but idle for longer than ``idle_limit`` counts as abandoned:
    people rarely say goodbye, they just stop replying.
    """
    cutoff = (now or store.clock()) - idle_limit
    status = case(
        ((FlowRun.status == "active") & (FlowRun.updated_at < cutoff), "abandoned"),
        else_=FlowRun.status,
    ).label("status")
    query = select(FlowRun.flow_id, status, func.count()).group_by(FlowRun.flow_id, status)
    with store.session() as session:
        rows = session.execute(query).all()
    counts: dict[str, dict[str, int]] = {}
    for flow_id, run_status, count in rows:
        per_flow = counts.setdefault(flow_id, {"started": 0})
        per_flow[run_status] = per_flow.get(run_status, 0) + count
        per_flow["started"] += count
    return [FlowCounts(flow, **per_flow) for flow, per_flow in sorted(counts.items())]


@dataclass(frozen=True)
class Usage:
    conversations: int
    messages_in: int
    messages_out: int
    unanswered: int
    tickets: dict[str, int]


def usage(store: Store) -> Usage:
    """Headline counts for admins: conversations, messages, unanswered, tickets by status."""
    with store.session() as session:
        conversations = session.execute(select(func.count()).select_from(Conversation)).scalar()
        by_direction = dict(
            session.execute(
                select(MessageRecord.direction, func.count()).group_by(MessageRecord.direction)
            ).all()
        )
        unanswered = session.execute(select(func.count()).select_from(Unanswered)).scalar()
        tickets = dict(
            session.execute(select(Ticket.status, func.count()).group_by(Ticket.status)).all()
        )
    return Usage(
        conversations or 0,
        by_direction.get("in", 0),
        by_direction.get("out", 0),
        unanswered or 0,
        {str(k): int(v) for k, v in sorted(tickets.items())},
    )

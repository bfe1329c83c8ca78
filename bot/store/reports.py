"""What admins read back from the database: flow analytics."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select

from bot.store.db import Store
from bot.store.models import FlowRun, utcnow


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
    cutoff = (now or utcnow()) - idle_limit
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

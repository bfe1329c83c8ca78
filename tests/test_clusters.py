"""``helpbot unanswered``: the same question asked many ways is one group, most asked first."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import START, FixedClock

from bot.clusters import Question, cluster, since
from bot.core.engine import Engine
from bot.core.messages import Message
from bot.store import Store
from bot.store.db import recent_unanswered


def asked(text: str, hours: int, closest: str | None = None) -> Question:
    return Question(text, START + timedelta(hours=hours), closest)


def test_near_identical_questions_are_one_group_most_asked_first() -> None:
    groups = cluster(
        [
            asked("how do i book annual leave", 1, "oos_care_business"),
            asked("what is the football score tonight", 2),
            asked("football score tonight??", 3),
            asked("can I book annual leave here", 4, "oos_care_business"),
            asked("whats the football score tonight", 5),
            asked("what is the capital of peru", 6),
        ]
    )
    assert [g.count for g in groups] == [3, 2, 1]
    football, leave, peru = groups
    assert football.examples() == [
        "whats the football score tonight",
        "football score tonight??",
        "what is the football score tonight",
    ]
    assert football.latest == START + timedelta(hours=5)
    assert leave.closest() == "oos_care_business" and peru.closest() is None


def test_since_reads_hours_days_and_weeks() -> None:
    assert since("24h") == timedelta(hours=24)
    assert since("7d") == timedelta(days=7)
    assert since("2w") == timedelta(days=14)
    with pytest.raises(ValueError, match="--since takes a number and h, d or w"):
        since("soon")


def test_only_questions_since_the_given_time_are_read(
    engine: Engine, store: Store, clock: FixedClock
) -> None:
    engine.handle(Message(user_id="a", text="what is the capital of peru"))
    clock.now += timedelta(days=10)
    engine.handle(Message(user_id="b", text="what is the football score tonight"))
    recent = recent_unanswered(store, since=clock.now - timedelta(days=7))
    assert [r.text for r in recent] == ["what is the football score tonight"]
    assert len(recent_unanswered(store)) == 2


def test_the_command_groups_and_lists(helpbot) -> None:
    questions = (
        "what is the football score tonight\nfootball score tonight?\nhow do i book annual leave\n"
    )
    helpbot("ask", stdin=questions)
    grouped = helpbot("unanswered")
    assert grouped.returncode == 0
    lines = grouped.stdout.splitlines()
    assert lines[0] == "3 unanswered question(s) in 2 group(s), most asked first:"
    assert lines[1].strip().startswith("2  last ")
    assert len(helpbot("unanswered", "--list").stdout.splitlines()) == 3
    assert helpbot("unanswered", "--since", "soon").returncode == 2


def test_answers_marked_not_helpful_are_listed_with_what_was_answered(helpbot) -> None:
    helpbot("ask", stdin="what is nhsmail\nnot helpful\nwhat is the football score tonight\n")
    grouped = helpbot("unanswered").stdout.splitlines()
    assert grouped[0] == "2 unanswered question(s) in 2 group(s), most asked first:"
    marked = next(i for i, line in enumerate(grouped) if "marked not helpful" in line)
    assert "(closest intent: nhsmail_what)  (1 answered but marked not helpful)" in grouped[marked]
    assert grouped[marked + 1].strip() == "- what is nhsmail"
    listed = helpbot("unanswered", "--list").stdout
    assert "what is nhsmail (answered nhsmail_what, marked not helpful)" in listed
    assert "what is the football score tonight (closest:" in listed

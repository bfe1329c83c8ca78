"""The serial Slack bench (``python -m bot.slackbench.serial``): its figures add up."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from bot.config import PROJECT_ROOT
from tests.conftest import PG_SKIP, PG_URL, _reset_postgres

PART = re.compile(r"(.+?) ([\d.]+) ms(?:, |$)")


def serial(*args: str) -> list[str]:
    found = subprocess.run(
        [sys.executable, "-m", "bot.slackbench.serial", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert found.returncode == 0, found.stderr
    return found.stdout.strip().splitlines()


def parts_of(line: str) -> tuple[dict[str, float], dict[str, float]]:
    """Each kind of thread's CPU per event, and the turn's and matching's (if shown)."""
    assert line.startswith("CPU per event: "), line
    threads, _, within = line.removeprefix("CPU per event: ").partition("; of all that, ")
    by_kind = {kind: float(ms) for kind, ms in PART.findall(threads)}
    return by_kind, {part: float(ms) for part, ms in PART.findall(within)}


def test_an_answer_is_split_by_thread_and_the_parts_add_up_to_the_whole() -> None:
    total_line, parts_line = serial("8", "--parts")
    total = float(
        re.fullmatch(
            r"8 answered events one at a time: best of 1, ([\d.]+) ms CPU each", total_line
        )[1]
    )
    by_kind, within = parts_of(parts_line)
    # Every answer is acked in the request thread, decided in the thinking thread (on
    # SQLite, the turn's transaction too: there is no database server to wait for under
    # a deadline), rendered and posted from a backlog thread: each kind did some of it.
    assert list(by_kind) == ["request thread (ack)", "thinking thread", "backlog threads"]
    ack, thinking, backlog = by_kind.values()
    assert ack > 0 and thinking > 0 and backlog > 0
    turn, matching = within["the turn"], within["matching"]
    assert 0 < matching < turn < thinking  # matched within the turn, in the thinking thread
    # The threads' clocks and the process's clock cover the same round.
    assert 0.8 * total <= sum(by_kind.values()) <= 1.05 * total + 0.01


@pytest.mark.skipif(not PG_URL, reason=PG_SKIP)
def test_on_a_database_server_the_turn_runs_in_the_database_threads() -> None:
    assert PG_URL is not None
    _reset_postgres(PG_URL)
    _, parts_line = serial("8", "--parts", "--database", PG_URL)
    by_kind, within = parts_of(parts_line)
    # The thinking thread waits for the turn, with a deadline, while a database thread
    # runs it: a server can stop answering mid-turn.
    kinds = ["request thread (ack)", "thinking thread", "backlog threads", "database threads"]
    assert list(by_kind) == kinds
    assert 0 < within["matching"] < within["the turn"] <= by_kind["database threads"]


def test_a_bare_ack_is_all_in_the_request_thread() -> None:
    total_line, parts_line = serial("8", "--bare", "--parts")
    assert total_line.startswith("8 bare acks one at a time")
    by_kind, within = parts_of(parts_line)
    assert list(by_kind) == ["request thread (ack)"] and not within

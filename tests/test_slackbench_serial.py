"""The serial Slack bench (``python -m bot.slackbench.serial``): its figures add up."""

from __future__ import annotations

import re
import subprocess
import sys

from bot.config import PROJECT_ROOT

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


def parts_of(line: str) -> tuple[dict[str, float], float | None]:
    """Each kind of thread's CPU per event, and matching's (None if not shown)."""
    assert line.startswith("CPU per event: "), line
    threads, _, matching = line.removeprefix("CPU per event: ").partition("; of all that, ")
    by_kind = {kind: float(ms) for kind, ms in PART.findall(threads)}
    found = PART.fullmatch(matching)
    return by_kind, float(found[2]) if found else None


def test_an_answer_is_split_by_thread_and_the_parts_add_up_to_the_whole() -> None:
    total_line, parts_line = serial("8", "--parts")
    total = float(
        re.fullmatch(
            r"8 answered events one at a time: best of 1, ([\d.]+) ms CPU each", total_line
        )[1]
    )
    by_kind, matching = parts_of(parts_line)
    # Every answer is acked in the request thread, decided in the database thread, and
    # posted from a backlog thread: each did some of the work.
    ack = by_kind["request thread (ack)"]
    turn = by_kind["database thread (turn)"]
    post = by_kind["backlog threads (render, post, news)"]
    assert ack > 0 and turn > 0 and post > 0
    assert matching is not None and 0 < matching < turn  # matched within the turn
    # The threads' clocks and the process's clock cover the same round.
    assert 0.8 * total <= sum(by_kind.values()) <= 1.05 * total + 0.01


def test_a_bare_ack_is_all_in_the_request_thread() -> None:
    total_line, parts_line = serial("8", "--bare", "--parts")
    assert total_line.startswith("8 bare acks one at a time")
    by_kind, matching = parts_of(parts_line)
    assert list(by_kind) == ["request thread (ack)"] and matching is None

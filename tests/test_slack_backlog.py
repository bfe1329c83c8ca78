"""Back-pressure in the Slack app: each worker's backlog of acknowledged work is bounded,
a request it has no room for is refused so that Slack sends it again, and a delivery
sent again is answered once.

The end-to-end test runs the real ``helpbot slack`` with a small backlog against the
local Web API stand-in, whose ``chat.postMessage`` is held so that nothing finishes while
the burst arrives: what is taken and what is refused is then decided by the bound alone.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from slack_fake import FakeSlack, command_body, event_body, payload
from slack_harness import SlackApp, button, dm, new_user, until

from bot.channels.slack.afterturns import AfterTurns
from bot.channels.slack.backlog import Backlog
from bot.config import ConfigError, load_slack_settings, usable_cpus

LIMIT = 4
RETRY = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"}
SLACK_ENV = {
    "SLACK_BOT_TOKEN": "xoxb-x",
    "SLACK_SIGNING_SECRET": "s",
    "SLACK_HELPDESK_CHANNEL": "C0HELP",
}


# -- the backlog on its own ---------------------------------------------------------------------


@pytest.fixture
def gate() -> Iterator[threading.Event]:
    """Work that waits for this event; set at the end so no thread is left waiting."""
    opened = threading.Event()
    yield opened
    opened.set()


def test_the_backlog_takes_up_to_its_limit_and_refuses_the_rest(gate: threading.Event) -> None:
    backlog = Backlog(limit=3, threads=2)
    done: list[int] = []

    def work(n: int) -> None:
        gate.wait()
        done.append(n)

    taken = [backlog.offer(lambda n=n: work(n)) for n in range(5)]
    assert taken == [True, True, True, False, False]
    assert not backlog.admit(0)
    gate.set()
    assert backlog.close(wait=10)
    assert sorted(done) == [0, 1, 2]
    state = backlog.state()
    assert (state.size, state.peak, state.limit) == (0, 3, 3)


def test_a_closed_backlog_takes_nothing_and_a_failure_frees_its_place() -> None:
    backlog = Backlog(limit=1, threads=1)
    finished = threading.Event()

    def fail() -> None:
        raise RuntimeError("boom")

    assert backlog.offer(fail)
    assert backlog.admit(10)  # the failed work gave its place back
    assert backlog.offer(finished.set)  # on the place this request was admitted to
    assert finished.wait(10)
    assert backlog.close(wait=10)
    assert not backlog.offer(finished.set)
    assert not backlog.admit(0)


def test_what_a_thought_decides_runs_on_a_backlog_thread_on_the_same_place(
    gate: threading.Event,
) -> None:
    backlog = Backlog(limit=1, threads=2, name="t")
    ran: list[str] = []

    def say() -> None:
        ran.append(threading.current_thread().name)
        gate.wait()

    def thought() -> Callable[[], None]:
        ran.append(threading.current_thread().name)
        return say

    assert backlog.think(thought)
    until(lambda: len(ran) == 2, 10, "the thought and what it decided")
    assert ran[0] == "t-think" and ran[1] in {"t-0", "t-1"}
    # Saying it still holds the thought's place: there is none for anyone else.
    assert backlog.state().size == 1
    assert not backlog.offer(lambda: None)
    gate.set()
    assert backlog.settled(10)


@pytest.mark.skipif(sys.platform != "linux", reason="only Linux gives each thread a niceness")
def test_the_backlog_threads_give_way_to_the_thinking_thread() -> None:
    backlog = Backlog(limit=1, threads=1, nicer=3)
    seen: dict[str, int] = {}

    def say() -> None:
        seen["saying"] = os.getpriority(os.PRIO_PROCESS, 0)  # the calling thread's

    def thought() -> Callable[[], None]:
        seen["thinking"] = os.getpriority(os.PRIO_PROCESS, 0)
        return say

    assert backlog.think(thought)
    assert backlog.close(wait=10)
    here = os.getpriority(os.PRIO_PROCESS, 0)
    assert seen == {"thinking": here, "saying": min(here + 3, 19)}


def test_a_thought_with_nothing_to_say_or_that_fails_gives_its_place_back() -> None:
    backlog = Backlog(limit=1, threads=1)

    def fail() -> None:
        raise RuntimeError("boom")

    assert backlog.think(lambda: None)
    assert backlog.admit(10)  # the place came back
    assert backlog.think(fail)
    assert backlog.admit(10)  # and again, after the failure
    backlog.leave()
    assert backlog.settled(10)
    assert backlog.close(wait=10)


def test_thoughts_run_one_at_a_time_in_the_order_taken(gate: threading.Event) -> None:
    backlog = Backlog(limit=10, threads=4, name="t")
    ran: list[tuple[int, str]] = []

    def thought(n: int) -> None:
        if n == 0:
            gate.wait()  # the other nine are taken while this one thinks
        ran.append((n, threading.current_thread().name))

    for n in range(10):
        assert backlog.think(lambda n=n: thought(n))
    assert ran == []
    gate.set()
    assert backlog.settled(10)
    # All on the one thinking thread: one at a time, in the order taken.
    assert ran == [(n, "t-think") for n in range(10)]


def test_work_may_hand_a_thought_to_the_thinking_thread_on_its_place(
    gate: threading.Event,
) -> None:
    backlog = Backlog(limit=2, threads=1, name="t")
    ran: list[str] = []

    def part(n: int) -> Callable[[], object] | None:
        ran.append(threading.current_thread().name)
        if n == 0:
            gate.wait()  # close() is called meanwhile: the parts still to come still run
        return (lambda: part(n + 1)) if n < 2 else None

    assert backlog.offer(lambda: part(0))
    closing = threading.Thread(target=lambda: ran.append(str(backlog.close(wait=10))))
    closing.start()
    until(lambda: _closed(backlog), 10, "the backlog closed")
    assert backlog.state().size == 1  # the three parts hold one place
    gate.set()
    closing.join(10)
    assert ran == ["t-0", "t-think", "t-0", "True"]


def test_closing_finishes_what_the_thoughts_handed_over_before_stopping(
    gate: threading.Event,
) -> None:
    backlog = Backlog(limit=4, threads=1)
    said: list[object] = []

    def thought(n: int) -> Callable[[], None]:
        if n == 0:
            gate.wait()  # all three are still to think when close() is called
        return lambda: said.append(n)

    for n in range(3):
        assert backlog.think(lambda n=n: thought(n))
    closing = threading.Thread(target=lambda: said.append(backlog.close(wait=10)), daemon=True)
    closing.start()
    until(lambda: _closed(backlog), 10, "the backlog closed")
    gate.set()
    closing.join(10)
    assert said == [0, 1, 2, True]


def _closed(backlog: Backlog) -> bool:
    """Whether ``backlog`` is closed, asked of one with a place free while it is open."""
    if backlog.admit(0):
        backlog.leave()
        return False
    return True


def _queue_up(backlog: Backlog, request: Callable[[], None], waiting: int) -> threading.Thread:
    """``request`` in a thread of its own (as gunicorn serves each request), once it is
    the ``waiting``-th request in line for a place."""
    thread = threading.Thread(target=request, daemon=True)
    thread.start()
    until(lambda: backlog.state().waiting == waiting, 10, f"{waiting} waiting")
    return thread


def test_requests_waiting_for_a_place_get_it_in_the_order_they_came() -> None:
    backlog = Backlog(limit=1, threads=1)
    holds = [threading.Event() for _ in range(4)]
    assert backlog.offer(holds[0].wait)  # the one place is taken
    admitted: list[int] = []

    def request(n: int) -> None:
        if backlog.admit(10):
            admitted.append(n)
            assert backlog.offer(holds[n].wait)  # its work holds the place until told
        backlog.leave()

    threads = [_queue_up(backlog, lambda n=n: request(n), n) for n in (1, 2, 3)]
    for n in (0, 1, 2, 3):
        holds[n].set()  # a place is freed: it passes to the request that waited longest
        if n < 3:
            until(lambda n=n: admitted == [1, 2, 3][: n + 1], 10, f"request {n + 1} admitted")
            # A newcomer does not take a freed place before those waiting for one.
            assert not backlog.admit(0)
    for thread in threads:
        thread.join(10)
    assert admitted == [1, 2, 3]
    assert backlog.settled(10) and backlog.state().waiting == 0


def test_a_place_a_request_did_not_need_passes_to_the_next_in_line(
    gate: threading.Event,
) -> None:
    backlog = Backlog(limit=1, threads=1)
    assert backlog.offer(gate.wait)
    got: list[str] = []

    def needs_no_work() -> None:  # an event that is not for the bot, say
        got.append(f"admitted {backlog.admit(10)}")
        backlog.leave()

    def needs_work() -> None:
        got.append(f"admitted {backlog.admit(10)}, offered {backlog.offer(lambda: None)}")
        backlog.leave()

    first = _queue_up(backlog, needs_no_work, 1)
    second = _queue_up(backlog, needs_work, 2)
    gate.set()
    first.join(10)
    second.join(10)
    assert got == ["admitted True", "admitted True, offered True"]
    assert backlog.settled(10)


def test_a_request_that_waited_its_time_out_is_refused_and_out_of_line(
    gate: threading.Event,
) -> None:
    backlog = Backlog(limit=1, threads=1)
    assert backlog.offer(gate.wait)
    assert not backlog.admit(0.05)
    assert backlog.state().waiting == 0
    gate.set()
    assert backlog.settled(10)  # the freed place went to nobody
    assert backlog.admit(0)
    backlog.leave()
    assert backlog.state().size == 0


def test_closing_tells_the_requests_waiting_for_a_place_no(gate: threading.Event) -> None:
    backlog = Backlog(limit=1, threads=1)
    assert backlog.offer(gate.wait)
    answers: list[bool] = []
    waiting = _queue_up(backlog, lambda: answers.append(backlog.admit(10)), 1)
    assert backlog.close(wait=0.01) is False  # its work is still running
    waiting.join(10)
    assert answers == [False]
    gate.set()


def test_settled_waits_for_the_work_taken_to_finish(gate: threading.Event) -> None:
    backlog = Backlog(limit=2, threads=1)
    assert backlog.settled(0)  # nothing taken
    backlog.offer(gate.wait)
    assert not backlog.settled(0.01)
    gate.set()
    assert backlog.settled(10)
    assert backlog.state().size == 0


def test_close_reports_work_it_could_not_finish(gate: threading.Event) -> None:
    backlog = Backlog(limit=2, threads=1)
    started = threading.Event()
    backlog.offer(lambda: (started.set(), gate.wait()))
    assert started.wait(10)
    assert backlog.close(wait=0.01) is False


class News:
    """What AfterTurns asks of the store: how many times this process has written news."""

    def __init__(self) -> None:
        self.news_written = 0


class Pushes:
    """What AfterTurns needs of the runtime: it counts the pushes. Each turn here wrote
    news unless a test says otherwise."""

    def __init__(self) -> None:
        self.helpdesk = 0
        self.everyone = 0
        self.store = News()

    def push_helpdesk(self) -> int:
        self.helpdesk += 1
        return 0

    def push(self) -> int:
        self.everyone += 1
        return 0


def test_turns_ending_while_a_push_waits_share_it(gate: threading.Event) -> None:
    backlog = Backlog(limit=2, threads=1)
    pushes = Pushes()
    after = AfterTurns(pushes, backlog)  # type: ignore[arg-type]
    busy = threading.Event()
    backlog.offer(lambda: (busy.set(), gate.wait()))  # the one thread is busy
    assert busy.wait(10)
    for _ in range(3):
        pushes.store.news_written += 1
        after.ended()  # one push waits; the others join it
    assert backlog.state().size == 2
    gate.set()
    assert backlog.close(wait=10)
    assert (pushes.helpdesk, pushes.everyone) == (1, 1)


def test_a_push_without_room_is_left_to_the_sync_round(gate: threading.Event) -> None:
    backlog = Backlog(limit=1, threads=1)
    pushes = Pushes()
    after = AfterTurns(pushes, backlog)  # type: ignore[arg-type]
    backlog.offer(gate.wait)
    pushes.store.news_written += 1
    after.ended()  # no room: not waiting, so the next turn asks again
    gate.set()
    assert backlog.settled(10)  # room again
    after.ended()
    assert backlog.close(wait=10)
    assert (pushes.helpdesk, pushes.everyone) == (1, 1)


def test_a_turn_after_the_last_push_with_no_news_written_since_costs_no_push() -> None:
    backlog = Backlog(limit=2, threads=1)
    pushes = Pushes()
    after = AfterTurns(pushes, backlog)  # type: ignore[arg-type]
    after.ended()  # the first turn: whatever waits from before is pushed
    assert backlog.settled(10)
    assert (pushes.helpdesk, pushes.everyone) == (1, 1)
    for _ in range(3):
        after.ended()  # answers that left no news
    assert backlog.settled(10)
    assert (pushes.helpdesk, pushes.everyone) == (1, 1)
    pushes.store.news_written += 1  # a turn opened a ticket
    after.ended()
    assert backlog.close(wait=10)
    assert (pushes.helpdesk, pushes.everyone) == (2, 2)


# -- settings -----------------------------------------------------------------------------------


def test_the_backlog_size_and_the_workers_are_settings() -> None:
    slack = load_slack_settings(SLACK_ENV)
    assert slack.queue == 100
    assert slack.workers == usable_cpus() >= 1
    given = load_slack_settings({**SLACK_ENV, "HELPBOT_SLACK_QUEUE": "8", "WEB_CONCURRENCY": "3"})
    assert (given.queue, given.workers) == (8, 3)
    for wrong in ("none", "0", "-5"):
        with pytest.raises(ConfigError, match="HELPBOT_SLACK_QUEUE"):
            load_slack_settings({**SLACK_ENV, "HELPBOT_SLACK_QUEUE": wrong})


# -- the app under a burst ----------------------------------------------------------------------


@pytest.fixture
def small(fake: FakeSlack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlackApp]:
    tmp = tmp_path_factory.mktemp("backlog")
    running = SlackApp(
        fake,
        f"sqlite:///{tmp / 'slack.db'}",
        tmp / "app.log",
        env={"HELPBOT_SLACK_QUEUE": str(LIMIT)},
    )
    user, channel = new_user()
    running.event(dm(user, channel, "how do I get nhsmail"))  # booted and warm
    fake.wait("chat.postMessage", channel=channel)
    yield running
    fake.hold.clear()
    running.stop()


def test_a_burst_beyond_the_backlog_is_refused_then_each_retry_answered_once(
    small: SlackApp, fake: FakeSlack
) -> None:
    people = [new_user() for _ in range(3 * LIMIT)]
    events = [dm(user, channel, "how do I get nhsmail") for user, channel in people]
    held = threading.Event()
    fake.hold["chat.postMessage"] = held
    try:
        statuses = [small.send(event_body(event)).status for event in events]
        # A slash command that finds no room is told so: Slack never retries a command.
        command = payload("slash_command")
        command.update(text="acct secret", user_id=people[0][0])
        busy = small.send(command_body(command))
    finally:
        held.set()
    taken = statuses.count(200)
    # Nothing could finish while Slack's Web API was held: at most the bound was taken,
    # the rest refused unacknowledged (Slack sends those again), and none taken after a
    # refusal.
    assert 1 <= taken <= LIMIT
    assert statuses == [200] * taken + [503] * (len(events) - taken)
    assert busy.status == 200 and "busy" in busy.body
    assert "the backlog is full" in small.log.read_text()

    answered = [channel for _, channel in people[:taken]]
    for channel in answered:
        fake.wait("chat.postMessage", channel=channel)
    # Slack's retries of the refused events, one at a time: taken now there is room.
    for event, (_, channel) in zip(events[taken:], people[taken:], strict=True):
        retried = small.send(event_body(event), headers=RETRY)
        assert retried.status == 200
        fake.wait("chat.postMessage", channel=channel)
    # A retry of an event taken in the burst is dropped at the ack: no work, no answer.
    again = small.send(event_body(events[0]), headers=RETRY)
    assert again.status == 200 and again.headers.get("x-slack-no-retry") == "1"
    # Every taken request has been answered, and none is left to answer again.
    for _, channel in people:
        assert len(fake.made("chat.postMessage", channel=channel)) == 1, channel


def test_a_worker_told_to_stop_answers_what_it_acknowledged_first(
    fake: FakeSlack, tmp_path: Path
) -> None:
    app = SlackApp(fake, f"sqlite:///{tmp_path / 'slack.db'}", tmp_path / "app.log")
    user, channel = new_user()
    app.event(dm(user, channel, "help me set up my account secret"))
    (step1,) = fake.wait("chat.postMessage", channel=channel)
    held = threading.Event()
    fake.hold["chat.update"] = held
    try:
        # A click is answered with two calls: the clicked message spent, then the next
        # step. The first is held, so the second needs the worker to live on.
        app.click(user, step1, button(step1, "flow:choose:account_secret:account_type:0"))
        fake.wait("held:chat.update", status=None, channel=channel)
        app.process.terminate()  # gunicorn stops its worker gracefully, as on a deploy
        until(lambda: "finishing 1 acknowledged" in app.log.read_text(), 30, "no drain")
    finally:
        held.set()
        fake.hold.clear()
    assert app.process.wait(timeout=30) == 0
    step2 = fake.made("chat.postMessage", channel=channel)[1:]
    assert len(step2) == 1 and "step 2 of" in step2[0].text()

"""The deadline on database work: threads are reused, and one stuck call blocks nothing."""

from __future__ import annotations

import threading

import pytest

from bot.store import Store
from bot.store.deadline import StoreTimeout, bounded, within


def _db_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == "helpbot-db"}


def test_work_runs_in_a_reused_thread_not_a_new_one_each_time() -> None:
    within(5, lambda: None)  # at least one worker exists and is idle afterwards
    before = _db_threads()
    ran_in = {within(5, threading.current_thread) for _ in range(50)}

    # Idle workers take the work: no thread is started while one waits.
    assert _db_threads() - before == set()
    assert ran_in <= before
    assert threading.current_thread() not in ran_in


def test_a_stuck_call_times_out_and_the_next_call_still_runs() -> None:
    release = threading.Event()
    with pytest.raises(StoreTimeout, match="the stuck database did not answer in 0.2 s"):
        within(0.2, release.wait, "the stuck database")
    try:
        assert within(5, lambda: 42) == 42
    finally:
        release.set()


def test_errors_reach_the_caller() -> None:
    def fail() -> None:
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        within(5, fail)


def test_a_forked_process_gets_workers_of_its_own() -> None:
    import os

    within(5, lambda: None)  # the parent has an idle worker now
    child = os.fork()
    if child == 0:  # the child: its work must run, not wait for the parent's thread
        try:
            os._exit(0 if within(5, lambda: 42) == 42 else 1)
        except BaseException:  # noqa: BLE001 - any failure is the child's exit code
            os._exit(2)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0


def test_work_on_a_database_server_runs_under_a_deadline_on_a_sqlite_file_in_place(
    store: Store,
) -> None:
    ran_in = bounded(store, threading.current_thread)
    if store.engine.dialect.name == "sqlite":
        # A file this process reads cannot stop answering; its waits have limits of
        # their own (tests/test_outages.py): the caller's thread does the work.
        assert not store.can_hang and ran_in is threading.current_thread()
        return
    assert store.can_hang and ran_in in _db_threads()
    release = threading.Event()
    store.timeout = 0.2  # the deadline: the store's timeout and half a second
    try:
        with pytest.raises(StoreTimeout, match=r"database .* did not answer in 0.7 s"):
            bounded(store, release.wait)
    finally:
        release.set()


def test_errors_of_work_on_any_database_reach_the_caller(store: Store) -> None:
    def fail() -> None:
        raise ValueError("refused")

    with pytest.raises(ValueError, match="refused"):
        bounded(store, fail)

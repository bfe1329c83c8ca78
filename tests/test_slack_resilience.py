"""The Slack app under abuse and trouble, end to end on loopback: huge and malformed
requests, a locked table, a worker killed while the YAML on disk is broken.

Each test runs the real ``helpbot slack`` (gunicorn) against the local stand-in for
Slack's Web API, as tests/test_slack_app.py does.
"""

from __future__ import annotations

import http.client
import io
import json
import logging
import os
import signal
import socket
import sqlite3
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest
from conftest import PG_SKIP, PG_URL, _reset_postgres
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.request import BoltRequest
from slack_fake import FakeSlack, event_body, post, sign
from slack_harness import SECRET, TOKEN, SlackApp, dm, new_event_id, new_user, start, until
from sqlalchemy import create_engine, make_url, text

from bot.channels.bodylimit import WSGIApp
from bot.channels.slack import records
from bot.channels.slack.app import SlackBot
from bot.channels.slack.server import PATH, http_app
from bot.config import ConfigError, Settings, SlackSettings, load_settings
from bot.core.engine import Engine
from bot.store import Store, StoreUnavailable

MB = 1024 * 1024
# Stands for what a person might write: it must never reach the log.
PRIVATE = "Mrs Patient NHS 943 476 5919"


@pytest.fixture(scope="module")
def app(fake: FakeSlack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SlackApp]:
    tmp = tmp_path_factory.mktemp("resilience")
    running = start(fake, f"sqlite:///{tmp / 'slack.db'}", tmp, "app")
    # A first answer: the worker has booted, imported everything and met the database.
    user, channel = new_user()
    running.event(dm(user, channel, "how do I get nhsmail"))
    fake.wait("chat.postMessage", channel=channel)
    yield running
    running.stop()


def memory_kb(pid: int) -> dict[str, int]:
    """The process's resident set now (VmRSS) and at its peak (VmHWM), in kB."""
    found = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            found[name] = int(value.split()[0])
    return found


def reset_peak(pid: int) -> None:
    """Start the peak (VmHWM) again from now, so a later peak is this test's own."""
    Path(f"/proc/{pid}/clear_refs").write_text("5")


def only_worker(app: SlackApp) -> int:
    (pid,) = until(app.workers, 30, "no gunicorn worker")
    return pid


def raw_post(
    app: SlackApp, head: dict[str, str], chunks: Iterable[bytes], *, chunked: bool = False
) -> tuple[int, str]:
    """POST over a plain socket, sending the body from another thread while the answer is
    read: a server that answers early need not wait for (or read) the rest."""
    sock = socket.create_connection(("127.0.0.1", app.port), timeout=30)
    lines = [f"POST {PATH} HTTP/1.1", f"Host: 127.0.0.1:{app.port}"]
    lines += [f"{name}: {value}" for name, value in head.items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())

    def pump() -> None:
        try:
            for chunk in chunks:
                sock.sendall(f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n" if chunked else chunk)
            if chunked:
                sock.sendall(b"0\r\n\r\n")
        except OSError:
            pass  # the server answered and hung up: it did not want the rest

    sender = threading.Thread(target=pump, daemon=True)
    sender.start()
    try:
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, response.read().decode()
    finally:
        sock.close()  # which also stops the sender, if it is still sending
        sender.join(timeout=30)


def megabytes(count: int) -> Iterator[bytes]:
    """``count`` MB of a form body that names a person, one reused MB at a time."""
    block = (PRIVATE.encode() + b"&" + b"x" * MB)[:MB]
    for _ in range(count):
        yield block


# -- request bodies ---------------------------------------------------------------------------


def test_a_declared_body_over_the_limit_gets_413_before_any_of_it_is_sent(app: SlackApp) -> None:
    # Not one byte of the body follows the headers: an answer proves none was awaited.
    head = {"Content-Type": "application/json", "Content-Length": str(50 * MB)}
    status, _ = raw_post(app, head, [])
    assert status == 413


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_50_mb_unsigned_body_gets_413_and_the_worker_does_not_grow(
    app: SlackApp, chunked: bool
) -> None:
    worker = only_worker(app)
    reset_peak(worker)
    before = memory_kb(worker)
    head = {"Content-Type": "application/x-www-form-urlencoded"}
    head |= {"Transfer-Encoding": "chunked"} if chunked else {"Content-Length": str(50 * MB)}
    status, _ = raw_post(app, head, megabytes(50), chunked=chunked)
    after = memory_kb(worker)
    print(f"worker memory {before} -> {after} kB ({'chunked' if chunked else 'content-length'})")
    assert status == 413
    # Freed memory leaves RSS as it was, so the peak is what shows a body held whole. A
    # declared length over the limit is not read at all. Of a chunked body the limit
    # (1 MB) is read, and gunicorn receives it a socket buffer (some MB) at a time.
    allowed = (12 if chunked else 2) * 1024
    assert after["VmHWM"] - before["VmRSS"] < allowed, f"the worker grew: {before} -> {after}"
    assert after["VmRSS"] - before["VmRSS"] < allowed, f"the worker grew: {before} -> {after}"
    assert PRIVATE not in app.log.read_text()


def test_a_signed_chunked_event_within_the_limit_is_answered(app: SlackApp) -> None:
    user, channel = new_user()
    body, kind = event_body(dm(user, channel, "how do I get nhsmail"))
    when = int(time.time())
    head = {
        "Content-Type": kind,
        "Transfer-Encoding": "chunked",
        "X-Slack-Request-Timestamp": str(when),
        "X-Slack-Signature": sign(SECRET, when, body),
    }
    status, _ = raw_post(app, head, [body[:10], body[10:]], chunked=True)
    assert status == 200
    (answer,) = app.fake.wait("chat.postMessage", channel=channel)
    assert "helpdesk@nhs.net" in answer.text()


def test_the_body_limit_is_a_setting() -> None:
    assert load_settings({}).max_body_bytes == MB
    assert load_settings({"HELPBOT_MAX_BODY_BYTES": "65536"}).max_body_bytes == 65536
    for wrong in ("lots", "-1", "100"):
        with pytest.raises(ConfigError, match="HELPBOT_MAX_BODY_BYTES"):
            load_settings({"HELPBOT_MAX_BODY_BYTES": wrong})


# -- requests bolt cannot read ----------------------------------------------------------------


def _form(fields: dict[str, object]) -> bytes:
    return urllib.parse.urlencode({"payload": json.dumps(fields)}).encode()


FORM = "application/x-www-form-urlencoded"
SIGNED_BUT_MALFORMED = {
    "not JSON": (f"{PRIVATE} is not JSON".encode(), "application/json"),
    "not UTF-8": (b"\xff\xfe" + PRIVATE.encode(), "application/json"),
    "a JSON list": (json.dumps([PRIVATE]).encode(), "application/json"),
    "an event that is text": (
        json.dumps({"type": "event_callback", "event_id": new_event_id(), "event": PRIVATE}),
        "application/json",
    ),
    "a payload that is not JSON": (f"payload={PRIVATE}".encode(), FORM),
    "actions that are text": (
        _form({"type": "block_actions", "user": {"id": "U1"}, "actions": PRIVATE}),
        FORM,
    ),
}


@pytest.mark.parametrize("name", SIGNED_BUT_MALFORMED)
def test_a_signed_but_malformed_body_gets_400_and_is_not_logged(app: SlackApp, name: str) -> None:
    body, kind = SIGNED_BUT_MALFORMED[name]
    body = body if isinstance(body, bytes) else body.encode()
    seen = len(app.log.read_bytes())
    sent = post(app.url, body, kind, SECRET)
    assert sent.status == 400, sent
    logged = app.log.read_bytes()[seen:].decode(errors="replace")
    assert "Traceback" not in logged
    assert PRIVATE not in app.log.read_text(errors="replace")


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Slack-Request-Timestamp": "soon"},
        {"X-Slack-Request-Timestamp": "\u00b2\u00b3"},  # digits to str.isdigit, not to int()
        {"X-Slack-Request-Timestamp": "1_700_000_000"},  # a number to int(), not to Slack
        {"X-Slack-Request-Timestamp": ""},
        {"X-Slack-Signature": ""},
        {"X-Slack-Signature": "v0=\u00e9"},
    ],
    ids=[
        "words",
        "superscript",
        "underscores",
        "no-timestamp",
        "no-signature",
        "non-ascii-signature",
    ],
)
def test_an_unverifiable_request_gets_401_and_is_not_logged(
    app: SlackApp, headers: dict[str, str]
) -> None:
    seen = len(app.log.read_bytes())
    body = json.dumps({"type": "event_callback", "event": {"text": PRIVATE}}).encode()
    sent = post(app.url, body, "application/json", SECRET, headers=headers)
    assert sent.status == 401, sent
    assert "Traceback" not in app.log.read_bytes()[seen:].decode(errors="replace")
    assert PRIVATE not in app.log.read_text(errors="replace")


def test_bolt_logs_nothing_below_warning_whatever_the_app_log_level(
    engine: Engine, fake: FakeSlack, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # as HELPBOT_LOG_LEVEL=DEBUG would
    slack = SlackSettings(TOKEN, SECRET, None, fake.api_url, "C0HELP")
    bot = SlackBot(engine, slack)
    served = http_app(bot, Settings(Path("."), Path("."), "sqlite://"), slack)
    names = [n for n in logging.Logger.manager.loggerDict if n.startswith("slack_bolt")]
    assert names and all(logging.getLogger(n).getEffectiveLevel() >= logging.WARNING for n in names)
    # bolt's own check, which logs the body it refuses at INFO, behind the guard's.
    body = json.dumps({"type": "event_callback", "event": {"text": PRIVATE}}).encode()
    when = str(int(time.time()))
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": PATH,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_X_SLACK_REQUEST_TIMESTAMP": when,
        "HTTP_X_SLACK_SIGNATURE": "v0=" + "0" * 64,
    }
    statuses: list[str] = []
    for wsgi in (served, SlackRequestHandler(bot.app, path=PATH)):
        wsgi({**environ, "wsgi.input": io.BytesIO(body)}, lambda s, h: statuses.append(s))
    assert [s[:3] for s in statuses] == ["401", "401"]
    assert PRIVATE not in caplog.text


def test_a_signed_event_is_parsed_once_and_answered(
    slack_bot: tuple[SlackBot, WSGIApp], fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot, served = slack_bot
    built: list[BoltRequest] = []
    dispatched: list[BoltRequest] = []
    monkeypatch.setattr(BoltRequest, "__init__", _counted(BoltRequest.__init__, built))
    monkeypatch.setattr(bot.app, "dispatch", _counted(bot.app.dispatch, dispatched))
    user, channel = new_user()
    statuses: list[str] = []
    b"".join(
        served(_signed_dm(user, channel, "how do I get nhsmail"), lambda s, h: statuses.append(s))
    )
    assert statuses == ["200 OK"]
    # The guard's request, checked before the ack, is the one bolt dispatched.
    assert len(built) == 1 and dispatched == built
    assert fake.wait("chat.postMessage", channel=channel)


def test_a_turn_that_fails_still_tells_the_person_something_went_wrong(
    slack_bot: tuple[SlackBot, WSGIApp], fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot, served = slack_bot

    def broken(message: object) -> None:
        raise RuntimeError("the engine broke")

    monkeypatch.setattr(bot.runtime, "handle", broken)
    user, channel = new_user()
    statuses: list[str] = []
    b"".join(served(_signed_dm(user, channel, "hello"), lambda s, h: statuses.append(s)))
    assert statuses == ["200 OK"]
    (said,) = fake.wait("chat.postMessage", channel=user)
    assert "something went wrong" in said.text()
    # The thinking thread lived through it: the next turn is decided as usual.
    monkeypatch.undo()
    b"".join(served(_signed_dm(user, channel, "hello"), lambda s, h: statuses.append(s)))
    assert fake.wait("chat.postMessage", channel=channel)


def test_an_answer_that_fails_to_go_out_is_followed_by_a_sorry(
    slack_bot: tuple[SlackBot, WSGIApp], fake: FakeSlack, monkeypatch: pytest.MonkeyPatch
) -> None:
    bot, served = slack_bot
    user, channel = new_user()
    post = bot._post

    def broken_for_the_dm(to: str, *args: object, **kwargs: object) -> None:
        if to == channel:
            raise RuntimeError("the post broke")
        post(to, *args, **kwargs)

    monkeypatch.setattr(bot, "_post", broken_for_the_dm)
    statuses: list[str] = []
    b"".join(served(_signed_dm(user, channel, "hello"), lambda s, h: statuses.append(s)))
    assert statuses == ["200 OK"]
    (said,) = fake.wait("chat.postMessage", channel=user)
    assert "something went wrong" in said.text()


def _signed_dm(user: str, channel: str, text: str) -> dict[str, object]:
    """The WSGI environ of a direct message as Slack sends it, signed now."""
    body, kind = event_body(dm(user, channel, text))
    when = int(time.time())
    return {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": PATH,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": kind,
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_X_SLACK_REQUEST_TIMESTAMP": str(when),
        "HTTP_X_SLACK_SIGNATURE": sign(SECRET, when, body),
        "wsgi.input": io.BytesIO(body),
    }


def _counted(method: Callable[..., object], into: list[BoltRequest]) -> Callable[..., object]:
    """``method``, noting the request it is given first (``self`` of a request's own)."""

    def noted(*args: object, **kwargs: object) -> object:
        assert isinstance(args[0], BoltRequest)
        into.append(args[0])
        return method(*args, **kwargs)

    return noted


# -- the database ------------------------------------------------------------------------------


def hold_events_table(url: str) -> Callable[[], None]:
    """Lock slack_events from a connection of its own; returns how to let it go."""
    if url.startswith("sqlite"):
        # SQLite locks the database, not a table: hold its one write transaction.
        conn = sqlite3.connect(make_url(url).database, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        return lambda: (conn.rollback(), conn.close())
    engine = create_engine(url)
    held = engine.connect()
    held.execute(text("LOCK TABLE slack_events IN ACCESS EXCLUSIVE MODE"))
    return lambda: (held.rollback(), held.close(), engine.dispose())


def _usual_waits(store: Store) -> tuple[object, ...]:
    with store.session() as session:
        if store.engine.dialect.name == "sqlite":
            return (session.execute(text("PRAGMA busy_timeout")).scalar(),)
        return tuple(
            session.execute(text(f"SHOW {name}")).scalar()
            for name in ("lock_timeout", "statement_timeout")
        )


def test_a_short_wait_gives_up_on_a_lock_and_only_for_that_transaction(store: Store) -> None:
    usual = _usual_waits(store)
    assert usual[0] not in (0, "0")  # the store never waits for ever
    release = hold_events_table(store.url)
    try:
        began = time.monotonic()
        with pytest.raises(StoreUnavailable):
            records.first_delivery(store, "EvLOCKED", wait=0.2)
        gave_up = time.monotonic() - began
    finally:
        release()
    assert gave_up < 2.0, f"gave up after {gave_up:.1f}s"
    # Pooled connections are back to the usual waits, and the event can be taken now.
    assert _usual_waits(store) == usual
    assert records.first_delivery(store, "EvLOCKED", wait=0.2) is True
    assert records.first_delivery(store, "EvLOCKED", wait=0.2) is False


@pytest.fixture(params=["sqlite", "postgresql"])
def locked_app(
    request: pytest.FixtureRequest, fake: FakeSlack, tmp_path: Path
) -> Iterator[tuple[SlackApp, Callable[[], Callable[[], None]]]]:
    """A running app, and a way to lock its slack_events table from another connection
    (which returns the way to release it)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'locked.db'}"
    else:
        if not PG_URL:
            pytest.skip(PG_SKIP)
        _reset_postgres(PG_URL)
        url = PG_URL
    running = start(fake, url, tmp_path, request.param)
    yield running, lambda: hold_events_table(url)
    running.stop()


def test_the_ack_does_not_wait_for_a_locked_events_table(
    locked_app: tuple[SlackApp, Callable[[], Callable[[], None]]],
) -> None:
    app, lock = locked_app
    user, channel = new_user()
    app.event(dm(user, channel, "how do I get nhsmail"))  # the worker is up and warm
    app.fake.wait("chat.postMessage", channel=channel)

    event = dm(user, channel, "who do i call about nhsmail")
    gave_up = f"cannot claim delivery {event['event_id']} to slack"
    release = lock()
    try:
        began = time.monotonic()
        app.event(event)
        took = time.monotonic() - began
        # A first delivery's id is claimed when its work starts, after the ack, by its
        # turn: the lock is held until that claim has met it.
        until(lambda: gave_up in app.log.read_text(), 15, "the claim did not give up")
    finally:
        release()
    print(f"ack with slack_events locked: {took:.2f}s")
    assert took < 3.0, f"the ack took {took:.1f}s"
    # The claim gave up on the lock (so the lock was real) and the person is answered.
    assert gave_up in app.log.read_text()
    answers = app.fake.wait("chat.postMessage", count=2, channel=channel)
    assert "0333 200 1133" in answers[1].text()


# -- workers ----------------------------------------------------------------------------------


def test_a_worker_restarted_while_the_yaml_is_broken_answers_from_the_checked_content(
    fake: FakeSlack, folders: tuple[Path, Path], tmp_path: Path
) -> None:
    intents, knowledge = folders
    env = {"HELPBOT_INTENTS": str(intents), "HELPBOT_KNOWLEDGE": str(knowledge)}
    app = SlackApp(fake, f"sqlite:///{tmp_path / 'slack.db'}", tmp_path / "app.log", env=env)
    try:
        user, channel = new_user()
        app.event(dm(user, channel, "how do I get nhsmail"))  # a worker serving
        fake.wait("chat.postMessage", channel=channel)
        first = only_worker(app)
        broken = sorted(intents.glob("*.yaml"))[0]
        broken.write_text("intents: [unclosed\n")
        os.kill(first, signal.SIGKILL)  # as the OOM killer would

        def replaced() -> set[int]:
            assert app.process.poll() is None, f"gunicorn stopped:\n{app.log.read_text()}"
            return app.workers() - {first}

        until(replaced, 30, "no replacement worker")
        user, channel = new_user()
        app.event(dm(user, channel, "how do I get nhsmail"))  # only the new worker can answer
        (answer,) = fake.wait("chat.postMessage", channel=channel)
        assert "helpdesk@nhs.net" in answer.text()
        logged = app.log.read_text()
        fallback = [line for line in logged.splitlines() if "checked at start" in line]
        assert len(fallback) == 1 and broken.name in fallback[0]
        assert app.process.poll() is None
    finally:
        app.stop()

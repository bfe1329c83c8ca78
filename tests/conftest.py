"""Shared fixtures: the shipped knowledge, real databases, the CLI, an SMTP server."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from slack_fake import FakeSlack
from sqlalchemy import create_engine, select, text

from bot.config import PROJECT_ROOT
from bot.content.loader import Content, load_content
from bot.core.engine import Engine, Knowledge
from bot.core.messages import Reply
from bot.runtime import Runtime
from bot.runtime.channel import Unreachable
from bot.store import Store
from bot.store.models import Base

INTENTS = PROJECT_ROOT / "intents"
KNOWLEDGE = PROJECT_ROOT / "knowledge"
PG_URL = os.environ.get("TEST_DATABASE_URL")
PG_SKIP = "TEST_DATABASE_URL is not set (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"


@pytest.fixture(scope="session")
def content() -> Content:
    return load_content(INTENTS, KNOWLEDGE)


@pytest.fixture(scope="session")
def knowledge(content: Content) -> Knowledge:
    return Knowledge.build(content)


def _reset_postgres(url: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database: SQLite always, PostgreSQL when TEST_DATABASE_URL is set."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'helpbot.db'}"
    if not PG_URL:
        pytest.skip(PG_SKIP)
    _reset_postgres(PG_URL)
    return PG_URL


# A date well away from today: a test that mixes it with the wall clock fails at once.
START = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


class FixedClock:
    """The one clock of a test: it moves only when the test moves it."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> FixedClock:
    """Parametrize with ``indirect=True`` to start at another date."""
    return FixedClock(getattr(request, "param", START))


@pytest.fixture
def store(db_url: str, clock: FixedClock) -> Iterator[Store]:
    store = Store(db_url, clock=clock)
    yield store
    store.close()


@pytest.fixture
def engine(knowledge: Knowledge, store: Store) -> Engine:
    return Engine(knowledge, store, source=(INTENTS, KNOWLEDGE))


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'cli.db'}"


@pytest.fixture(scope="session")
def model_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Trained models shared by every command a test runs: one training per content."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture
def helpbot(sqlite_url: str, model_folder: Path):
    """Run the real ``helpbot`` command in a new process; returns CompletedProcess."""

    def run(*args: str, stdin: str = "", env: dict[str, str] | None = None):
        full_env = {
            **os.environ,
            "DATABASE_URL": sqlite_url,
            "HELPBOT_MODEL_CACHE": str(model_folder),
            **(env or {}),
        }
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=full_env,
            cwd=PROJECT_ROOT,
            timeout=60,
        )

    return run


@pytest.fixture
def folders(tmp_path: Path) -> tuple[Path, Path]:
    """A writable copy of the shipped content."""
    intents, knowledge = tmp_path / "intents", tmp_path / "knowledge"
    shutil.copytree(INTENTS, intents)
    shutil.copytree(KNOWLEDGE, knowledge)
    return intents, knowledge


def wait_until_listening(
    process: subprocess.Popen[bytes], port: int, log: Path, what: str, timeout: float = 60.0
) -> None:
    """Return once ``process`` accepts connections on ``port``; fail with its log if it
    exits or never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{what} exited:\n{log.read_text()}")
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise AssertionError(f"{what} did not listen:\n{log.read_text()}")


def stop_process(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="session")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost: (cert, key)."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("the openssl command is not installed; it makes the test certificate")
    folder = tmp_path_factory.mktemp("tls")
    cert, key = folder / "c.pem", folder / "k.pem"
    subprocess.run(
        [openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost"]
        + ["-days", "1", "-keyout", str(key), "-out", str(cert)]
        # Python checks the subjectAltName, not the CN, against the host it dialled.
        + ["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"],
        check=True,
        capture_output=True,
    )
    return cert, key


def free_port() -> int:
    # Controller(port=0) is not supported by every aiosmtpd version, so ask the OS instead.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Inbox:
    """An aiosmtpd handler: answers DATA from a script, then ``then``; keeps what it accepted."""

    def __init__(self, *script: str, then: str = "250 OK") -> None:
        self.script = list(script)
        self.then = then
        self.data_calls = 0
        self.received: list[EmailMessage] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.data_calls += 1
        reply = self.script.pop(0) if self.script else self.then
        if reply.startswith("250"):
            self.received.append(message_from_bytes(envelope.content, policy=default_policy))
        return reply


@pytest.fixture
def serve() -> Iterator[Callable[..., int]]:
    """Start an SMTP server on 127.0.0.1 with a handler and SMTP options; returns its port."""
    controllers: list[Controller] = []

    def start(handler: Inbox, **smtp_options: Any) -> int:
        port = free_port()
        controller = Controller(
            handler, hostname="127.0.0.1", port=port, server_hostname="localhost", **smtp_options
        )
        controller.start()
        controllers.append(controller)
        return port

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSlack]:
    """A local server speaking Slack's Web API, shared by a test module."""
    slack = FakeSlack().start()
    yield slack
    slack.stop()


@pytest.fixture
def slack_bot(engine: Engine, fake: FakeSlack) -> Iterator[tuple[Any, Callable[..., Any]]]:
    """The Slack app on ``engine`` in this process: (SlackBot, its WSGI app); stopped after."""
    from slack_harness import SECRET, TOKEN

    from bot.channels.slack.app import SlackBot
    from bot.channels.slack.server import http_app
    from bot.config import Settings, SlackSettings

    slack = SlackSettings(TOKEN, SECRET, None, fake.api_url, "C0HELP")
    bot = SlackBot(engine, slack)
    yield bot, http_app(bot, Settings(Path("."), Path("."), "sqlite://"), slack)
    bot.stop(wait=5)


def dump_tables(store: Store) -> str:
    """Every value of every table (JSON state included), joined: what a dump would show."""
    found: list[str] = []
    with store.session() as session:
        for table in Base.metadata.sorted_tables:
            for row in session.execute(select(table)).mappings():
                found.extend(str(value) for value in row.values() if value is not None)
    return "\n".join(found)


class WebChatServer:
    """``helpbot web``'s app served by uvicorn on loopback, in a thread of this process."""

    def __init__(self, app: Any) -> None:
        import uvicorn

        # Listening before the thread starts: requests queue until uvicorn takes them,
        # so nobody has to wait for it to be ready.
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        # A stream a test left open must not hold up the server's stop for long.
        config = uvicorn.Config(
            app, log_level="warning", lifespan="off", timeout_graceful_shutdown=1
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)
        self.sock.close()


@pytest.fixture
def web_chat() -> Iterator[Callable[..., WebChatServer]]:
    """Start the web chat on an engine: ``web_chat(engine, **settings)`` -> the server.

    Its public origin is its own loopback address, known only once the port is, so the
    settings are made here.
    """
    from bot.channels.web.app import create_app
    from bot.config import WebSettings

    servers: list[WebChatServer] = []

    def start(
        engine: Engine,
        now: Callable[[], float] | None = None,
        news_every: float = 0.02,
        stream_lifetime: float | None = None,
        **options: Any,
    ) -> WebChatServer:
        holder: dict[str, Any] = {}

        async def app(scope: Any, receive: Any, send: Any) -> None:
            await holder["app"](scope, receive, send)

        server = WebChatServer(app)
        settings = WebSettings(
            public_origin=server.url, cookie_secret=b"k" * 32, secure_cookie=False, **options
        )
        extra: dict[str, Any] = {"news_every": news_every}
        if stream_lifetime is not None:
            extra["stream_lifetime"] = stream_lifetime
        if now is not None:
            extra["now"] = now
        holder["app"] = create_app(engine, settings, **extra)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


class Recorder:
    """A channel (``bot.runtime.Channel``) that keeps what it was given to deliver.

    ``fail`` deliveries raise first, as a channel whose service is down would.
    """

    def __init__(self, name: str = "cli", *, fail: int = 0) -> None:
        self.name = name
        self.fail = fail
        self.gone: set[str] = set()  # people the channel can no longer reach
        self.delivered: list[tuple[str, str]] = []
        self.tidied = 0

    def deliver(self, recipient: str, replies: Sequence[Reply]) -> None:
        if recipient in self.gone:
            raise Unreachable("the app was removed")
        if self.fail:
            self.fail -= 1
            raise ConnectionError("the channel is down")
        self.delivered.extend((recipient, r.text) for r in replies)

    def tidy(self) -> None:
        self.tidied += 1


class Desk:
    """A helpdesk (``bot.runtime.Helpdesk``) that keeps what agents were shown."""

    def __init__(self) -> None:
        self.new: list[str] = []
        self.heard: list[tuple[str, str]] = []
        self.syncs = 0

    def opened(self, ref: str) -> None:
        self.new.append(ref)

    def user_wrote(self, ref: str, text: str) -> None:
        self.heard.append((ref, text))

    def sync(self) -> None:
        self.syncs += 1


@pytest.fixture
def desk() -> Desk:
    return Desk()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def runtime(engine: Engine, recorder: Recorder) -> Runtime:
    """The terminal's runtime in a test: news for anyone on the ``cli`` channel."""
    return Runtime(engine, recorder)


class Ticker:
    """A monotonic clock (seconds) the test moves: for rate limits, not dates."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def ticker() -> Ticker:
    return Ticker()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """All skips in one line, by reason: not a line per test (there are a hundred or more
    without PostgreSQL), so that failures are what stands out."""
    skipped = terminalreporter.stats.get("skipped", [])
    if not skipped:
        return
    reasons: dict[str, int] = {}
    for report in skipped:
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reason = reason.removeprefix("Skipped: ")
        reasons[reason] = reasons.get(reason, 0) + 1
    said = "; ".join(
        f"{n} because {why}" for why, n in sorted(reasons.items(), key=lambda r: -r[1])
    )
    terminalreporter.write_line(f"skipped {len(skipped)}: {said}")


@pytest.fixture(params=["compiled", "numpy"])
def overlap_scoring(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """A test run twice: word overlap scored by the compiled kernel, and by numpy (as
    where the package was installed without a C compiler)."""
    import bot.core.index

    if request.param == "numpy":
        monkeypatch.setattr(bot.core.index, "_overlap", None)
    elif bot.core.index._overlap is None:
        pytest.skip("the compiled overlap kernel was not built (no C compiler?)")
    return request.param

"""``python -m bot.slackbench.serial EVENTS [--bare] [--parts] [--database URL]``: what
one answer costs the Slack app, one event at a time, without the load bench's noise.

Under load (``helpbot bench --slack``) the answer's cost moves 20-40% between runs on a
shared machine, more than most changes to it. Here the app a gunicorn worker would serve
(``server.http_app``, a new SQLite file or ``--database``, the Web API stand-in in a
process of its own) is called in this process, one signed message event after another,
each one's work (ack, claim, turn, render, ``chat.postMessage``, news) finished before
the next is sent; ``--bare`` calls the bolt app that only acknowledges instead. It prints
this process's CPU time per event, best of ``--rounds``, and with ``--parts`` that round's
CPU per event in each kind of thread, and in matching (``bot.slackbench.parts``).

Nothing in it waits on the clock, so under ``valgrind --tool=callgrind`` the instructions
are nearly the same from run to run: the difference between two runs of different
``EVENTS`` (say 20 and 120), divided by their difference, is the instructions per event,
a figure that resolves a change of a few per cent.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable
from contextlib import nullcontext
from pathlib import Path
from typing import Any

from bot.slackbench import PATH, SECRET, answers, free_port, served
from bot.slackbench.load import Events
from bot.slackbench.parts import Meter, Parts

WARM = 20


def _environ(events: Events) -> dict[str, Any]:
    """One signed event as gunicorn hands it to the app."""
    data, headers = events.next()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": PATH,
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "CONTENT_TYPE": headers.pop("Content-Type"),
        "CONTENT_LENGTH": str(len(data)),
        "wsgi.input": io.BytesIO(data),
    }
    environ.update({"HTTP_" + k.upper().replace("-", "_"): v for k, v in headers.items()})
    return environ


def _started(status: str, _headers: list[tuple[str, str]], *_exc: object) -> None:
    if not status.startswith("200"):
        raise RuntimeError(f"the app answered {status}")


def run(
    count: int, rounds: int, bare: bool, database: str | None = None, parts: bool = False
) -> None:
    api_port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        api = [sys.executable, "-m", "bot.slackbench.webapi", str(api_port), "0"]
        with served(api, dict(os.environ), api_port, tmp / "webapi.log", None):
            os.environ.update(
                {
                    "SLACK_BOT_TOKEN": "xoxb-bench",
                    "SLACK_SIGNING_SECRET": SECRET,
                    "SLACK_API_BASE_URL": f"http://127.0.0.1:{api_port}/api/",
                    "SLACK_HELPDESK_CHANNEL": "C0HELP",
                    "DATABASE_URL": database or f"sqlite:///{tmp / 'serial.db'}",
                }
            )
            _measure(count, rounds, bare, api_port, parts)


def _measure(count: int, rounds: int, bare: bool, api_port: int, parts: bool) -> None:
    from bot.channels.slack.server import build_bot, http_app
    from bot.config import load_settings, load_slack_settings
    from bot.slackbench.bare import bare_app

    events = Events(SECRET, uuid.uuid4().hex[:6].upper())
    if bare:
        app, settle = bare_app(), None
    else:
        settings, slack = load_settings(), load_slack_settings()
        bot = build_bot(settings, slack)
        bot.runtime.stop()  # no sync rounds: their work would grow with the wall clock
        app, settle = http_app(bot, settings, slack), bot.backlog.settled

    def send(n: int) -> float:
        began = time.process_time()
        for _ in range(n):
            _drain(app(_environ(events), _started))
            if settle is not None and not settle(60):
                raise RuntimeError("an event's work did not finish within 60 s")
        return (time.process_time() - began) / max(n, 1)

    send(WARM)
    meter = Meter()
    measured: list[tuple[float, Parts | None]] = []
    with meter.timing() if parts else nullcontext():
        for _ in range(rounds):
            # Threads' clocks only when asked for: not every system has them.
            mark = meter.mark() if parts else None
            took = send(count)
            measured.append((took, meter.since(mark, count) if mark is not None else None))
    best, found = min(measured, key=lambda pair: pair[0])
    what = "bare acks" if bare else "answered events"
    print(f"{count} {what} one at a time: best of {rounds}, {1000 * best:.3f} ms CPU each")
    if found is not None:
        print(found.line())
    if settle is not None:
        answered = answers(api_port)
        expected = WARM + count * rounds
        if answered != expected:
            raise RuntimeError(f"{answered} answers for {expected} events")


def _drain(body: Iterable[bytes]) -> None:
    for _ in body:
        pass


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"a whole number of at least 1, not {text!r}")
    return value


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bot.slackbench.serial")
    parser.add_argument("events", type=_positive, help="events a round")
    parser.add_argument("--rounds", type=_positive, default=1, help="rounds; the best is printed")
    parser.add_argument("--bare", action="store_true", help="the bolt app that only acks")
    parser.add_argument(
        "--parts",
        action="store_true",
        help="also each kind of thread's CPU per answer, and matching's",
    )
    parser.add_argument(
        "--database", metavar="URL", help="a scratch database (default: a new SQLite file)"
    )
    options = parser.parse_args(argv)
    if options.database:
        from bot.bench import database_problem

        problem = database_problem(options.database)
        if problem is not None:
            parser.error(f"argument --database: {problem}")
    run(options.events, options.rounds, options.bare, options.database, options.parts)


if __name__ == "__main__":
    main()

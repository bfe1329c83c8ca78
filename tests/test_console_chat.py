"""``helpbot chat`` as a person uses it: a real process on stdin/stdout, agents working on
the ticket with ``helpbot tickets`` from other processes at the same time.

Output is awaited line by line with a deadline, never with fixed sleeps.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.config import PROJECT_ROOT

DEADLINE = 20.0  # seconds; news is polled every second


class Chat:
    """A running ``helpbot chat``: type lines into it, await lines out of it."""

    def __init__(self, database_url: str, log: Path) -> None:
        self.log = log
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bot", "chat"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log.open("w"),
            text=True,
            env={**os.environ, "DATABASE_URL": database_url},
            cwd=PROJECT_ROOT,
        )
        self.seen: list[str] = []
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self._lines.put(line.rstrip("\n"))
        self._lines.put(None)  # the process closed its output

    def say(self, text: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(text + "\n")
        self.process.stdin.flush()

    def expect(self, fragment: str) -> str:
        """The next line of output containing ``fragment``; fail after the deadline."""
        deadline = time.monotonic() + DEADLINE
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            self.seen.append(line)
            if fragment in line:
                return line
        raise AssertionError(
            f"no {fragment!r} within {DEADLINE}s; output:\n"
            + "\n".join(self.seen)
            + f"\nstderr:\n{self.log.read_text()}"
        )

    def stop(self) -> int:
        if self.process.poll() is None:
            self.say("quit")
        try:
            return self.process.wait(timeout=DEADLINE)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return -9


@pytest.fixture
def chat(sqlite_url: str, tmp_path: Path) -> Iterator[Chat]:
    running = Chat(sqlite_url, tmp_path / "chat.log")
    yield running
    running.stop()


def events(helpbot, ref: str) -> list[dict]:
    shown = helpbot("tickets", "show", ref, "--json")
    assert shown.returncode == 0, shown.stderr
    return json.loads(shown.stdout)["events"]


def agent(helpbot, *args: str) -> None:
    done = helpbot("tickets", *args)
    assert done.returncode == 0, done.stderr


def test_agent_news_shows_at_once_and_the_user_answers_the_agent(chat: Chat, helpbot) -> None:
    chat.expect("Type 'bye' to leave")
    chat.say("talk to a person")
    chat.expect("Shall I create a ticket?")
    chat.say("yes")
    chat.expect("your ticket is HD-000001")

    # The agent claims and asks a question: both appear while the user types nothing.
    agent(helpbot, "claim", "HD-000001", "--agent", "ann")
    chat.expect("(ann) is now looking at your ticket HD-000001")
    agent(helpbot, "reply", "HD-000001", "--agent", "ann", "What does the screen say?")
    chat.expect("What does the screen say?")

    # The user's answer goes to the agent, on the ticket, not to the matcher.
    chat.say("it says my account is locked")
    chat.expect("Sent to ann on HD-000001.")
    said = [e["text"] for e in events(helpbot, "HD-000001") if e["kind"] == "user"]
    assert said == ["it says my account is locked"]

    # "bot" is the way out for one question; then messages go to the agent again.
    chat.say("bot")
    chat.expect("ask me your question")
    chat.say("i forgot my password and im locked out")
    chat.expect("Local Administrator")
    chat.say("thanks, that's what I needed")
    chat.expect("Sent to ann on HD-000001.")
    said = [e["text"] for e in events(helpbot, "HD-000001") if e["kind"] == "user"]
    assert said == ["it says my account is locked", "thanks, that's what I needed"]

    # The resolution and its feedback question arrive by themselves; "yes" answers it.
    agent(helpbot, "resolve", "HD-000001", "--agent", "ann")
    chat.expect("Your ticket HD-000001 has been resolved.")
    chat.expect("[1] Yes")
    chat.say("yes")
    chat.expect("from 1 (poor) to 5 (great)")
    chat.say("5")
    chat.expect("Thank you for your feedback.")
    shown = json.loads(helpbot("tickets", "show", "HD-000001", "--json").stdout)
    assert (shown["solved"], shown["score"]) == (True, 5)
    assert chat.stop() == 0


def test_bye_says_goodbye_with_the_helpdesk_and_ends_the_chat(chat: Chat) -> None:
    chat.expect("Type 'bye' to leave")
    chat.say("Bye!")
    chat.expect("0333 200 1133")
    assert chat.process.wait(timeout=DEADLINE) == 0


@pytest.mark.parametrize("leave", ["quit", "exit"])
def test_quit_ends_the_chat_at_once(chat: Chat, leave: str) -> None:
    chat.expect("Type 'bye' to leave")
    chat.say(leave)
    assert chat.process.wait(timeout=DEADLINE) == 0


def test_ctrl_d_and_ctrl_c_end_the_chat_without_a_traceback(
    sqlite_url: str, tmp_path: Path
) -> None:
    ended = Chat(sqlite_url, tmp_path / "eof.log")
    ended.expect("Type 'bye' to leave")
    assert ended.process.stdin is not None
    ended.process.stdin.close()  # Ctrl-D
    assert ended.process.wait(timeout=DEADLINE) == 0
    interrupted = Chat(sqlite_url, tmp_path / "int.log")
    interrupted.expect("Type 'bye' to leave")
    interrupted.process.send_signal(signal.SIGINT)  # Ctrl-C: the shell's usual 128 + 2
    assert interrupted.process.wait(timeout=DEADLINE) == 130
    for log in ("eof.log", "int.log"):
        assert "Traceback" not in (tmp_path / log).read_text()

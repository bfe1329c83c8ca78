"""The terminal channel: render replies as plain text, buttons as numbered choices.

``Screen`` keeps the prompt tidy while ticket news arrives from another thread: the
runtime's sync thread (``bot.runtime``) pushes it to ``Terminal.deliver`` every second,
so an agent's claim, reply or resolution shows without waiting for the next message.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Sequence
from types import ModuleType
from typing import TextIO

from bot.core.messages import Reply

PROMPT = "you> "
NEWS_EVERY = 1.0  # seconds between looks at the outbox: one indexed read each

_BOLD = re.compile(r"\*\*(.+?)\*\*")


def render(reply: Reply) -> str:
    """Multi-line text for a person at a terminal."""
    text = _BOLD.sub(r"\1", reply.text)
    if reply.buttons:
        choices = "\n".join(
            f"  [{i}] {b.label}" + _typed_hint(b.label, b.typed, i)
            for i, b in enumerate(reply.buttons, start=1)
        )
        text += "\n" + choices
    return text


def _typed_hint(label: str, typed: str, position: int) -> str:
    # Show the word to type only where it is not simply the number or the label itself.
    if not typed or typed == str(position) or typed.lower() == label.lower():
        return ""
    return f" (or type: {typed})"


def render_line(reply: Reply) -> str:
    """The same on one line, for ``helpbot ask``: one reply per line of output."""
    lines = [line.strip() for line in render(reply).splitlines()]
    return " ".join(line for line in lines if line)


def render_json(reply: Reply) -> str:
    return json.dumps(reply.to_dict(), ensure_ascii=False)


class Screen:
    """Writes replies to a terminal (or a pipe) from two threads without mixing them.

    News that arrives while the person is at the prompt is printed above it: the prompt
    line is cleared, the news written, and the prompt (with what they had typed so far,
    where readline can tell) drawn again. In a pipe there is no line to clear, so the
    news starts on a line of its own.
    """

    def __init__(self, out: TextIO) -> None:
        self.out = out
        self._lock = threading.Lock()
        self._at_prompt = False
        self._tty = out.isatty()
        self._readline = _line_editing() if self._tty else None

    def replies(self, found: list[Reply]) -> None:
        with self._lock:
            self._write(found)

    def read(self, prompt: str = PROMPT) -> str:
        """``input()`` with news allowed to appear above the prompt meanwhile."""
        with self._lock:
            self._at_prompt = True
        try:
            return input(prompt)
        finally:
            with self._lock:
                self._at_prompt = False

    def news(self, found: list[Reply]) -> None:
        if not found:
            return
        with self._lock:
            if not self._at_prompt:
                self._write(found)
                return
            self.out.write("\r\x1b[K" if self._tty else "\n")
            self._write(found)
            typed = self._readline.get_line_buffer() if self._readline else ""
            self.out.write(PROMPT + typed)
            self.out.flush()

    def _write(self, found: list[Reply]) -> None:
        for reply in found:
            self.out.write("bot> " + render(reply).replace("\n", "\n     ") + "\n")
        self.out.flush()


def _line_editing() -> ModuleType | None:
    """readline, where there is one: ``input()`` then edits lines and can tell what has
    been typed so far, so news drawn above the prompt keeps the half-typed line."""
    try:
        import readline
    except ImportError:
        return None
    return readline


class Terminal:
    """The terminal as a channel (``bot.runtime``): news is drawn above the prompt."""

    name = "cli"

    def __init__(self, screen: Screen) -> None:
        self.screen = screen

    def deliver(self, recipient: str, replies: Sequence[Reply]) -> None:
        self.screen.news(list(replies))

    def tidy(self) -> None:
        """Nothing kept for a while."""

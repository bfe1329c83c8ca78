"""The terminal channel: render replies as plain text, buttons as numbered choices."""

from __future__ import annotations

import json
import re

from bot.core.messages import Reply

_BOLD = re.compile(r"\*\*(.+?)\*\*")


def render(reply: Reply) -> str:
    """Multi-line text for a person at a terminal."""
    text = _BOLD.sub(r"\1", reply.text)
    if reply.buttons:
        choices = "\n".join(f"  [{i}] {b.label}" for i, b in enumerate(reply.buttons, start=1))
        text += "\n" + choices
    return text


def render_line(reply: Reply) -> str:
    """The same on one line, for ``helpbot ask``: one reply per line of output."""
    lines = [line.strip() for line in render(reply).splitlines()]
    return " ".join(line for line in lines if line)


def render_json(reply: Reply) -> str:
    return json.dumps(reply.to_dict(), ensure_ascii=False)

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

"""Slack's message markup in, plain text out, before anything reaches the core.

Slack sends ``<@U123>`` for mentions, ``<https://x|label>`` for links and escapes
``& < >`` as entities; the core wants what the person meant to type.
"""

from __future__ import annotations

import html
import re

_MARKUP = re.compile(r"<([^<>]*)>")


def _plain(match: re.Match[str]) -> str:
    inner = match.group(1)
    target, _, label = inner.partition("|")
    if target.startswith(("@", "!", "#")):
        # Mentions of people, channels and @here carry no question: drop them.
        return label if target.startswith("#") and label else ""
    if target.startswith("mailto:"):
        return label or target.removeprefix("mailto:")
    return label or target


def plain_text(text: str | None) -> str:
    """What the person typed, without Slack markup: mentions dropped, links as text."""
    if not text:
        return ""
    return html.unescape(_MARKUP.sub(_plain, text)).strip()

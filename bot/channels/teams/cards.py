"""The Teams channel's renderer: core replies as Adaptive Cards that Teams can show.

Teams renders Adaptive Cards up to schema 1.5, and in a TextBlock only a subset of
Markdown (bold, italic, lists, links) and no HTML. Buttons become ``Action.Submit``
carrying the core's button value, so a click comes back as that value; the source page
is an ``Action.OpenUrl``. A Teams message holds about 40 KB: longer replies are split.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from bot.core.buttons import RATE
from bot.core.messages import Button, Reply
from bot.core.replies import RATE_QUESTION

CARD_TYPE = "application/vnd.microsoft.card.adaptive"
SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
VERSION = "1.5"  # the newest Teams renders
# Teams refuses a message over about 40 KB; the text of one card is kept well under it,
# leaving room for the activity's own fields and the card's JSON around the text.
TEXT_LIMIT = 24_000
LABEL_LIMIT = 60
SOURCE_LABEL = "Open the source page"
# The key a clicked button's value travels under in the card's ``data``.
VALUE_KEY = "helpbot"
LABEL_KEY = "label"

_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(.+?)(?:[ \t]+#+)?[ \t]*$", re.MULTILINE)
# Teams shows "<b>" as text; an angle-bracketed autolink "<https://x>" is Markdown it
# does not know. Neither is markup here, so only the brackets of autolinks are dropped.
_AUTOLINK = re.compile(r"<((?:https?://|mailto:)[^\s<>]+)>")


@dataclass(frozen=True)
class Click:
    """A button clicked on one of our cards: the core's value and the label shown."""

    value: str
    label: str


def text_block(markdown: str) -> str:
    """The core's light Markdown as the subset a Teams TextBlock renders."""
    text = _HEADING.sub(lambda m: f"**{m[1].strip('*')}**", markdown)
    return _AUTOLINK.sub(r"\1", text).strip()


def cards(reply: Reply) -> list[dict[str, Any]]:
    """``reply`` as one Adaptive Card, or several if its text is too long for one message.

    The buttons and the source link go on the last card, under the end of the text.
    """
    pieces = list(_pieces(text_block(reply.text)))
    made = [_card(piece) for piece in pieces]
    actions = [_submit(b) for b in reply.buttons if not b.value.startswith(RATE)]
    ratings = [_submit(b) for b in reply.buttons if b.value.startswith(RATE)]
    if reply.meta.source:
        actions.append({"type": "Action.OpenUrl", "title": SOURCE_LABEL, "url": reply.meta.source})
    if ratings:
        # Helpful / Not helpful last, under their question: so the other choices go in
        # the body too, above it (a card's own actions always come after its body).
        body = made[-1]["body"]
        if actions:
            body.append({"type": "ActionSet", "actions": actions})
        body.append({"type": "TextBlock", "text": RATE_QUESTION, "wrap": True, "isSubtle": True})
        body.append({"type": "ActionSet", "actions": ratings})
    elif actions:
        made[-1]["actions"] = actions
    return made


def attachment(card: dict[str, Any]) -> dict[str, Any]:
    """An Adaptive Card as a message attachment."""
    return {"contentType": CARD_TYPE, "content": card}


def chosen_card(label: str) -> dict[str, Any]:
    """What a card becomes once a button on it was clicked: the choice, and no buttons.

    Teams keeps old cards clickable; replacing it says what was chosen and stops a second
    click (the core ignores stale clicks anyway).
    """
    return _card(f"You chose: **{_label(label)}**")


def click_of(value: object) -> Click | None:
    """The click a message's ``value`` stands for, if it came from one of our buttons."""
    if not isinstance(value, dict):
        return None
    chosen, label = value.get(VALUE_KEY), value.get(LABEL_KEY)
    if not isinstance(chosen, str) or not chosen:
        return None
    return Click(chosen, label if isinstance(label, str) else chosen)


def size(card: dict[str, Any]) -> int:
    """The card's size in bytes as sent."""
    return len(json.dumps(card, ensure_ascii=False).encode("utf-8"))


def _card(text: str) -> dict[str, Any]:
    return {
        "type": "AdaptiveCard",
        "$schema": SCHEMA,
        "version": VERSION,
        "body": [{"type": "TextBlock", "text": text or " ", "wrap": True}],
    }


def _submit(button: Button) -> dict[str, Any]:
    label = _label(button.label)
    return {
        "type": "Action.Submit",
        "title": label,
        "data": {VALUE_KEY: button.value, LABEL_KEY: label},
    }


def _label(label: str) -> str:
    label = " ".join(label.split())
    return label if len(label) <= LABEL_LIMIT else label[: LABEL_LIMIT - 1] + "…"


def _pieces(text: str) -> Iterator[str]:
    """``text`` in pieces of at most ``TEXT_LIMIT`` bytes, cut between paragraphs if possible."""
    while len(text.encode("utf-8")) > TEXT_LIMIT:
        head = text.encode("utf-8")[:TEXT_LIMIT].decode("utf-8", "ignore")
        cut = max(head.rfind("\n\n"), head.rfind("\n"))
        if cut < len(head) // 2:
            cut = head.rfind(" ")
        if cut < len(head) // 2:
            cut = len(head)
        yield head[:cut].rstrip()
        text = text[cut:].lstrip()
    yield text

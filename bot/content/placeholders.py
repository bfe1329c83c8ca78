"""Placeholders in text people see: only the ones the bot really fills in may appear.

The bot fills in placeholders in answer text only (``bot.core.replies.answer``); every
other text (titles, flow steps, button labels, contacts) is shown exactly as written.
A typo such as ``{contact}`` is therefore never filled in, and people would see it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.content.schema import ContentFile

CONTACTS = "{contacts}"  # the helpdesk contacts, one per line
# The deployment's own team (the contact marked ``local: true``), filled in when the
# content loads: "**Care in Lincs Digital Team** (helpdesk@linca.org.uk)".
LOCAL_TEAM = "{local_team}"
IN_ANSWERS: tuple[str, ...] = (CONTACTS, LOCAL_TEAM)
IN_STEPS: tuple[str, ...] = (LOCAL_TEAM,)

# Braces around something that reads like a name ("{contact}", "{ Contacts }"). Other
# braces ("{ }", "{a, b}") are ordinary text and left alone.
_BRACED = re.compile(r"\{\s*[A-Za-z_][\w-]*\s*\}")

Loc = tuple[object, ...]


@dataclass(frozen=True)
class Shown:
    """One text people see: where it is, what it belongs to, which placeholders work."""

    loc: Loc
    owner: str
    text: str
    known: tuple[str, ...] = ()


def problems(model: ContentFile) -> Iterator[tuple[Loc, str, str]]:
    """Each unknown placeholder as (location, the placeholder as written, message)."""
    for shown in _texts(model):
        for match in _BRACED.finditer(shown.text):
            written = match.group()
            if written not in shown.known:
                yield shown.loc, written, _message(shown, written)


def _message(shown: Shown, written: str) -> str:
    if written in IN_ANSWERS and written not in shown.known:
        where = "answer and walk-through step text" if written in IN_STEPS else "answer text"
        return (
            f"{shown.owner}: {written} is only filled in in {where}; "
            "here people would see it as typed"
        )
    guess = difflib.get_close_matches(
        "{" + written.strip("{} ").lower() + "}", shown.known, n=1, cutoff=0.6
    )
    hint = f"; did you mean {guess[0]}?" if guess else ""
    if shown.known:
        known = f"known placeholders: {', '.join(shown.known)}"
    else:
        known = f"placeholders work only in answer text: {', '.join(IN_ANSWERS)}"
    return (
        f"{shown.owner}: unknown placeholder {written}, people would see it as typed"
        f"{hint} ({known})"
    )


def _texts(model: ContentFile) -> Iterator[Shown]:
    for i, intent in enumerate(model.intents):
        yield Shown(("intents", i, "title"), f"intent '{intent.id}' title", intent.title)
    for i, answer in enumerate(model.answers):
        yield Shown(("answers", i, "text"), f"answer '{answer.id}'", answer.text, IN_ANSWERS)
    for i, contact in enumerate(model.contacts):
        for name in ("name", "phone", "use_for"):
            value = getattr(contact, name)
            if value:
                yield Shown(("contacts", i, name), f"contact '{contact.id}' {name}", value)
    for i, flow in enumerate(model.flows):
        yield Shown(("flows", i, "title"), f"flow '{flow.id}' title", flow.title)
        for j, step in enumerate(flow.steps):
            at = ("flows", i, "steps", j)
            owner = f"flow '{flow.id}', step '{step.id}'"
            yield Shown((*at, "text"), owner, step.text, IN_STEPS)
            for k, choice in enumerate(step.choices):
                for name in ("label", "typed"):
                    value = getattr(choice, name)
                    yield Shown((*at, "choices", k, name), f"{owner}, choice {name}", value)
            for k, link in enumerate(step.links):
                yield Shown((*at, "links", k, "label"), f"{owner}, link label", link.label)

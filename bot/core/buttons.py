"""Button values about tickets, as data: the one place that writes and reads them.

A value travels as a string (Slack's button ``value``, the stored state, ``helpbot ask
--jsonl``'s ``action``), so it has a grammar; the ticket choices all start ``ticket:``:
the offer (``ticket:create``...), ``ticket:askbot``, and the feedback questions below.
A leaf of the core: the tickets service writes these values, the engine reads them.
Ratings of an answer (``rate:up:INTENT``) are here too: replies write them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

TICKET = "ticket:"
KINDS = ("solved", "score")


@dataclass(frozen=True)
class Feedback:
    """An answer to "did this solve it?" (``solved``, yes/no) or to the 1-5 rating (``score``)."""

    kind: Literal["solved", "score"]
    ref: str
    answer: str

    def value(self) -> str:
        return f"{TICKET}{self.kind}:{self.ref}:{self.answer}"

    @classmethod
    def parse(cls, value: str) -> Feedback | None:
        """The feedback a value stands for; None for any other value."""
        if not value.startswith(TICKET):
            return None
        parts = value.removeprefix(TICKET).split(":")
        if len(parts) != 3 or parts[0] not in KINDS:
            return None
        kind, ref, answer = parts
        return cls("solved" if kind == "solved" else "score", ref, answer)


RATE = "rate:"


@dataclass(frozen=True)
class Rating:
    """A person's verdict on one answer: ``rate:up:INTENT`` or ``rate:down:INTENT``."""

    intent: str
    helpful: bool

    def value(self) -> str:
        return f"{RATE}{'up' if self.helpful else 'down'}:{self.intent}"

    @classmethod
    def parse(cls, value: str) -> Rating | None:
        """The rating a value stands for; None for any other value."""
        if not value.startswith(RATE):
            return None
        verdict, _, intent = value.removeprefix(RATE).partition(":")
        if verdict not in ("up", "down") or not intent:
            return None
        return cls(intent, verdict == "up")

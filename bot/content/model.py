"""The knowledge as the running bot holds it: plain, frozen dataclasses.

``bot.content.schema`` checks the YAML with pydantic and says what is wrong, file and
line; what passes is turned into these. A process that starts from a snapshot of built
knowledge (``bot.core.snapshot``) then never imports pydantic or the YAML parser, which
were about a tenth of a command's start. Field names and defaults are the schema's.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal


@dataclass(frozen=True)
class Intent:
    """Something users say, and which answer it gets."""

    id: str
    title: str
    examples: list[str]
    answer: str | None = None
    flow: str | None = None
    does: Literal["handoff", "ticket_status"] | None = None
    smalltalk: bool = False
    out_of_scope: bool = False


@dataclass(frozen=True)
class Answer:
    """What the bot says, in its own words, faithful to its source."""

    id: str
    text: str
    source: str | None = None
    reviewed: date | None = None
    source_date: date | None = None
    related: list[str] = field(default_factory=list)
    walkthrough: str | None = None
    offer_handoff: bool = False


@dataclass(frozen=True)
class Contact:
    id: str
    name: str
    use_for: str
    email: str | None = None
    phone: str | None = None
    local: bool = False


@dataclass(frozen=True)
class Synonyms:
    words: dict[str, list[str]] = field(default_factory=dict)
    spellings: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Choice:
    label: str
    typed: str
    goto: str
    aliases: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Link:
    label: str
    url: str


@dataclass(frozen=True)
class Step:
    id: str
    text: str
    choices: list[Choice] = field(default_factory=list)
    next: str | None = None
    links: list[Link] = field(default_factory=list)
    end: bool = False
    handoff: bool = False
    sensitive: bool = False


@dataclass(frozen=True)
class Flow:
    id: str
    title: str
    steps: list[Step]
    start: str | None = None

    @property
    def first(self) -> str:
        return self.start or self.steps[0].id

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)

"""The shape of the YAML in ``intents/`` and ``knowledge/``, as pydantic models.

Each file holds one or more top-level sections; a file may mix them, but by convention
``intents/`` holds ``intents`` and ``knowledge/`` the rest.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
URL_PATTERN = r"^https?://\S+$"
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$"

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Id = Annotated[str, StringConstraints(pattern=ID_PATTERN, max_length=64)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Intent(_Model):
    """Something users say, and which answer it gets."""

    id: Id
    title: Text = Field(description="Shown on 'did you mean' buttons; phrase it as a question.")
    answer: Id | None = Field(
        default=None, description="The id of an answer in knowledge/ (not for out_of_scope)."
    )
    flow: Id | None = Field(
        default=None, description="Start this guided flow (knowledge/flows/) instead of answering."
    )
    does: Literal["handoff", "ticket_status"] | None = Field(
        default=None,
        description="A built-in action instead of an answer: offer a ticket, or report one.",
    )
    examples: list[Text] = Field(min_length=1)
    smalltalk: bool = Field(
        default=False, description="Greetings and the like: lose to a real question."
    )
    out_of_scope: bool = Field(
        default=False, description="A known near-miss: matching it means 'not for us'."
    )


class Answer(_Model):
    """What the bot says, in its own words, faithful to its source."""

    id: Id
    text: Text
    source: str | None = Field(default=None, pattern=URL_PATTERN)
    reviewed: date | None = Field(
        default=None,
        description="When this answer's facts were last checked against its source "
        "(YYYY-MM-DD), so admins know what to re-check; shown beside the source.",
    )
    source_date: date | None = Field(
        default=None,
        description="The source page's own 'last reviewed' or 'updated' date, where it "
        "gives one (YYYY-MM-DD).",
    )
    related: list[Id] = Field(default_factory=list, description="Intent ids offered next.")
    walkthrough: Id | None = Field(
        default=None, description="A guided flow offered as a 'walk me through it' button."
    )
    offer_handoff: bool = False


class Contact(_Model):
    id: Id
    name: Text
    email: str | None = Field(default=None, pattern=EMAIL_PATTERN)
    phone: str | None = None
    use_for: Text
    local: bool = Field(
        default=False,
        description="This deployment's own team, named wherever answers and walk-throughs "
        "say {local_team}; a deployment for another area replaces this one entry.",
    )


class Synonyms(_Model):
    """Words people type, mapped to the word the intents use.

    ``words`` maps a canonical word to its variants (abbreviations, phrases);
    ``spellings`` maps a US (or other) spelling to the British one.
    """

    words: dict[Text, list[Text]] = Field(default_factory=dict)
    spellings: dict[Text, Text] = Field(default_factory=dict)


class Choice(_Model):
    """One answer the user can give at a step, and where it leads."""

    label: Text
    typed: Text = Field(description="What a person types instead of clicking, e.g. 'yes'.")
    aliases: list[Text] = Field(default_factory=list, description="Other words that mean it.")
    goto: Id


class Link(_Model):
    label: Text
    url: str = Field(pattern=URL_PATTERN)


class Step(_Model):
    """One screen of a guided flow: text, then choices, a single next step, or the end."""

    id: Id
    text: Text
    choices: list[Choice] = Field(default_factory=list)
    next: Id | None = None
    links: list[Link] = Field(default_factory=list)
    end: bool = Field(default=False, description="The flow is complete once this is shown.")
    handoff: bool = Field(default=False, description="Offer to hand over to the helpdesk here.")
    sensitive: bool = Field(
        default=False,
        description="People may type a secret here: free text is never stored or echoed.",
    )


class Flow(_Model):
    """A step-by-step walk-through, driven entirely by this YAML."""

    id: Id
    title: Text = Field(description="Shown on buttons that start it, e.g. 'Set up my secret'.")
    start: Id | None = Field(default=None, description="The first step (default: the first).")
    steps: list[Step] = Field(min_length=1)

    @property
    def first(self) -> str:
        return self.start or self.steps[0].id

    def step(self, step_id: str) -> Step | None:
        return next((s for s in self.steps if s.id == step_id), None)


class ContentFile(_Model):
    """Everything one YAML file may hold."""

    intents: list[Intent] = Field(default_factory=list)
    answers: list[Answer] = Field(default_factory=list)
    contacts: list[Contact] = Field(default_factory=list)
    synonyms: Synonyms | None = None
    flows: list[Flow] = Field(default_factory=list)

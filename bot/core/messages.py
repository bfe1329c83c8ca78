"""The plain data that crosses every boundary: a message in, replies out.

Channels build a ``Message`` and render ``Reply`` objects; they never look inside the
engine. Buttons are data, each with a typed equivalent, so every choice also works in a
channel that cannot show buttons (the terminal, a screen reader, an SMS bridge).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from bot.core.text import clean, safe_id


@dataclass(frozen=True)
class Message:
    """One incoming message from a person, already stripped of channel markup."""

    user_id: str
    text: str
    channel: str = "cli"
    conversation_id: str | None = None
    display_name: str | None = None
    action: str | None = None  # the value of a clicked button, when the channel has one
    # Others can read this conversation (a thread in a channel): nothing private, such
    # as ticket news or the person's tickets, may be said in it.
    shared: bool = False
    # A channel that streams news (the web page) takes it only from its stream, where each
    # piece has an id to resume from; others get waiting news with their next reply.
    takes_news: bool = True
    # A way to reach the person (a phone number, a personal email) given in a field of its
    # own when asking for a person, for someone who may be locked out of NHSmail. Kept on
    # a ticket only, never in the conversation, so it is not redacted.
    contact: str | None = None
    # False when the channel has let this sender open as many tickets as it allows for a
    # while (the public web page, per address): a new ticket is refused, with contacts.
    may_open_ticket: bool = True
    # The id the channel's platform gave this delivery of the message (Slack's event_id),
    # the same when it sends the message again: the turn claims it before deciding
    # anything, and a delivery claimed before is not answered again (``Store.turn``).
    delivery: str | None = None

    @property
    def conversation_key(self) -> str:
        """The conversation this message belongs to; a user's DM when none is given."""
        return self.conversation_id or self.user_id


MAX_NAME_CHARS = 128
MAX_CONTACT_CHARS = 200
MAX_TEXT_CHARS = 100_000  # longer text is cut before anything (cleaning included) reads it


def storable(message: Message) -> Message:
    """``message`` with every field safe to match, store and show (see ``bot.core.text``).

    Channels hand over whatever arrived; this is where odd input stops being odd: text
    that is not a string becomes empty, a button value that is not a string is ignored,
    and ids too long or strange for the database become a stable digest.
    """
    text = clean(message.text[:MAX_TEXT_CHARS]) if isinstance(message.text, str) else ""
    action = clean(message.action) if isinstance(message.action, str) else None
    name = message.display_name
    name = clean(name)[:MAX_NAME_CHARS] if isinstance(name, str) else None
    contact = message.contact
    contact = clean(contact)[:MAX_CONTACT_CHARS].strip() if isinstance(contact, str) else None
    key = message.conversation_id or None  # an empty id means the person's own DM
    delivery = message.delivery if isinstance(message.delivery, str) else None
    return replace(
        message,
        user_id=safe_id(message.user_id),
        text=text,
        channel=safe_id(message.channel)[:32],
        conversation_id=safe_id(key) if key is not None else None,
        display_name=name or None,
        action=action or None,
        contact=contact or None,
        delivery=delivery or None,
    )


@dataclass(frozen=True)
class Button:
    """A choice offered to the user.

    ``value`` is what the engine acts on when it is clicked; ``typed`` is what a person can
    type instead (its position number, or a word such as ``next``).
    """

    label: str
    value: str
    typed: str

    def dump(self) -> dict[str, str]:
        """As stored and sent (``dataclasses.asdict`` is general, and several times slower
        on every turn that offers choices)."""
        return {"label": self.label, "value": self.value, "typed": self.typed}


@dataclass(frozen=True)
class ReplyMeta:
    """Why the engine said what it said: for logs, evaluation and the channels' analytics."""

    intent: str | None = None
    confidence: float = 0.0
    fallback: bool = False
    suggestions: tuple[str, ...] = ()
    handoff_offered: bool = False
    source: str | None = None
    flow: str | None = None  # the guided flow this reply belongs to, and its step
    step: str | None = None
    secret_warning: bool = False  # the message looked like a secret or password: warned
    ticket: str | None = None  # the reference of a ticket this reply opened
    news_id: int | None = None  # news delivered between turns: its outbox id, to resume after


@dataclass(frozen=True)
class Reply:
    """One reply: Markdown text plus optional buttons."""

    text: str
    buttons: tuple[Button, ...] = ()
    meta: ReplyMeta = field(default_factory=ReplyMeta)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reply:
        """A reply stored as ``{"text", "buttons"}`` (the outbox), back as a ``Reply``."""
        buttons = tuple(Button(**b) for b in data.get("buttons", []))
        return cls(text=str(data.get("text", "")), buttons=buttons)

    def to_dict(self) -> dict[str, Any]:
        """The stable JSON shape of ``helpbot ask --json``."""
        return {
            "text": self.text,
            "intent": self.meta.intent,
            "confidence": round(self.meta.confidence, 3),
            "fallback": self.meta.fallback,
            "suggestions": list(self.meta.suggestions),
            "buttons": [b.dump() for b in self.buttons],
            "handoff_offered": self.meta.handoff_offered,
            "source": self.meta.source,
            "flow": self.meta.flow,
            "step": self.meta.step,
            "secret_warning": self.meta.secret_warning,
        }

"""A conversation's memory between turns, typed: what the engine reads and writes.

Stored as JSON with the conversation (``Turn.state``) in the same shape as before this
class existed: only what is set is written, so state saved by an older version loads,
and a field this version does not know is dropped rather than crashing a turn.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.core.flows import FlowState
from bot.core.handoff import Pending
from bot.core.messages import Button


@dataclass
class State:
    """What one turn leaves for the next; a decision starts from an empty one."""

    flow: FlowState | None = None  # the walk-through in progress
    buttons: tuple[Button, ...] = ()  # on screen: a typed "2" or "none" picks one
    handoff: Pending | None = None  # the ticket offer awaiting a yes or no
    relay: str | None = None  # how the last turn left the relay (``bot.core.relay``)
    misses: int = 0  # fallbacks in a row: the second offers a person
    question: str | None = None  # the last question not answered outright
    topic: str | None = None  # the last intent answered: what a ticket would be about
    asked: str | None = None  # what got that answer: kept with a "not helpful" rating
    credential_talk: bool = False  # talking about the secret: "it's X" may share it
    unanswered_text: str | None = None  # for the record only, never stored

    @classmethod
    def load(cls, data: object) -> State:
        if not isinstance(data, dict):
            return cls()
        buttons = data.get("buttons") or []
        return cls(
            flow=FlowState.load(data.get("flow")),
            buttons=tuple(Button(**b) for b in buttons if isinstance(b, dict)),
            handoff=Pending.load(data.get("handoff")),
            relay=data.get("relay") if isinstance(data.get("relay"), str) else None,
            misses=_int(data.get("misses")),
            question=_str(data.get("question")),
            topic=_str(data.get("topic")),
            asked=_str(data.get("asked")),
            credential_talk=bool(data.get("credential_talk")),
        )

    def dump(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "flow": self.flow.dump() if self.flow is not None else None,
            "buttons": [b.dump() for b in self.buttons] or None,
            "handoff": self.handoff.dump() if self.handoff is not None else None,
            "relay": self.relay,
            "misses": self.misses or None,
            "question": self.question,
            "topic": self.topic,
            "asked": self.asked,
            "credential_talk": self.credential_talk or None,
        }
        return {key: value for key, value in found.items() if value is not None}


def _int(value: object) -> int:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return 0


def _str(value: object) -> str | None:
    return value if isinstance(value, str) else None

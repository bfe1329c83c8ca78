"""The conversation core: ``Engine.handle(message) -> list[Reply]``.

The data path reads left to right: redact -> a clicked or typed choice, or a match ->
answer / did-you-mean / fallback -> replies; the turn (redacted text, the choices on
offer) is saved in the database. Only this module decides what the bot says.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.content.loader import Content, load_content
from bot.core import replies
from bot.core.matcher import Band, Matcher
from bot.core.messages import Button, Message, Reply
from bot.core.normalise import fold
from bot.core.redact import redact
from bot.store import Store, StoreUnavailable
from bot.store.db import Turn

log = logging.getLogger(__name__)

MAX_INPUT_CHARS = 100_000  # beyond this, text is dropped before anything looks at it
MAX_STORED_CHARS = 4_000


@dataclass(frozen=True)
class Knowledge:
    """Content and the matcher built from it: swapped as one on reload."""

    content: Content
    matcher: Matcher

    @classmethod
    def build(cls, content: Content) -> Knowledge:
        return cls(content, Matcher(content))


@dataclass
class Decision:
    replies: list[Reply]
    state: dict[str, Any] = field(default_factory=dict)
    unanswered: tuple[str | None, float] | None = None  # (best guess, score) if unanswered


class Engine:
    def __init__(
        self,
        knowledge: Knowledge,
        store: Store | None = None,
        *,
        source: tuple[Path, Path] | None = None,
    ) -> None:
        self._knowledge = knowledge
        self.store = store
        self._source = source
        self._reload_lock = threading.Lock()

    @classmethod
    def from_folders(cls, intents: Path, knowledge: Path, store: Store | None) -> Engine:
        """Load the YAML (raises ``ContentInvalid``) and build an engine that can reload it."""
        content = load_content(intents, knowledge)
        return cls(Knowledge.build(content), store, source=(intents, knowledge))

    @property
    def knowledge(self) -> Knowledge:
        return self._knowledge

    def reload(self) -> Content:
        """Re-read the YAML. On any error, raise ``ContentInvalid`` and keep the old one."""
        if self._source is None:
            raise RuntimeError("this engine was not built from folders; nothing to reload")
        with self._reload_lock:
            knowledge = Knowledge.build(load_content(*self._source))
            self._knowledge = knowledge  # one reference swap: in-flight messages are unaffected
        return knowledge.content

    # -- the message path -----------------------------------------------------------------

    def handle(self, message: Message) -> list[Reply]:
        text = redact(message.text[:MAX_INPUT_CHARS]) if message.text else ""
        knowledge = self._knowledge
        decision: Decision | None = None
        if self.store is not None:
            try:
                with self.store.turn(
                    message.channel, message.user_id, message.conversation_key
                ) as turn:
                    decision = self._decide(knowledge, text, message.action, turn.state)
                    self._record(turn, text, decision)
            except StoreUnavailable as exc:
                # Answer anyway, without memory: the helpdesk contacts must get through.
                log.error("answering without the database: %s", exc)
        if decision is None:
            decision = self._decide(knowledge, text, message.action, {})
        for reply in decision.replies:
            log.info(
                "reply channel=%s intent=%s confidence=%.2f fallback=%s",
                message.channel,
                reply.meta.intent,
                reply.meta.confidence,
                reply.meta.fallback,
            )
        return decision.replies

    def _decide(
        self, knowledge: Knowledge, text: str, action: str | None, state: dict[str, Any]
    ) -> Decision:
        content = knowledge.content
        offered = [Button(**b) for b in state.get("buttons", [])]
        chosen = action or _typed_choice(text, offered)
        if chosen is not None:
            decision = self._act(knowledge, chosen, state)
            if decision is not None:
                return _remember(decision)

        if not fold(text):
            return _remember(Decision([replies.empty_prompt(had_symbols=bool(text.strip()))]))

        match = knowledge.matcher.match(text)
        best = match.best
        if match.band is Band.ANSWER and best is not None:
            return _remember(Decision([replies.answer(content, best.intent, best.score)]))
        if match.band is Band.SUGGEST:
            options = [(c.intent, c.score) for c in knowledge.matcher.suggestions(match)]
            decision = Decision([replies.did_you_mean(content, options)])
            decision.state["question"] = text[:MAX_STORED_CHARS]
            return _remember(decision)
        return _remember(
            Decision(
                [replies.fallback(content, confidence=match.confidence)],
                unanswered=(best.intent if best else None, match.confidence),
            )
        )

    def _act(self, knowledge: Knowledge, value: str, state: dict[str, Any]) -> Decision | None:
        content = knowledge.content
        if value.startswith(replies.INTENT_PREFIX):
            intent = value.removeprefix(replies.INTENT_PREFIX)
            if intent in content.intents:
                return Decision([replies.answer(content, intent, 1.0)])
            return None
        if value == replies.HANDOFF and "talk_to_person" in content.intents:
            return Decision([replies.answer(content, "talk_to_person", 1.0)])
        if value == replies.HANDOFF:
            return Decision([replies.fallback(content, confidence=1.0)])
        if value == replies.NONE_OF_THESE:
            # The suggestions missed: that question is one admins should see.
            return Decision(
                [replies.fallback(content)],
                unanswered=(None, 0.0),
                state={"unanswered_text": state.get("question", "")},
            )
        return None

    @staticmethod
    def _record(turn: Turn, text: str, decision: Decision) -> None:
        stored = text if len(text) <= MAX_STORED_CHARS else text[:MAX_STORED_CHARS] + " [...]"
        turn.add_message("in", stored)
        for reply in decision.replies:
            band = "fallback" if reply.meta.fallback else None
            turn.add_message(
                "out",
                reply.text,
                intent=reply.meta.intent,
                confidence=reply.meta.confidence,
                band=band,
            )
        if decision.unanswered is not None:
            question = decision.state.pop("unanswered_text", None) or stored
            turn.add_unanswered(question, *decision.unanswered)
        turn.state = decision.state


def _remember(decision: Decision) -> Decision:
    """Keep the buttons on offer so that a typed '2' or 'none' can pick one next turn."""
    buttons = [b for reply in decision.replies for b in reply.buttons]
    decision.state["buttons"] = [
        {"label": b.label, "value": b.value, "typed": b.typed} for b in buttons
    ]
    return decision


def _typed_choice(text: str, offered: list[Button]) -> str | None:
    """The value of the offered button this text picks: its number, label or typed word."""
    if not offered:
        return None
    typed = fold(text)
    if typed.isdigit():
        position = int(typed)
        return offered[position - 1].value if 1 <= position <= len(offered) else None
    for button in offered:
        if typed and typed in (fold(button.typed), fold(button.label)):
            return button.value
    return None

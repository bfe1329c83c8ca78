"""The conversation core: ``Engine.handle(message) -> list[Reply]``.

The data path reads left to right: redact -> a clicked or typed choice, or a match ->
answer / did-you-mean / fallback -> replies; the turn (redacted text, the choices on
offer) is saved in the database. Only this module decides what the bot says.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bot.content.flowgraph import CONTROL_WORDS
from bot.content.loader import Content, load_content
from bot.core import flows, replies
from bot.core.flows import FlowState, RunLog
from bot.core.matcher import Band, Matcher
from bot.core.messages import Button, Message, Reply
from bot.core.normalise import fold
from bot.core.redact import contains_secret, redact
from bot.store import Store, StoreUnavailable
from bot.store.db import Turn
from bot.store.models import utcnow

log = logging.getLogger(__name__)

MAX_INPUT_CHARS = 100_000  # beyond this, text is dropped before anything looks at it
MAX_STORED_CHARS = 4_000
DEFAULT_FLOW_TIMEOUT = timedelta(hours=24)


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
        flow_timeout: timedelta = DEFAULT_FLOW_TIMEOUT,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._knowledge = knowledge
        self.store = store
        self._source = source
        self._reload_lock = threading.Lock()
        self.flow_timeout = flow_timeout
        self._clock = clock

    @classmethod
    def from_folders(
        cls, intents: Path, knowledge: Path, store: Store | None, **options: Any
    ) -> Engine:
        """Load the YAML (raises ``ContentInvalid``) and build an engine that can reload it."""
        content = load_content(intents, knowledge)
        return cls(Knowledge.build(content), store, source=(intents, knowledge), **options)

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
        raw = message.text[:MAX_INPUT_CHARS] if message.text else ""
        text = redact(raw)
        # Checked on the raw text; from here on only the redacted text exists.
        secret = contains_secret(raw)
        del raw
        knowledge = self._knowledge
        decision: Decision | None = None
        if self.store is not None:
            try:
                with self.store.turn(
                    message.channel, message.user_id, message.conversation_key
                ) as turn:
                    decision = self._decide(
                        knowledge, text, message.action, turn.state, turn, secret=secret
                    )
                    self._record(turn, text, decision)
            except StoreUnavailable as exc:
                # Answer anyway, without memory: the helpdesk contacts must get through.
                log.error("answering without the database: %s", exc)
        if decision is None:
            decision = self._decide(
                knowledge, text, message.action, {}, flows.NoRuns(), secret=secret
            )
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
        self,
        knowledge: Knowledge,
        text: str,
        action: str | None,
        state: dict[str, Any],
        runs: RunLog,
        *,
        secret: bool = False,
    ) -> Decision:
        content = knowledge.content
        now = self._clock()
        walk, notice = self._current_walk(content, FlowState.load(state.get("flow")), runs, now)
        decision = self._decide_in(knowledge, text, action, state, runs, walk, secret, now)
        if notice is not None:
            offered = [Button(**b) for b in state.get("buttons", [])]
            value = action or _typed_choice(text, offered) or ""
            stale = value.startswith(flows.PREFIX) and not value.startswith(flows.START)
            if stale or fold(text) in CONTROL_WORDS or not fold(text):
                decision = Decision([notice], unanswered=None)
            else:
                # One set of buttons per turn: the answer's, so numbers stay unambiguous.
                decision.replies.insert(0, replace(notice, buttons=()))
        return _remember(decision)

    def _current_walk(
        self, content: Content, walk: FlowState | None, runs: RunLog, now: datetime
    ) -> tuple[FlowState | None, Reply | None]:
        """The walk-through still in progress, or a notice that it has lapsed."""
        if walk is None:
            return None, None
        flow = content.flows.get(walk.flow)
        since = walk.idle_since()
        if flow is None or flow.step(walk.step) is None:
            runs.update_run(walk.run, walk.step, "abandoned")
            text = "The walk-through you were on has changed since, so I've closed it."
            buttons = (flows.start_button(flow, "Start it again"),) if flow else ()
            return None, Reply(text, buttons)
        if since is None or now - since > self.flow_timeout:
            runs.update_run(walk.run, walk.step, "abandoned")
            hours = max(1, round(self.flow_timeout.total_seconds() / 3600))
            text = (
                f"Welcome back! I closed **{flow.title}** because it had been left for more "
                f"than {hours} hour{'s' if hours != 1 else ''}. You can start it again at "
                "any time."
            )
            return None, Reply(text, (flows.start_button(flow, "Start it again"),))
        return walk, None

    def _decide_in(
        self,
        knowledge: Knowledge,
        text: str,
        action: str | None,
        state: dict[str, Any],
        runs: RunLog,
        walk: FlowState | None,
        secret: bool,
        now: datetime,
    ) -> Decision:
        content = knowledge.content
        stamp = now.isoformat()
        if secret:
            return self._aside(content, Decision([replies.secret_warning()]), walk, stamp)

        offered = [Button(**b) for b in state.get("buttons", [])]
        chosen = action or _typed_choice(text, offered)
        if chosen is None and walk is not None:
            typed = flows.typed_action(text, content.flows[walk.flow], walk)
            chosen = typed.value() if typed else None
        if chosen is not None:
            flow_action = flows.Action.parse(chosen)
            if flow_action is not None:
                return _walked(flows.move(content.flows, walk, flow_action, runs, stamp))
            decision = self._act(knowledge, chosen, state, walk, runs, stamp)
            if decision is not None:
                return decision

        if not fold(text):
            if walk is not None:
                move = flows.Action("resume", walk.flow)
                return _walked(flows.move(content.flows, walk, move, runs, stamp))
            return Decision([replies.empty_prompt(had_symbols=bool(text.strip()))])

        match = knowledge.matcher.match(text)
        best = match.best
        if match.band is Band.ANSWER and best is not None:
            return self._answer(knowledge, best.intent, best.score, walk, runs, stamp)
        if match.band is Band.SUGGEST:
            options = [(c.intent, c.score) for c in knowledge.matcher.suggestions(match)]
            decision = Decision([replies.did_you_mean(content, options)])
            decision.state["question"] = text[:MAX_STORED_CHARS]
            return self._aside(content, decision, walk, stamp)
        if walk is not None and len(fold(text).split()) <= flows.MAX_LOOSE_WORDS:
            # A short reply that fits no option is a mistyped answer, not a new question.
            preface = "Sorry, I didn't catch that. Please choose one of the options below."
            walk.touched = stamp
            reply = flows.render(content.flows[walk.flow], walk, preface=preface)
            return _walked(flows.Outcome([reply], walk))
        decision = Decision(
            [replies.fallback(content, confidence=match.confidence)],
            unanswered=(best.intent if best else None, match.confidence),
        )
        return self._aside(content, decision, walk, stamp)

    def _answer(
        self,
        knowledge: Knowledge,
        intent_id: str,
        confidence: float,
        walk: FlowState | None,
        runs: RunLog,
        stamp: str,
    ) -> Decision:
        content = knowledge.content
        flow_id = content.intents[intent_id].flow
        if flow_id is not None:
            # Asking for the walk-through you are already on carries on; any other starts.
            verb = "resume" if walk is not None and walk.flow == flow_id else "start"
            outcome = flows.move(content.flows, walk, flows.Action(verb, flow_id), runs, stamp)
            outcome.replies[:] = [
                replace(r, meta=replace(r.meta, intent=intent_id, confidence=confidence))
                for r in outcome.replies
            ]
            return _walked(outcome)
        decision = Decision([replies.answer(content, intent_id, confidence)])
        return self._aside(content, decision, walk, stamp)

    def _act(
        self,
        knowledge: Knowledge,
        value: str,
        state: dict[str, Any],
        walk: FlowState | None,
        runs: RunLog,
        stamp: str,
    ) -> Decision | None:
        content = knowledge.content
        if value.startswith(replies.INTENT_PREFIX):
            intent = value.removeprefix(replies.INTENT_PREFIX)
            if intent in content.intents:
                return self._answer(knowledge, intent, 1.0, walk, runs, stamp)
            return None
        if value == replies.HANDOFF and "talk_to_person" in content.intents:
            decision = Decision([replies.answer(content, "talk_to_person", 1.0)])
        elif value == replies.HANDOFF:
            decision = Decision([replies.fallback(content, confidence=1.0)])
        elif value == replies.NONE_OF_THESE:
            # The suggestions missed: that question is one admins should see.
            decision = Decision(
                [replies.fallback(content)],
                unanswered=(None, 0.0),
                state={"unanswered_text": state.get("question", "")},
            )
        else:
            return None
        return self._aside(content, decision, walk, stamp)

    @staticmethod
    def _aside(
        content: Content, decision: Decision, walk: FlowState | None, stamp: str
    ) -> Decision:
        """Answer off the path of a walk-through, and offer to carry on where they were."""
        if walk is None:
            return decision
        walk.aside = True
        walk.touched = stamp
        last = decision.replies[-1]
        resume = flows.resume_button(content.flows[walk.flow], walk)
        decision.replies[-1] = replace(last, buttons=(*last.buttons, resume))
        decision.state["flow"] = walk.dump()
        return decision

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


def _walked(outcome: flows.Outcome) -> Decision:
    state = {"flow": outcome.state.dump()} if outcome.state is not None else {}
    return Decision(outcome.replies, state)


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

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
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bot.clock import Clock, system_clock
from bot.content.flowgraph import CONTROL_WORDS
from bot.content.loader import Content, load_content
from bot.core import flows, handoff, relay, replies
from bot.core.buttons import Rating
from bot.core.credentials import PLACEHOLDER, mentions_credential
from bot.core.flows import FlowState, RunLog
from bot.core.matcher import Band, Matcher
from bot.core.messages import Button, Message, Reply, storable
from bot.core.model_cache import ModelCache
from bot.core.normalise import fold
from bot.core.redact import redact_checked, redact_credentials_in_context
from bot.core.state import State
from bot.hours import DEFAULT_HELPDESK_HOURS, BusinessHours
from bot.store import DeliveredBefore, Store, StoreRejected, StoreUnavailable
from bot.store.deadline import StoreTimeout, bounded
from bot.store.health import Health
from bot.store.turns import Turn
from bot.tickets.views import FEEDBACK_PREFIX, Requester, TicketView

if TYPE_CHECKING:
    from bot.tickets.service import Tickets

log = logging.getLogger(__name__)


MAX_STORED_CHARS = 4_000
DEFAULT_FLOW_TIMEOUT = timedelta(hours=24)


@dataclass(frozen=True)
class Knowledge:
    """Content and the matcher built from it: swapped as one on reload."""

    content: Content
    matcher: Matcher

    @classmethod
    def build(cls, content: Content, models: ModelCache | None = None) -> Knowledge:
        """Content and its matcher; ``models`` keeps the trained model between processes."""
        return cls(content, Matcher(content, models=models))


@dataclass
class Decision:
    replies: list[Reply]
    state: State = field(default_factory=State)
    # (best guess, its score, why: fallback, declined or unhelpful) if not answered well
    unanswered: tuple[str | None, float | None, str] | None = None
    rating: Rating | None = None  # the person's verdict on the answer before, to record
    conceal: bool = False  # store the user's message as [REDACTED]: it may hold a secret


def _none() -> None:
    return None


@dataclass
class _Context:
    """Everything one turn's decision reads: the message, the state, where to record."""

    knowledge: Knowledge
    text: str
    action: str | None
    state: State
    runs: RunLog
    requester: Requester
    now: datetime
    # The engine's tickets, asked for only when the turn needs them: most turns never
    # touch a ticket, and a process that only answers questions never loads them.
    tickets_of: Callable[[], Tickets | None]
    walk: FlowState | None = None
    shared: bool = False
    # False when the turn's opening read found no ticket claimed by an agent: then
    # ``talking`` need not ask the tickets (a transaction of its own) at all.
    maybe_talking: bool = True

    @property
    def content(self) -> Content:
        return self.knowledge.content

    @property
    def tickets(self) -> Tickets | None:
        return self.tickets_of()

    @property
    def stamp(self) -> str:
        return self.now.isoformat()

    # Memoised by hand: functools.cached_property holds one lock per property for every
    # instance in the process (Python 3.11), so a turn stuck on the database in
    # ``talking`` would stall every other turn, even those answering without it.
    @property
    def chosen(self) -> str | None:
        """The button this turn picks: clicked, or typed as its number, label or word."""
        if "_chosen" not in self.__dict__:
            offered = list(self.state.buttons)
            self.__dict__["_chosen"] = self.action or _typed_choice(self.text, offered)
        return self.__dict__["_chosen"]

    @property
    def talking(self) -> TicketView | None:
        """The person's claimed ticket: an agent is talking with them. Never in a shared
        place (a channel thread), where what they write is not meant for the agent."""
        if "_talking" not in self.__dict__:
            found = None
            tickets = self.tickets if self.maybe_talking and not self.shared else None
            if tickets is not None:
                found = tickets.live(self.requester.channel, self.requester.user_id)
            self.__dict__["_talking"] = found
        return self.__dict__["_talking"]


class Engine:
    def __init__(
        self,
        knowledge: Knowledge,
        store: Store | None = None,
        *,
        source: tuple[Path, Path] | None = None,
        flow_timeout: timedelta = DEFAULT_FLOW_TIMEOUT,
        clock: Clock | None = None,
        tickets: Tickets | None = None,
        on_tickets: Callable[[Tickets], None] | None = None,
        hours: BusinessHours | None = None,
        models: ModelCache | None = None,
        watch: bool = False,
    ) -> None:
        self._knowledge = knowledge
        self.watch = watch  # reload on every YAML edit (development; bot.runtime.watch)
        self._models = models
        self.store = store
        self._source = source
        self._reload_lock = threading.Lock()
        self.flow_timeout = flow_timeout
        self._clock = clock or (store.clock if store is not None else system_clock)
        self._tickets = tickets
        self._on_tickets = on_tickets
        self._tickets_lock = threading.Lock()
        self.hours = hours or BusinessHours.parse(DEFAULT_HELPDESK_HOURS)
        self.health = Health(log)

    @classmethod
    def from_folders(
        cls, intents: Path, knowledge: Path, store: Store | None, **options: Any
    ) -> Engine:
        """Load the YAML (raises ``ContentInvalid``) and build an engine that can reload it."""
        content = load_content(intents, knowledge)
        models = options.get("models")
        return cls(Knowledge.build(content, models), store, source=(intents, knowledge), **options)

    @property
    def knowledge(self) -> Knowledge:
        return self._knowledge

    @property
    def tickets(self) -> Tickets | None:
        """The helpdesk's tickets (None without a database), made at their first use, and
        then handed to ``on_tickets`` (to email new ones, say). They need the ORM, which
        was about a fifth of the start of a command that only answers questions."""
        if self._tickets is None and self.store is not None:
            with self._tickets_lock:
                if self._tickets is None:
                    from bot.tickets.service import Tickets

                    made = Tickets(self.store)
                    if self._on_tickets is not None:
                        self._on_tickets(made)
                    self._tickets = made
        return self._tickets

    @property
    def source(self) -> tuple[Path, Path] | None:
        """The intents and knowledge folders this engine reloads from, if any."""
        return self._source

    def reload(self) -> Content:
        """Re-read the YAML. On any error, raise ``ContentInvalid`` and keep the old one."""
        if self._source is None:
            raise RuntimeError("this engine was not built from folders; nothing to reload")
        with self._reload_lock:
            knowledge = Knowledge.build(load_content(*self._source), self._models)
            self._knowledge = knowledge  # one reference swap: in-flight messages are unaffected
        return knowledge.content

    # -- the message path -----------------------------------------------------------------

    def handle(self, message: Message) -> list[Reply]:
        message = storable(message)
        # The secret is detected on the cleaned text; from here on only the redacted text
        # exists.
        text, secret = redact_checked(message.text)
        message = replace(message, text="")
        requester = Requester(
            message.channel,
            message.user_id,
            message.conversation_key,
            message.display_name,
            reach=message.contact,
            may_open=message.may_open_ticket,
        )
        decision = self._stored_turn(message, text, secret, requester)
        if decision is None:
            # Without the database there is no memory, and no tickets either.
            ctx = self._context(text, message.action, State(), flows.NoRuns(), requester, _none)
            ctx.shared = message.shared
            decision = self._decide(ctx, secret)
        for reply in decision.replies:
            log.info(
                "reply channel=%s intent=%s confidence=%.2f fallback=%s",
                message.channel,
                reply.meta.intent,
                reply.meta.confidence,
                reply.meta.fallback,
            )
        return decision.replies

    def _stored_turn(
        self, message: Message, text: str, secret: bool, requester: Requester
    ) -> Decision | None:
        """The turn with memory, or None when the database is gone, slow or refuses it.

        On a database server the turn runs in a thread of its own so that a server that
        hangs costs the person about ``store.timeout`` seconds: then they get the answer
        without memory, and the late turn is rolled back (checked just before its commit)
        rather than saved. Ticket changes made in their own transactions are not undone.
        On SQLite it runs here: each of its waits is bounded, not the whole turn
        (``bot.store.deadline.bounded``); a file locked for good costs the busy timeout.
        """
        store = self.store
        if store is None:
            return None
        late = threading.Event()

        def work() -> Decision:
            with store.turn(
                message.channel,
                message.user_id,
                message.conversation_key,
                abandon=late.is_set,
                delivery=message.delivery,
            ) as turn:
                return self._decide_stored(turn, message, text, secret, requester)

        try:
            decision = bounded(store, work)
        except DeliveredBefore:
            self.health.worked()
            log.info(
                "%s: delivery %s answered before; not again", message.channel, message.delivery
            )
            return Decision([])
        except StoreTimeout as exc:
            late.set()
            self.health.failed(str(exc))
            return None
        except StoreRejected as exc:
            log.warning("this message could not be saved: %s", exc)
            return None
        except StoreUnavailable as exc:
            self.health.failed(str(exc))
            return None
        self.health.worked()
        return decision

    def _decide_stored(
        self, turn: Turn, message: Message, text: str, secret: bool, requester: Requester
    ) -> Decision:
        state = State.load(turn.state)
        if not secret and state.credential_talk:
            # Already talking about the secret: "it's Bluebellwood" shares it.
            text, secret = redact_credentials_in_context(text)
        # News is private: it waits for the person's own conversation.
        news = [] if message.shared or not message.takes_news else turn.take_outbox()
        waiting = [Reply.from_dict(r) for r in news]
        ctx = self._context(text, message.action, state, turn, requester, lambda: self.tickets)
        ctx.shared = message.shared
        ctx.maybe_talking = turn.claimed
        decision = self._decide(ctx, secret)
        if waiting:
            # News first (an agent's reply, a feedback question), and its buttons stay
            # answerable by their typed words next turn.
            decision.replies[:0] = waiting
            _remember(decision)
        if mentions_credential(text) or any(mentions_credential(r.text) for r in decision.replies):
            decision.state.credential_talk = True
        self._record(turn, text, decision)
        return decision

    def noted(self, channel: str, user_id: str, conversation_key: str, news: Reply) -> None:
        """News delivered outside the person's turn (by ``bot.runtime``), written into their
        conversation like news taken in a turn: on the record, and its buttons answerable
        by typed words next turn.
        """
        store = self.store
        if store is None:
            return

        def note() -> None:
            with store.turn(channel, user_id, conversation_key) as turn:
                turn.add_message("out", news.text)
                if news.buttons:  # the newest choices on screen: "yes" and "2" answer these
                    turn.state = replace(State.load(turn.state), buttons=news.buttons).dump()

        # Bounded like a turn: a delivery stuck on the database would hold up the others.
        bounded(store, note)

    def _context(
        self,
        text: str,
        action: str | None,
        state: State,
        runs: RunLog,
        requester: Requester,
        tickets_of: Callable[[], Tickets | None],
    ) -> _Context:
        return _Context(
            self._knowledge, text, action, state, runs, requester, self._clock(), tickets_of
        )

    def _decide(self, ctx: _Context, secret: bool) -> Decision:
        walk, notice = self._current_walk(ctx, ctx.state.flow)
        ctx.walk = walk
        decision = self._decide_in(ctx, secret)
        answered = decision.state.relay is None and any(r.buttons for r in decision.replies)
        if ctx.talking is not None and answered:
            # The bot answered someone who is talking with an agent: a typed choice of
            # its buttons ("2") is for the bot; anything else goes to the agent again.
            decision.state.relay = relay.CHOICES
        if notice is not None:
            value = ctx.chosen or ""
            stale = value.startswith(flows.PREFIX) and not value.startswith(flows.START)
            if stale or fold(ctx.text) in CONTROL_WORDS or not fold(ctx.text):
                decision = Decision([notice], unanswered=None)
            else:
                # One set of buttons per turn: the answer's, so numbers stay unambiguous.
                decision.replies.insert(0, replace(notice, buttons=()))
        return _remember(decision)

    def _current_walk(
        self, ctx: _Context, walk: FlowState | None
    ) -> tuple[FlowState | None, Reply | None]:
        """The walk-through still in progress, or a notice that it has lapsed."""
        if walk is None:
            return None, None
        flow = ctx.content.flows.get(walk.flow)
        since = walk.idle_since()
        if flow is None or any(flow.step(s) is None for s in (walk.step, *walk.history)):
            ctx.runs.update_run(walk.run, walk.step, "abandoned")
            text = "The walk-through you were on has changed since, so I've closed it."
            buttons = (flows.start_button(flow, "Start it again"),) if flow else ()
            return None, Reply(text, buttons)
        if since is None or ctx.now - since > self.flow_timeout:
            ctx.runs.update_run(walk.run, walk.step, "abandoned")
            hours = max(1, round(self.flow_timeout.total_seconds() / 3600))
            text = (
                f"Welcome back! I closed **{flow.title}** because it had been left for more "
                f"than {hours} hour{'s' if hours != 1 else ''}. You can start it again at "
                "any time."
            )
            return None, Reply(text, (flows.start_button(flow, "Start it again"),))
        return walk, None

    def _decide_in(self, ctx: _Context, secret: bool) -> Decision:
        content, walk, text = ctx.content, ctx.walk, ctx.text
        if secret:
            return self._aside(ctx, Decision([replies.secret_warning()]))

        if ctx.talking is not None:
            relayed = self._relay(ctx, ctx.talking)
            if relayed is not None:
                return relayed
        chosen = ctx.chosen
        pending = ctx.state.handoff
        if pending is not None and chosen is None:
            # Only a clear yes (or no, or "new problem") answers the offer; anything else
            # is a question of its own, answered below, and the offer lapses.
            answer = handoff.consent(text, pending)
            if answer is not None:
                return self._handoff(ctx, answer, pending)
        if chosen is None and walk is not None:
            typed = flows.typed_action(text, content.flows[walk.flow], walk)
            chosen = typed.value() if typed else None
            step = content.flows[walk.flow].step(walk.step)
            if chosen is None and fold(text) and step is not None and step.sensitive:
                # The step asks people to choose their secret: what they type next may be
                # it. Keep none of it, and answer only a clear question.
                decision = self._sensitive(ctx)
                decision.conceal = True
                return decision
        if chosen is not None:
            flow_action = flows.Action.parse(chosen)
            if flow_action is not None:
                return _walked(flows.move(content.flows, walk, flow_action, ctx.runs, ctx.stamp))
            decision = self._act(ctx, chosen, pending)
            if decision is not None:
                return decision

        if not fold(text):
            if walk is not None:
                move = flows.Action("resume", walk.flow)
                return _walked(flows.move(content.flows, walk, move, ctx.runs, ctx.stamp))
            return Decision([replies.empty_prompt(content, had_symbols=bool(text.strip()))])

        if walk is None and fold(text) in CONTROL_WORDS:
            return Decision([replies.no_walkthrough()])
        match = ctx.knowledge.matcher.match(text)
        best = match.best
        if match.band is Band.ANSWER and best is not None:
            return self._answer(ctx, best.intent, best.score)
        if match.band is Band.SUGGEST:
            options = [(c.intent, c.score) for c in ctx.knowledge.matcher.suggestions(match)]
            decision = Decision([replies.did_you_mean(content, options)])
            decision.state.question = text[:MAX_STORED_CHARS]
            return self._aside(ctx, decision)
        if walk is not None and len(fold(text).split()) <= flows.MAX_LOOSE_WORDS:
            # A short reply that fits no option is a mistyped answer, not a new question.
            preface = "Sorry, I didn't catch that. Please choose one of the options below."
            walk.touched = ctx.stamp
            walk.aside = False  # the step is on screen again, so its words work again
            reply = flows.render(content.flows[walk.flow], walk, preface=preface)
            return _walked(flows.Outcome([reply], walk))
        misses = ctx.state.misses + 1
        reply = replies.fallback(content, confidence=match.confidence, again=misses >= 2)
        guess = best.intent if best else None
        decision = Decision([reply], unanswered=(guess, match.confidence, "fallback"))
        decision.state.misses = misses
        decision.state.question = text[:MAX_STORED_CHARS]
        return self._aside(ctx, decision)

    def _sensitive(self, ctx: _Context) -> Decision:
        matcher = ctx.knowledge.matcher
        match = matcher.match(ctx.text)
        # Only the plain and agreed bars: a typed secret (a word or two the knowledge
        # does not know) must not pass as a question by being the only candidate.
        band = matcher.band_of(match, matcher.thresholds.without_clear_lead())
        if band is Band.ANSWER and match.best is not None:
            return self._answer(ctx, match.best.intent, match.best.score)
        return self._aside(ctx, Decision([replies.secret_warning(maybe=True)]))

    def _answer(self, ctx: _Context, intent_id: str, confidence: float) -> Decision:
        content, walk = ctx.content, ctx.walk
        intent = content.intents[intent_id]
        if intent.does is not None:
            # Built-in actions say which intent asked for them, for logs and evaluation.
            decision = self._does(ctx, intent.does)
            decision.replies[:] = [
                r if r.meta.intent else replace(r, meta=replace(r.meta, intent=intent_id))
                for r in decision.replies
            ]
            return decision
        if intent.flow is not None:
            # Asking for the walk-through you are already on carries on; any other starts.
            verb = "resume" if walk is not None and walk.flow == intent.flow else "start"
            action = flows.Action(verb, intent.flow)
            outcome = flows.move(content.flows, walk, action, ctx.runs, ctx.stamp)
            outcome.replies[:] = [
                replace(r, meta=replace(r.meta, intent=intent_id, confidence=confidence))
                for r in outcome.replies
            ]
            return _walked(outcome)
        decision = Decision([replies.answer(content, intent_id, confidence)])
        decision.state.topic = intent_id
        # A click on a suggestion answers the question typed before it, not the click.
        asked = ctx.state.question if ctx.chosen and ctx.state.question else ctx.text
        decision.state.asked = asked[:MAX_STORED_CHARS]
        return self._aside(ctx, decision)

    def _does(self, ctx: _Context, does: str) -> Decision:
        if does == "handoff":
            return self._act(ctx, replies.HANDOFF, None) or Decision([])
        if ctx.shared:
            return self._aside(ctx, Decision([replies.private_only()]))
        if ctx.tickets is None:
            return Decision([handoff.unavailable()])
        return self._aside(ctx, Decision([handoff.status(ctx.tickets, ctx.requester)]))

    def _act(self, ctx: _Context, value: str, pending: handoff.Pending | None) -> Decision | None:
        content = ctx.content
        if value.startswith(replies.INTENT_PREFIX):
            intent = value.removeprefix(replies.INTENT_PREFIX)
            if intent in content.intents:
                return self._answer(ctx, intent, 1.0)
            return None
        if value in handoff.CHOICES:
            if pending is None and value == handoff.CANCEL:
                return Decision([handoff.cancelled()])
            if pending is None:  # an offer that has lapsed: make it afresh
                return self._act(ctx, replies.HANDOFF, None)
            return self._handoff(ctx, handoff.Consent(value), pending)
        if value == relay.ASK_BOT:  # clicked when no agent is talking with them
            return Decision([relay.bot_listens_anyway()])
        rating = Rating.parse(value)
        if rating is not None:
            return self._aside(ctx, self._rated(ctx, value, rating))
        if value.startswith(FEEDBACK_PREFIX) and ctx.tickets is not None:
            reply = handoff.feedback(ctx.tickets, value)
            return Decision([reply]) if reply is not None else None
        if value == replies.HANDOFF:
            if ctx.tickets is None and "talk_to_person" in content.intents:
                decision = Decision([replies.answer(content, "talk_to_person", 1.0)])
            elif ctx.tickets is None:
                decision = Decision([replies.fallback(content, confidence=1.0)])
            else:
                requester = ctx.requester
                existing = ctx.tickets.current(requester.channel, requester.user_id)
                decision = Decision([handoff.confirm(content, existing, private=not ctx.shared)])
                pending = handoff.request(
                    content,
                    flow=ctx.walk.flow if ctx.walk else None,
                    intent=ctx.state.topic,
                    question=ctx.state.question,
                    existing=existing,
                )
                decision.state.handoff = pending
        elif value == replies.NONE_OF_THESE:
            # The suggestions missed: that question is one admins should see.
            decision = Decision(
                [replies.fallback(content)],
                unanswered=(None, 0.0, "declined"),
                state=State(unanswered_text=ctx.state.question or ""),
            )
            decision.state.question = ctx.state.question or ""
        else:
            return None
        return self._aside(ctx, decision)

    @staticmethod
    def _rated(ctx: _Context, value: str, rating: Rating) -> Decision:
        decision = Decision([replies.rated(ctx.content, rating.helpful)])
        if not any(b.value == value for b in ctx.state.buttons):
            # An older answer's buttons, or a second click: thanked, not counted twice.
            return decision
        decision.rating = rating
        if not rating.helpful:
            # A person asked next is asked about this answer's question.
            decision.state.topic = rating.intent
            decision.state.question = ctx.state.asked
            if ctx.state.asked:
                decision.unanswered = (rating.intent, None, "unhelpful")
                decision.state.unanswered_text = ctx.state.asked
        return decision

    def _handoff(
        self, ctx: _Context, answer: handoff.Consent, pending: handoff.Pending
    ) -> Decision:
        if answer.value == handoff.CANCEL or ctx.tickets is None:
            return self._aside(ctx, Decision([handoff.cancelled()]))
        reply = handoff.decide(ctx.tickets, self.hours, ctx.requester, pending, answer, ctx.now)
        return self._aside(ctx, Decision([reply]))

    def _relay(self, ctx: _Context, ticket: TicketView) -> Decision | None:
        """Pass the message to the agent on ``ticket``; None when it is for the bot."""
        assert ctx.tickets is not None, "only a person with tickets is talking with an agent"
        mode = ctx.state.relay
        if ctx.action == relay.ASK_BOT or (ctx.action is None and relay.wants_bot(ctx.text)):
            decision = Decision([relay.bot_listens(ticket)], state=State(relay=relay.NEXT))
        elif ctx.action is not None or mode == relay.NEXT:
            return None  # a click, or the message after "bot": for the bot
        elif mode == relay.CHOICES and ctx.chosen is not None:
            return None  # picks one of the buttons the bot just offered
        elif not ctx.text.strip():
            decision = Decision([relay.nothing_to_send(ticket)])
        else:
            again = mode == relay.SENT
            reply = relay.forward(ctx.tickets, ctx.requester, ticket, ctx.text, again=again)
            decision = Decision([reply], state=State(relay=relay.SENT))
        if ctx.walk is not None:  # a walk-through waits; "continue" once the chat is over
            decision.state.flow = ctx.walk
        return decision

    @staticmethod
    def _aside(ctx: _Context, decision: Decision) -> Decision:
        """Answer off the path of a walk-through, and offer to carry on where they were."""
        walk = ctx.walk
        if walk is None or not decision.replies:
            return decision
        walk.aside = True
        walk.touched = ctx.stamp
        last = decision.replies[-1]
        resume = flows.resume_button(ctx.content.flows[walk.flow], walk)
        decision.replies[-1] = replace(last, buttons=(*last.buttons, resume))
        decision.state.flow = walk
        return decision

    @staticmethod
    def _record(turn: Turn, text: str, decision: Decision) -> None:
        stored = text if len(text) <= MAX_STORED_CHARS else text[:MAX_STORED_CHARS] + " [...]"
        if decision.conceal:
            stored = PLACEHOLDER
        turn.add_message("in", stored)
        for reply in decision.replies:
            band = (
                "fallback" if reply.meta.fallback else "suggest" if reply.meta.suggestions else None
            )
            turn.add_message(
                "out",
                reply.text,
                intent=reply.meta.intent,
                confidence=reply.meta.confidence,
                band=band,
            )
        if decision.unanswered is not None:
            question = decision.state.unanswered_text or stored
            turn.add_unanswered(question, *decision.unanswered)
        if decision.rating is not None:
            turn.add_rating(decision.rating.intent, decision.rating.helpful)
        turn.state = decision.state.dump()


def _walked(outcome: flows.Outcome) -> Decision:
    return Decision(outcome.replies, State(flow=outcome.state))


def _remember(decision: Decision) -> Decision:
    """Keep the buttons on offer so that a typed '2' or 'none' can pick one next turn."""
    buttons = [b for reply in decision.replies for b in reply.buttons]
    decision.state.buttons = tuple(buttons)
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
        if typed and typed in _button_words(button.typed, button.label):
            return button.value
    return None


@lru_cache(maxsize=1024)
def _button_words(typed: str, label: str) -> tuple[str, str]:
    """A button's typed word and label as ``fold`` leaves them: the same few buttons are
    on offer turn after turn."""
    return fold(typed), fold(label)

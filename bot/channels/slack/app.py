"""The Slack app: bolt listeners that turn Slack requests into core messages and back.

Every listener acknowledges at once and leaves its work to the worker's bounded backlog
(``intake``, ``backlog``), so Slack always hears back within its 3 seconds; when the
backlog is full the request is refused unacknowledged and Slack sends it again later.
What to say is the engine's business; this module only reads Slack's payloads and makes
Web API calls.
"""

from __future__ import annotations

import functools
import logging
import re
import traceback
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot.admin import AdminCommands
from bot.channels.slack import records, render
from bot.channels.slack.afterturns import AfterTurns
from bot.channels.slack.backlog import Backlog, Thought, Work
from bot.channels.slack.cards import CLAIM, RESOLVE, HelpdeskCards
from bot.channels.slack.deliveries import Deliveries
from bot.channels.slack.home import home_view
from bot.channels.slack.inbound import plain_text
from bot.channels.slack.intake import Intake, event_id_of
from bot.channels.slack.webclient import KeepAliveClient
from bot.config import SlackSettings
from bot.core import relay, replies
from bot.core.engine import Engine
from bot.core.messages import Message, Reply
from bot.runtime import Runtime
from bot.store import StoreUnavailable
from bot.tickets.views import TicketError, TicketView

log = logging.getLogger(__name__)
T = TypeVar("T")

CHANNEL = "slack"  # the core's name for this channel (tickets, outbox, conversations)
BUTTONS = re.compile(rf"^{re.escape(render.BUTTON_ACTION)}\.\d+$")
LINKS = re.compile(rf"^{re.escape(render.LINK_ACTION)}\.\d+$")
# Subtypes that are still a person writing; every other subtype (edits, deletions,
# joins, old-style bot messages) is not a question.
PERSON_SUBTYPES = {None, "file_share", "thread_broadcast"}
ASK, ADMIN = "/nhsmail", "/nhsmail-admin"  # the slash commands in manifest.yaml
RATE_LIMIT_RETRIES = 3
# Threads running the backlog in each worker: most of an answer's time against slack.com
# is spent waiting for the Web API (a tenth of a second a call), which threads overlap.
# They bound a worker's answers to about WORK_THREADS * 10 a second: in `helpbot bench
# --slack --api-ms 100`, 16 threads answered 155 a second with the worker's CPU 41% used,
# 64 answered 616 with it 88% used; with no wait (`--api-ms 0`) 64 cost no more than 16,
# since a thread waiting for a reply holds nothing but its stack.
WORK_THREADS = 64
# How much nicer than the thinking thread the threads that serve requests and the
# backlog's others run (see ``Backlog``). In `helpbot bench --slack`, thread switches an
# answer and ack p99: 0, 17 and 17-22 ms; 5, 11 and 17-20 ms; 7, 9.3 and 19-21 ms;
# 8, 8.8 and 21-28 ms; 10, 8 and 32-36 ms.
NICER = 7


def make_client(slack: SlackSettings, logger: logging.Logger | None = None) -> WebClient:
    """A Web API client that keeps its connections open, waits out rate limits (429 +
    Retry-After) and retries; ``logger``, if given, for the SDK's own messages."""
    options: dict[str, Any] = {"token": slack.bot_token, "logger": logger}
    if slack.api_base_url:
        options["base_url"] = slack.api_base_url
    client = KeepAliveClient(**options)
    client.retry_handlers = [
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=RATE_LIMIT_RETRIES),
    ]
    return client


def quiet_bolt_logger() -> logging.Logger:
    """bolt's logger, held at WARNING or above whatever HELPBOT_LOG_LEVEL says.

    At INFO and DEBUG bolt logs whole request bodies (people's messages, and the body of
    every request it refuses). Its loggers copy their level when they are made, from the
    root logger or from the logger given to ``App``, so every one made so far is raised
    and this one is given to ``App`` for the rest.
    """
    base = logging.getLogger("slack_bolt")
    names = [n for n in logging.Logger.manager.loggerDict if n.startswith("slack_bolt.")]
    for logger in [base, *map(logging.getLogger, names)]:
        logger.setLevel(max(logging.WARNING, logger.level))
    return base


def _ack(ack: Callable[..., None]) -> None:
    ack()


def _unreadable(error: Exception) -> BoltResponse:
    """bolt failed on a request that passed the signature check: one it cannot read.

    Logged as one line without the body or the error's text (either can hold what someone
    wrote), only where it failed; answered 400, which Slack does not retry as it does a 500.
    """
    frames = traceback.extract_tb(error.__traceback__)
    where = f"{frames[-1].filename}:{frames[-1].lineno}" if frames else "?"
    log.error(
        "slack: a signed request could not be handled (%s at %s)", type(error).__name__, where
    )
    return BoltResponse(status=400, body="")


def _attempt(bot: SlackBot, name: str, body: dict[str, Any], step: Callable[[], T]) -> T | None:
    """``step()``: work after the ack, whose failure must reach the log and the user."""
    try:
        return step()
    except Exception:  # noqa: BLE001 - the person must hear something, whatever broke
        log.exception("slack: %s failed", name)
        bot.sorry(body)
        return None


def _guarded(work: Callable[..., None]) -> Callable[..., None]:
    """A listener's work, run on a backlog thread after the ack (``_attempt``)."""

    @functools.wraps(work)
    def run(self: SlackBot, body: dict[str, Any], **kwargs: Any) -> None:
        _attempt(self, work.__name__, body, lambda: work(self, body, **kwargs))

    return run


def _decided(bot: SlackBot, name: str, body: dict[str, Any], decide: Thought) -> Work | None:
    """``decide()`` on the thinking thread: what it returns to do (Web API calls) runs on a
    backlog thread, as ``_attempt``; a failed decision is told to the person from a
    backlog thread too, so that the thinking thread does not wait for slack.com."""
    try:
        then = decide()
    except Exception:  # noqa: BLE001 - said below, from a backlog thread
        log.exception("slack: %s failed", name)
        return functools.partial(bot.sorry, body)
    if then is None:
        return None
    return functools.partial(_attempt, bot, name, body, then)


def _thinking(work: Callable[..., Work | None]) -> Callable[..., Work | None]:
    """A listener that decides on the backlog's thinking thread (``_decided``)."""

    @functools.wraps(work)
    def run(self: SlackBot, body: dict[str, Any], **kwargs: Any) -> Work | None:
        return _decided(self, work.__name__, body, lambda: work(self, body, **kwargs))

    return run


def _user_of(body: dict[str, Any]) -> str | None:
    user = body.get("user") or body.get("event", {}).get("user") or body.get("user_id")
    return user.get("id") if isinstance(user, dict) else user


class SlackBot:
    """The bolt ``App`` with helpbot's listeners, and Slack as a channel of the runtime."""

    name = CHANNEL

    def __init__(
        self,
        engine: Engine,
        slack: SlackSettings,
        *,
        client: WebClient | None = None,
        socket_mode: bool = False,
    ) -> None:
        self.engine = engine
        self.store = engine.store
        self.tickets = engine.tickets
        self.slack = slack
        self.client = client or make_client(slack)
        self.app = App(
            client=self.client,
            signing_secret=slack.signing_secret or "",
            # Acknowledge first, work from the backlog: the same code under gunicorn and
            # Socket Mode, and never a 3-second timeout (which Slack would retry).
            process_before_response=True,
            request_verification_enabled=not socket_mode,
            # `helpbot slack` checked the token before starting workers; a worker that
            # restarts while Slack is unreachable must still boot (bolt asks on first use).
            token_verification_enabled=False,
            logger=quiet_bolt_logger(),
        )
        self.admin = AdminCommands(engine, slack.admin_users)
        self.cards: HelpdeskCards | None = None
        if self.store is not None and self.tickets is not None:
            self.cards = HelpdeskCards(
                self.client, self.store, self.tickets, slack.helpdesk_channel
            )
        self.runtime = Runtime(engine, self, helpdesk=self.cards)
        self.backlog = Backlog(slack.queue, WORK_THREADS, nicer=NICER)
        self.intake = Intake(self.backlog, Deliveries(self.store))
        self.after_turns = AfterTurns(self.runtime, self.backlog)
        self._register()

    def stop(self, wait: float) -> bool:
        """Stop syncing and taking work; finish what was acknowledged within ``wait`` s."""
        self.runtime.stop()
        left = self.backlog.state().size
        if left:
            log.warning("slack: stopping; finishing %d acknowledged request(s) first", left)
        return self.backlog.close(wait)

    # -- wiring -----------------------------------------------------------------------------

    def _register(self) -> None:
        app = self.app
        app.error(_unreadable)
        app.use(self.intake.dedupe)
        # A person's message is claimed in its turn; what is not a turn, with ``first``.
        # What a turn answers is decided on the backlog's one thinking thread (``Backlog``).
        thinks = functools.partial(self.intake.queued, thinks=True)
        app.event("message")(thinks(self._on_message, claims=True))
        app.event("app_mention")(thinks(self._on_mention, claims=True))
        app.event("app_home_opened")(self.intake.queued(self._on_home))
        app.action(BUTTONS)(thinks(self._on_click))
        app.action(LINKS)(_ack)  # a link button opens the page in the browser; nothing to do
        app.action(CLAIM)(self.intake.queued(self._on_claim))
        app.action(RESOLVE)(self.intake.queued(self._on_resolve))
        app.command(ASK)(thinks(self._on_command))
        app.command(ADMIN)(self.intake.queued(self._on_admin))

    # -- staff ------------------------------------------------------------------------------

    @_thinking
    def _on_message(self, body: dict[str, Any], event: dict[str, Any]) -> Work | None:
        if event.get("subtype") not in PERSON_SUBTYPES or event.get("bot_id"):
            return None  # edits, joins, and other bots (bolt already drops our own messages)
        user, channel = event.get("user"), event.get("channel")
        if not user or not channel:
            return None
        text = plain_text(event.get("text"))
        if event.get("channel_type") == "im":
            # While their ticket is claimed the engine passes this to the agent (the
            # core's rule, bot.core.relay) and the runtime shows it in the card's thread.
            message = Message(user_id=user, text=text, channel=CHANNEL, delivery=event_id_of(body))
            return self._saying(channel, self.runtime.handle(message))
        thread = event.get("thread_ts")
        if not self._in_helpdesk_channel(channel, thread):
            return None  # any other channel message is not for us: mentions come as app_mention
        # Finding the card may take a few looks (``ticket_in_thread``): not on this thread.
        return functools.partial(self._in_helpdesk_thread, body, user, channel, thread, text)

    def _in_helpdesk_channel(self, channel: str, thread_ts: str | None) -> bool:
        """Whether a message is in a thread of the helpdesk channel, where a card may head
        it; finding out which takes the database (``_in_helpdesk_thread``)."""
        return self.cards is not None and bool(thread_ts) and channel == self.cards.channel

    def _in_helpdesk_thread(
        self, body: dict[str, Any], user: str, channel: str, thread: str, text: str
    ) -> None:
        assert self.cards is not None
        ref = self.cards.ticket_in_thread(channel, thread)
        if ref is not None and self.intake.first(body):
            self._from_agent(ref, user, channel, thread, text)

    @_thinking
    def _on_mention(self, body: dict[str, Any], event: dict[str, Any]) -> Work | None:
        user, channel = event.get("user"), event.get("channel")
        if not user or not channel or event.get("bot_id"):
            return None
        thread = event.get("thread_ts") or event.get("ts")
        # A thread in a channel is its own, shared conversation: the engine keeps
        # anything private (ticket news, the person's tickets) for their DM.
        message = Message(
            user_id=user,
            text=plain_text(event.get("text")),
            channel=CHANNEL,
            conversation_id=f"{channel}:{thread}",
            shared=not channel.startswith("D"),
            delivery=event_id_of(body),
        )

        def answer() -> Work:
            return self._saying(channel, self.runtime.handle(message), thread_ts=thread)

        if not self._in_helpdesk_channel(channel, event.get("thread_ts")):
            return answer()
        # In a thread of the helpdesk channel: first, on a backlog thread (finding the card
        # may take a few looks), whether it is a card's, where an agent talks to the
        # requester and the message listener relays it; if not, the turn, back here.
        return functools.partial(self._unless_a_card, body, channel, thread, answer)

    def _unless_a_card(
        self, body: dict[str, Any], channel: str, thread: str, answer: Thought
    ) -> Thought | None:
        assert self.cards is not None
        if self.cards.ticket_in_thread(channel, thread):
            return None
        return functools.partial(_decided, self, "_on_mention", body, answer)

    def _saying(self, channel: str, found: list[Reply], thread_ts: str | None = None) -> Work:
        """Post an answer, then push what its turn left for others."""

        def say() -> None:
            self._post(channel, found, thread_ts=thread_ts)
            self.after_turns.ended()

        return say

    @_thinking
    def _on_command(self, body: dict[str, Any], command: dict[str, Any], respond: Any) -> Work:
        user = command["user_id"]
        text = plain_text(command.get("text"))
        if not text:
            found = [replies.quick_actions(self.engine.knowledge.content)]
        else:
            found = self.runtime.handle(Message(user_id=user, text=text, channel=CHANNEL))
        shown = render.message(found)

        def say() -> None:
            respond(response_type="ephemeral", replace_original=False, **shown)
            self.after_turns.ended()

        return say

    @_thinking
    def _on_click(self, body: dict[str, Any], action: dict[str, Any], respond: Any) -> Work:
        user = body["user"]["id"]
        label = (action.get("text") or {}).get("text", "")
        container = body.get("container") or {}
        where = container.get("type")
        ephemeral = bool(container.get("is_ephemeral"))
        channel = container.get("channel_id") or (body.get("channel") or {}).get("id")
        clicked = body.get("message") or {}
        thread = clicked.get("thread_ts")
        private = where != "message" or ephemeral or str(channel).startswith("D")
        key = None if private else f"{channel}:{thread or container.get('message_ts')}"
        message = Message(
            user_id=user,
            text=label,
            channel=CHANNEL,
            conversation_id=key,
            action=action.get("value"),
            shared=key is not None,
        )
        answer = self.runtime.handle(message)
        spent = {"blocks": render.chosen(clicked.get("blocks") or [], label)}
        spent["text"] = clicked.get("text") or label

        def say() -> None:
            if where == "message" and ephemeral and not clicked.get("blocks"):
                # Slack sends no copy of an ephemeral message: the answer takes its place.
                respond(replace_original=True, **render.message(answer))
            elif where == "message" and ephemeral:
                respond(replace_original=True, **spent)
                respond(response_type="ephemeral", replace_original=False, **render.message(answer))
            elif where == "message" and channel:
                try:
                    self.client.chat_update(channel=channel, ts=container["message_ts"], **spent)
                except SlackApiError as exc:  # an old message: still answer the click
                    log.warning("slack: could not update the clicked message: %s", exc)
                self._post(channel, answer, thread_ts=thread)
            else:  # the App Home: answer in the person's DM with the app
                self._post(user, answer)
            self.after_turns.ended()

        return say

    @_guarded
    def _on_home(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        if event.get("tab", "home") != "home" or not event.get("user"):
            return
        self.publish_home(event["user"])

    def publish_home(self, user: str) -> None:
        tickets: list[TicketView] = []
        if self.tickets is not None:
            try:
                tickets = self.tickets.for_requester(CHANNEL, user)
            except StoreUnavailable as exc:
                log.warning("slack: home without tickets: %s", exc)
        view = home_view(self.engine.knowledge.content, tickets)
        self.client.views_publish(user_id=user, view=view)

    # -- agents -----------------------------------------------------------------------------

    def _from_agent(self, ref: str, agent: str, channel: str, thread: str, text: str) -> None:
        assert self.tickets is not None
        outcome = relay.from_agent(self.tickets, ref, agent, text)
        if outcome.requester is not None:
            self.runtime.push(outcome.requester)
        elif outcome.why_not is not None:
            self.client.chat_postEphemeral(
                channel=channel, user=agent, thread_ts=thread, text=outcome.why_not
            )

    @_guarded
    def _on_claim(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        self._ticket_action(body, action, "claim")

    @_guarded
    def _on_resolve(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        self._ticket_action(body, action, "resolve")

    def _ticket_action(self, body: dict[str, Any], action: dict[str, Any], verb: str) -> None:
        if self.tickets is None or self.cards is None:
            return
        agent = body["user"]["id"]
        ref = str(action.get("value", ""))
        try:
            if verb == "claim":
                shown = body["user"].get("name") or body["user"].get("username")
                view = self.tickets.claim(ref, agent, display=shown)
            else:
                view = self.tickets.resolve(ref, agent)
        except TicketError as exc:
            channel = (body.get("channel") or {}).get("id") or self.slack.helpdesk_channel
            self.client.chat_postEphemeral(channel=channel, user=agent, text=str(exc))
            self.cards.refresh(ref)  # show who really has it
            return
        self.cards.refresh(view.ref)
        self.runtime.push(view.requester["user_id"])

    # -- pushing news -----------------------------------------------------------------------

    def _post(self, channel: str, found: list[Reply], thread_ts: str | None = None) -> None:
        if not found:
            return
        options = {"thread_ts": thread_ts} if thread_ts else {}
        self.client.chat_postMessage(channel=channel, **options, **render.message(found))

    def sorry(self, body: dict[str, Any]) -> None:
        """Tell whoever sent ``body`` that something went wrong (work for it failed)."""
        user = _user_of(body)
        if user:
            self.post_safely(user, [replies.trouble(self.engine.knowledge.content)])

    def post_safely(self, channel: str, found: list[Reply]) -> None:
        try:
            self._post(channel, found)
        except Exception:  # noqa: BLE001 - the last resort must not raise in turn
            log.exception("slack: could not tell %s that something went wrong", channel)

    def deliver(self, recipient: str, replies: Sequence[Reply]) -> None:
        """News for a person (an agent's reply, ticket changes): to their DM with the app."""
        self._post(recipient, list(replies))

    def tidy(self) -> None:
        if self.store is not None:
            records.forget_events(self.store)

    # -- admins -----------------------------------------------------------------------------

    @_guarded
    def _on_admin(self, body: dict[str, Any], command: dict[str, Any], respond: Any) -> None:
        result = self.admin.run(command["user_id"], CHANNEL, command.get("text") or "")
        if result.allowed and result.action == "reload":
            self.runtime.reloaded_here()
        respond(
            response_type="ephemeral",
            replace_original=False,
            **render.message([Reply(result.text)]),
        )

"""The Teams app: the Agents SDK's adapter and application around the one core.

The SDK checks each request's Bot Connector token (``server``), and sends what we give
it to the activity's ``serviceUrl``; this module only turns activities into core
messages (``inbound``), replies into cards (``cards``), and is the runtime's channel
for news between turns (``deliver``), sent to the reference each person last wrote from.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from microsoft_agents.activity import Activity, ActivityTypes, ConversationReference
from microsoft_agents.authentication.msal import MsalConnectionManager
from microsoft_agents.hosting.aiohttp import CloudAdapter
from microsoft_agents.hosting.core import (
    AgentApplication,
    AgentAuthConfiguration,
    MessageFactory,
    OutboundHostValidator,
    Storage,
    TurnContext,
    TurnState,
)
from yarl import URL

from bot.channels.teams import records
from bot.channels.teams.cards import attachment, cards, chosen_card
from bot.channels.teams.inbound import CHANNEL, Inbound, inbound
from bot.channels.teams.proactive import Outcome, send_all
from bot.config import LOOPBACK_HOSTS, TeamsSettings
from bot.core.engine import Engine
from bot.core.messages import Reply
from bot.runtime import Runtime
from bot.runtime.channel import Unreachable
from bot.store import StoreError

log = logging.getLogger(__name__)

# Said instead of the SDK's default, which sends the person the exception's own text.
SORRY = (
    "Sorry, something went wrong on my side. Please try again in a minute. If you need "
    "help now, contact the NHSmail Helpdesk: helpdesk@nhs.net, 0333 200 1133."
)
DELIVERY_SECONDS = 120.0  # one person's news, retries included (see proactive.BUDGET)
WORK_THREADS = 16
T = TypeVar("T")


class ServiceHosts(OutboundHostValidator):
    """The hosts replies may go to: Microsoft's Bot Connector and hosts listed on purpose.

    The SDK's own list also allows storage and SharePoint domains anyone can rent a
    name under; it is not used. Its validator never allows a loopback address: the
    Microsoft 365 Agents Playground (and the tests' fake) run on one, so a loopback host
    is allowed, over http too, only when the settings list it.
    """

    def __init__(self, hosts: Sequence[str]) -> None:
        self._loopback = {h for h in hosts if h in LOOPBACK_HOSTS}
        others = [h for h in hosts if h not in LOOPBACK_HOSTS]
        # Enabled whatever the list holds: the SDK leaves it off when given no hosts.
        super().__init__(others, enabled=True, include_default_microsoft_hosts=False)

    def is_allowed(self, url: str | URL) -> bool:
        found = URL(str(url))
        if found.host in self._loopback and found.scheme in ("http", "https"):
            return True
        return bool(super().is_allowed(url))


class NoStorage(Storage):
    """The SDK's per-conversation state, not kept: the core keeps its own in the database,
    and a ``MemoryStorage`` would grow with every person who ever wrote."""

    async def read(self, keys: list[str], *, target_cls: Any = None, **kwargs: Any) -> dict:
        return {}

    async def write(self, changes: dict[str, Any]) -> None:
        return None

    async def delete(self, keys: list[str]) -> None:
        return None


class TeamsBot:
    """One worker's Teams app: turns in, cards out, news pushed between turns."""

    name = CHANNEL

    def __init__(self, engine: Engine, settings: TeamsSettings) -> None:
        from microsoft_agents.activity import load_configuration_from_env

        self.settings = settings
        self.store = engine.store
        config = load_configuration_from_env(settings.sdk)
        if settings.anonymous:  # development only: the SDK neither checks nor sends tokens
            anonymous = {"SETTINGS": {"ANONYMOUS_ALLOWED": True}}
            config = {**config, "CONNECTIONS": {"SERVICE_CONNECTION": anonymous}}
        else:  # the token's issuer too, not only its signature and audience
            service = config["CONNECTIONS"].setdefault("SERVICE_CONNECTION", {})
            service.setdefault("SETTINGS", {})["VALIDATE_ISSUER"] = True
        self.connections = MsalConnectionManager(**config)
        self.adapter = CloudAdapter(
            connection_manager=self.connections,
            host_validator=ServiceHosts(settings.service_hosts),
        )
        self.adapter.on_turn_error = self._on_turn_error
        self.app = AgentApplication[TurnState](
            storage=NoStorage(),
            connection_manager=self.connections,
            start_typing_timer=False,  # its timer races the reply; the typing is sent here
            **config,
        )
        self.app.activity(ActivityTypes.message)(self._on_message)
        self.app.conversation_update("membersAdded")(self._on_added)
        self.app.error(self._on_app_error)
        self.runtime = Runtime(engine, self)
        self.loop: asyncio.AbstractEventLoop | None = None
        # The core and the database block: they run here, not in the loop's default pool,
        # which the SDK uses to fetch tokens and keys (a delivery waits on those).
        self.work = ThreadPoolExecutor(WORK_THREADS, thread_name_prefix="teams-work")
        self._pushing: set[asyncio.Task[None]] = set()

    def auth_configuration(self) -> AgentAuthConfiguration:
        """What the SDK's token middleware checks incoming requests against."""
        return self.connections.get_default_connection_configuration()

    # -- turns ------------------------------------------------------------------------------

    async def _on_message(self, context: TurnContext, _state: TurnState) -> None:
        found = inbound(_json(context.activity))
        if found is None:
            return
        if not await self._blocking(self._first_time, found, context):
            return  # the Bot Connector's retry of an activity already answered
        await context.send_activity(Activity(type=ActivityTypes.typing))
        replies = await self._blocking(self.runtime.handle, found.message)
        if found.click is not None and found.reply_to:
            await self._spend(context, found)
        for activity in activities(replies):
            await context.send_activity(activity)
        # News for others (the helpdesk) and for this person goes after the answer, not
        # before it: the Bot Connector gives a turn about 15 seconds.
        task = asyncio.create_task(self._blocking(self.runtime.after_turn, found.message.user_id))
        self._pushing.add(task)
        task.add_done_callback(self._pushing.discard)

    async def _blocking(self, work: Callable[..., T], *args: Any) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.work, functools.partial(work, *args))

    def _first_time(self, found: Inbound, context: TurnContext) -> bool:
        """Record the activity (False if it was seen) and where its sender can be reached."""
        if self.store is None:
            return True
        try:
            key = f"{found.conversation}|{found.activity_id}" if found.activity_id else ""
            if not records.first_delivery(self.store, key):
                return False
            if not found.message.shared:
                reference = _json(context.activity.get_conversation_reference())
                records.remember(self.store, found.message.user_id, reference)
        except StoreError as exc:  # answered all the same: the core says what it can
            log.warning("teams: could not record the activity: %s", exc)
        return True

    async def _spend(self, context: TurnContext, found: Inbound) -> None:
        """Replace the clicked card with the choice: Teams keeps old cards clickable."""
        assert found.click is not None
        spent = MessageFactory.attachment(attachment(chosen_card(found.click.label)))
        spent.id = found.reply_to
        try:
            await context.update_activity(spent)
        except Exception as exc:  # noqa: BLE001 - the answer matters more than the old card
            log.warning("teams: could not update the clicked card: %s", exc)

    async def _on_added(self, context: TurnContext, _state: TurnState) -> None:
        """Installed in a 1:1 chat: remember where the person is, before they write."""
        activity = context.activity
        conversation = _json(activity).get("conversation") or {}
        if self.store is None or conversation.get("conversationType", "personal") != "personal":
            return
        bot = activity.recipient.id if activity.recipient else None
        reference = _json(activity.get_conversation_reference())
        for member in activity.members_added or []:
            if member.id == bot:
                continue
            try:
                await self._blocking(records.remember, self.store, member.id, reference)
            except StoreError as exc:  # they will be remembered when they first write
                log.warning("teams: could not remember an install: %s", exc)

    async def _on_app_error(self, context: TurnContext, error: Exception) -> None:
        await self._on_turn_error(context, error)

    async def _on_turn_error(self, context: TurnContext, error: Exception) -> None:
        log.error("teams: turn failed", exc_info=error)
        try:
            await context.send_activity(SORRY)
        except Exception as exc:  # noqa: BLE001 - the person cannot be told: logged
            log.error("teams: could not say sorry: %s", exc)

    # -- news between turns (bot.runtime.Channel) -----------------------------------------

    def deliver(self, recipient: str, replies: Sequence[Reply]) -> None:
        """Send news to ``recipient``'s 1:1 chat; called from the runtime's threads."""
        if self.store is None or self.loop is None:
            raise ConnectionError("the Teams app is not serving yet")
        if self.settings.anonymous:
            raise Unreachable("anonymous (development) mode sends no news between turns")
        if _on_loop(self.loop):
            raise RuntimeError("deliver() waits for the event loop: call it from a thread")
        reference = records.reference_of(self.store, recipient)
        if reference is None:
            raise Unreachable("no Teams chat with them is known (or the app was removed)")
        outgoing = activities(replies)
        future = asyncio.run_coroutine_threadsafe(self._send(reference, outgoing), self.loop)
        try:
            outcome = future.result(timeout=DELIVERY_SECONDS)
        except TimeoutError:
            future.cancel()  # or it would still send after the runtime put the news back
            raise ConnectionError("Teams did not take the news in time") from None
        if outcome.gone:
            records.mark_gone(self.store, recipient)
            raise Unreachable(f"Teams answered {outcome.status}")
        if outcome.failed or outcome.sent != len(outgoing):
            raise ConnectionError(f"Teams answered {outcome.status or 'nothing'}")

    async def _send(self, reference: dict[str, Any], outgoing: list[Activity]) -> Outcome:
        found = Outcome(failed=True)  # unless the callback ran to its end

        async def callback(context: TurnContext) -> None:
            nonlocal found
            try:
                found = await send_all(context.send_activity, outgoing)
            except Exception as exc:  # noqa: BLE001 - the SDK would apologise to the person
                log.error("teams: sending news failed: %s", exc)

        continuation = ConversationReference.model_validate(reference).get_continuation_activity()
        await self.adapter.continue_conversation(
            self.settings.client_id or "", continuation, callback
        )
        return found

    def tidy(self) -> None:
        if self.store is not None:
            records.forget_activities(self.store)


def activities(replies: Sequence[Reply]) -> list[Activity]:
    """The replies as message activities, one Adaptive Card each."""
    return [MessageFactory.attachment(attachment(c)) for r in replies for c in cards(r)]


def _json(model: Any) -> dict[str, Any]:
    return model.model_dump(mode="json", by_alias=True, exclude_none=True)


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False

"""Putting the parts together from settings: the store, the tickets, the engine.

Every front end (the terminal, Slack, later Teams) builds its engine here, so that they
all answer from the same content with the same ticket and email wiring.
"""

from __future__ import annotations

import logging
import sys
from typing import TYPE_CHECKING, Any

from bot.clock import Clock, system_clock
from bot.config import Settings
from bot.content.loader import Content, ContentInvalid, content_files, load_content
from bot.core.engine import Engine, Knowledge
from bot.core.model_cache import ModelCache
from bot.core.snapshot import Snapshots, snapshot_key
from bot.store import Store, StoreUnavailable
from bot.store.deadline import in_background

if TYPE_CHECKING:
    from bot.tickets.service import Tickets

log = logging.getLogger(__name__)


def open_store(settings: Settings, clock: Clock = system_clock) -> Store | None:
    """The database, or None (after a warning on stderr): the bot still answers without it."""
    try:
        return Store(settings.database_url, clock=clock, timeout=settings.db_timeout)
    except StoreUnavailable as exc:
        print(f"warning: {exc}; answering without saving anything", file=sys.stderr)
        return None


def build_engine(
    settings: Settings,
    store: Store | None = None,
    clock: Clock = system_clock,
    *,
    fallback: Content | None = None,
) -> Engine:
    """An engine on the configured content; raises ``ContentInvalid`` if the YAML is bad.

    With ``fallback`` (content already checked, say by the process that started this
    one), a bad YAML is logged in one line and the engine answers from ``fallback``:
    a server process that restarts while someone is mid-edit still serves. It can still
    ``reload`` the files once they are fixed.

    One clock for everything: the store's when there is one, so rows, tickets and
    conversation turns agree on the time.
    """
    folders = (settings.intents_dir, settings.knowledge_dir)
    # Training the matcher takes about a second, and a database that does not answer
    # takes its connect timeout: do both at once, so a bot started during an outage
    # answers as soon as the timeout allows.
    models = model_cache(settings)
    building = in_background(lambda: load_knowledge(settings))
    store = store if store is not None else open_store(settings, clock)
    clock = store.clock if store is not None else clock
    smtp = settings.smtp

    def email_them(tickets: Tickets) -> None:
        from bot.tickets.mailer import TicketMailer
        from bot.tickets.service import email_new_tickets

        assert smtp is not None
        email_new_tickets(tickets, TicketMailer(smtp, clock=clock))

    options: dict[str, Any] = {
        "flow_timeout": settings.flow_timeout,
        "on_tickets": email_them if smtp is not None else None,
        "hours": settings.helpdesk_hours,
        "clock": clock,
        "models": models,
        "watch": settings.watch,
    }
    try:
        knowledge = building.result()
    except ContentInvalid as exc:
        if fallback is None:
            raise
        first = next((str(p) for p in exc.problems if p.severity == "error"), "?")
        log.error(
            "the YAML is invalid (%d problem(s), first %s); answering from the content "
            "checked at start",
            len(exc.problems),
            first,
        )
        knowledge = Knowledge.build(fallback, models)
    return Engine(knowledge, store, source=folders, **options)


def model_cache(settings: Settings) -> ModelCache | None:
    """Where trained models are kept between processes, if anywhere."""
    return ModelCache(settings.model_cache) if settings.model_cache is not None else None


def load_knowledge(settings: Settings) -> Knowledge:
    """The knowledge in the configured folders: from its snapshot when there is one.

    Raises ``ContentInvalid`` if the YAML is bad (a snapshot is only ever made of
    content that loaded).
    """
    folders = (settings.intents_dir, settings.knowledge_dir)
    if settings.model_cache is None:
        return Knowledge.build(load_content(*folders), None)
    snapshots = Snapshots(settings.model_cache)
    key = snapshot_key(content_files(*folders))
    found = snapshots.load(key, Knowledge)
    if found is not None:
        return found
    knowledge = Knowledge.build(load_content(*folders), model_cache(settings))
    if snapshot_key(content_files(*folders)) == key:  # not edited while it was being built
        snapshots.save(key, knowledge)
    return knowledge

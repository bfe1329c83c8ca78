"""Reloading the YAML when a file changes: for admins editing content on a development box.

Production reloads on request (``helpbot reload``, ``/nhsmail-admin reload``), after the
edit went through git; here every save is picked up. A save that breaks the YAML is
reported and the bot keeps answering from the last good version, as with a reload.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from bot.content.loader import Content, ContentInvalid
from bot.core.engine import Engine

log = logging.getLogger(__name__)

Outcome = Content | ContentInvalid


def _yaml(_change: object, path: str) -> bool:
    return path.endswith((".yaml", ".yml"))


def said(outcome: Outcome) -> None:
    """Log what a reload after an edit did."""
    if isinstance(outcome, ContentInvalid):
        errors = [p for p in outcome.problems if p.severity == "error"]
        first = str(errors[0]) if errors else "?"
        log.error(
            "edit not loaded (%d error(s), first %s): still the last good version",
            len(errors),
            first,
        )
    else:
        log.warning(
            "reloaded after an edit: %d intents, %d answers",
            len(outcome.intents),
            len(outcome.answers),
        )


def watch_content(
    engine: Engine, stop: threading.Event, then: Callable[[Outcome], None] = said
) -> threading.Thread | None:
    """A thread reloading ``engine`` after each burst of YAML edits until ``stop``."""
    if engine.source is None:
        return None
    from watchfiles import watch  # only in development

    def loop() -> None:
        for _changes in watch(
            *engine.source, watch_filter=_yaml, stop_event=stop, raise_interrupt=False, debounce=400
        ):
            try:
                outcome: Outcome = engine.reload()
            except ContentInvalid as exc:
                outcome = exc
            then(outcome)

    thread = threading.Thread(target=loop, name="content-watch", daemon=True)
    thread.start()
    return thread

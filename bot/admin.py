"""Admin commands any channel can offer: reload the YAML, usage stats, unanswered questions.

Only configured admins may run them; every attempt, allowed or refused, is written to
the audit log. Replies are Markdown, like the engine's, for each channel to render.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from dataclasses import dataclass

from bot.content.diff import content_diff
from bot.content.loader import ContentInvalid
from bot.core import replies
from bot.core.engine import Engine
from bot.store import Store, StoreUnavailable, audit
from bot.store.db import recent_unanswered
from bot.store.reports import flow_stats, usage

log = logging.getLogger(__name__)

COMMANDS = ("reload", "stats", "unanswered")
USAGE = "Usage: `reload` (re-read the YAML), `stats` (usage), `unanswered` (recent misses)."
REFUSAL = (
    "Sorry, admin commands are only for helpbot admins, so I haven't run that. "
    "If you need help with NHSmail, just ask me in a direct message."
)
UNANSWERED_SHOWN = 15


@dataclass(frozen=True)
class AdminReply:
    text: str
    allowed: bool
    action: str


class AdminCommands:
    def __init__(self, engine: Engine, admins: Collection[str]) -> None:
        self.engine = engine
        self.admins = frozenset(admins)

    def is_admin(self, actor: str) -> bool:
        return actor in self.admins

    def run(self, actor: str, channel: str, words: str) -> AdminReply:
        name = (words.split() or ["help"])[0].lower()
        action = name if name in COMMANDS else "help"
        if not self.is_admin(actor):
            self._audit(actor, channel, action, allowed=False, outcome="refused")
            return AdminReply(REFUSAL, allowed=False, action=action)
        detail = None
        try:
            if action == "reload":
                text, outcome, detail = self._reload()
            elif action == "stats":
                text, outcome = self._stats(), "ok"
            elif action == "unanswered":
                text, outcome = self._unanswered(), "ok"
            else:
                text, outcome = USAGE, "ok"
        except StoreUnavailable as exc:
            text = f"The database is not available right now, so I can't do that: {exc}"
            outcome = "database unavailable"
        self._audit(actor, channel, action, allowed=True, outcome=outcome, detail=detail)
        return AdminReply(text, allowed=True, action=action)

    def _reload(self) -> tuple[str, str, str | None]:
        """The reply, the outcome for the audit log, and what the content change changed."""
        before = self.engine.knowledge.content
        try:
            content = self.engine.reload()
        except ContentInvalid as exc:
            errors = [str(p) for p in exc.problems if p.severity == "error"]
            shown = "\n".join(f"- `{e}`" for e in errors[:10])
            more = f"\n- ...and {len(errors) - 10} more" if len(errors) > 10 else ""
            text = (
                "**Not reloaded**: the YAML has errors, so I'm still answering from the "
                f"last good version.\n{shown}{more}"
            )
            return text, f"invalid: {len(errors)} error(s)", None
        text = (
            f"**Reloaded**: {len(content.intents)} intents, {len(content.answers)} answers, "
            f"{len(content.flows)} flows. Every worker picks it up within a few seconds."
        )
        changed = content_diff(before, content)
        return text, audit.OK, "\n".join(changed) if changed else "no change"

    def _stats(self) -> str:
        store = self._store()
        counts = usage(store)
        tickets = ", ".join(f"{n} {s}" for s, n in counts.tickets.items()) or "none"
        lines = [
            "**Usage so far**",
            f"- Conversations: {counts.conversations}",
            f"- Messages in: {counts.messages_in}, replies out: {counts.messages_out}",
            f"- Unanswered questions: {counts.unanswered}",
            f"- Tickets: {tickets}",
        ]
        for flow in flow_stats(store, self.engine.flow_timeout):
            lines.append(
                f"- Flow {flow.flow}: {flow.started} started, {flow.completed} completed, "
                f"{flow.cancelled} cancelled, {flow.abandoned} abandoned"
            )
        return "\n".join(lines)

    def _unanswered(self) -> str:
        rows = recent_unanswered(self._store(), UNANSWERED_SHOWN)
        if not rows:
            return "No unanswered questions recorded."
        lines = [f"**Latest {len(rows)} unanswered questions** (personal details removed)"]
        for row in rows:
            when = row.created_at.strftime("%d %b %H:%M") if row.created_at else ""
            guess = f" (closest: {row.best_intent})" if row.best_intent else ""
            if row.reason == "unhelpful":
                guess = f" (answered {row.best_intent}, marked not helpful)"
            lines.append(f"- {when}: {replies.verbatim(row.text)}{guess}")
        return "\n".join(lines)

    def _store(self) -> Store:
        if self.engine.store is None:
            raise StoreUnavailable("the database is not available")
        return self.engine.store

    def _audit(
        self,
        actor: str,
        channel: str,
        action: str,
        *,
        allowed: bool,
        outcome: str,
        detail: str | None = None,
    ) -> None:
        if self.engine.store is None:
            log.warning("audit: %s %s %s (%s), no database", actor, action, allowed, outcome)
            return
        try:
            audit.record(
                self.engine.store,
                actor,
                channel,
                action,
                allowed=allowed,
                outcome=outcome,
                detail=detail,
            )
        except StoreUnavailable:
            log.warning("audit: %s %s %s (%s), not stored", actor, action, allowed, outcome)

"""The one thing the runtime needs from a channel: how to reach a person between turns."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from bot.core.messages import Reply
from bot.errors import HelpbotError


class Unreachable(HelpbotError):
    """The channel says this person cannot be reached any more (the app removed, the bot
    blocked, the account gone): trying again later will not help."""


class Channel(Protocol):
    """A place people talk to the bot: the terminal, Slack, later the web and Teams."""

    #: The core's name for the channel: tickets, the outbox and conversations carry it.
    name: str

    def deliver(self, recipient: str, replies: Sequence[Reply]) -> None:
        """Show ``replies`` to ``recipient`` now, outside any turn of theirs.

        Raise if they could not be shown: the runtime puts them back for a later round;
        raise ``Unreachable`` if no later round can reach them either.
        """
        ...

    def tidy(self) -> None:
        """Now and then (about hourly): drop what the channel keeps only for a while."""
        ...


class Helpdesk(Protocol):
    """Where agents see the tickets (the cards in Slack's helpdesk channel).

    Its news comes from the outbox like a person's, whichever process (or channel: the
    terminal, the web) the ticket was opened or written from, and reaches one process.
    """

    def opened(self, ref: str) -> None:
        """Show the new ticket ``ref`` to the agents."""
        ...

    def user_wrote(self, ref: str, text: str) -> None:
        """Show the agent on ``ref`` what its requester wrote to them (already redacted)."""
        ...

    def sync(self) -> None:
        """Catch up with tickets opened or changed anywhere (another process, the CLI)."""
        ...

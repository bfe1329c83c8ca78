"""The base of every error helpbot raises on purpose, so a caller can catch them as one.

Each error is declared beside the code that raises it (``ConfigError`` in ``bot.config``,
``ContentInvalid`` in ``bot.content.loader``, ``StoreError`` in ``bot.store.db``,
``TicketError`` in ``bot.tickets.service``, ``HoursInvalid`` in ``bot.hours``, ...) and
derives from ``HelpbotError``; its message is one line a person can act on. A leaf: this
module imports nothing.
"""

from __future__ import annotations


class HelpbotError(Exception):
    """Something helpbot cannot do, said in one line a person can act on."""

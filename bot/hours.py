"""Helpdesk opening hours, so a user is told honestly when to expect a reply.

A leaf: it imports nothing of the bot's, so settings, tickets and the core can all use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.errors import HelpbotError

DEFAULT_HELPDESK_HOURS = "Mon-Fri 09:00-17:00"
DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_SPEC = re.compile(
    r"^\s*(?P<first>[a-z]{3})(?:\s*-\s*(?P<last>[a-z]{3}))?\s+"
    r"(?P<open>\d{1,2}:\d{2})\s*-\s*(?P<close>\d{1,2}:\d{2})\s*$",
    re.IGNORECASE,
)


class HoursInvalid(HelpbotError, ValueError):
    """The opening hours setting cannot be read; the message shows the expected form."""


@dataclass(frozen=True)
class BusinessHours:
    days: tuple[int, ...]  # 0 = Monday
    opens: time
    closes: time
    zone: ZoneInfo

    @classmethod
    def parse(cls, spec: str, zone: str = "Europe/London") -> BusinessHours:
        found = _SPEC.match(spec)
        if not found:
            raise HoursInvalid(f"expected hours like 'Mon-Fri 09:00-17:00', not {spec!r}")
        try:
            first = DAYS.index(found["first"].lower())
            last = DAYS.index((found["last"] or found["first"]).lower())
            opens = time.fromisoformat(found["open"].zfill(5))
            closes = time.fromisoformat(found["close"].zfill(5))
        except ValueError:
            raise HoursInvalid(f"expected hours like 'Mon-Fri 09:00-17:00', not {spec!r}") from None
        if last < first or closes <= opens:
            raise HoursInvalid(f"the hours {spec!r} run backwards")
        return cls(tuple(range(first, last + 1)), opens, closes, ZoneInfo(zone))

    def describe(self) -> str:
        first, last = DAYS[self.days[0]].title(), DAYS[self.days[-1]].title()
        span = first if first == last else f"{first} to {last}"
        return f"{span}, {self.opens:%H:%M} to {self.closes:%H:%M} (UK time)"

    def is_open(self, when: datetime) -> bool:
        local = when.astimezone(self.zone)
        return local.weekday() in self.days and self.opens <= local.time() < self.closes

    def next_opening(self, when: datetime) -> datetime:
        local = when.astimezone(self.zone)
        for ahead in range(8):
            day = (local + timedelta(days=ahead)).date()
            start = datetime.combine(day, self.opens, self.zone)
            if day.weekday() in self.days and start > local:
                return start
        return local  # unreachable with at least one open day

    def expectation(self, when: datetime) -> str:
        """One sentence on when a person will see the ticket."""
        if self.is_open(when):
            return f"The helpdesk is open now ({self.describe()})."
        opening = self.next_opening(when)
        return (
            f"The helpdesk is closed right now (open {self.describe()}), so expect a "
            f"reply after it opens, {opening:%A} at {opening:%H:%M}."
        )

"""The ``open_key`` of an open ticket: what keeps "one open ticket per person" race-safe.

The key is unique in the database and cleared when a ticket is resolved or closed, so
of two processes opening a ticket for the same person at the same moment exactly one
insert wins; the other adds its note to the winner's ticket.

A person's ticket is keyed ``channel|user``. A second open ticket exists only when the
person said, when offered ticket REF, that this is a *new problem*; it is keyed
``channel|user|after:REF``. The index still decides races on that path: a double
click, or the same choice reaching two workers, both try ``after:REF`` and make one
ticket. Keying it on the ticket they were offered, rather than on a count of open
tickets, means a clash always is the same decision (so adding the note to the winner is
right), never an unrelated ticket that happens to hold "the second key".
"""

from __future__ import annotations


def open_key(channel: str, user_id: str, after: str | None = None) -> str:
    key = f"{channel}|{user_id}"
    return f"{key}|after:{after}" if after else key

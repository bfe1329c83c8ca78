"""The one source of "now": a callable returning an aware UTC datetime.

Built once (``wiring``) and handed to the store, the tickets and the engine, so that a
test can fix time for all of them at once and nothing reads the wall clock behind its
back.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)

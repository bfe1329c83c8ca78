"""Sending to a Teams conversation outside a turn, with Teams' rate limits respected.

The Bot Connector answers 429 when a bot sends too fast and 412/502/504 when it is
briefly unwell: those are tried again after a pause that grows, with jitter so that
several workers do not retry in step, honouring ``Retry-After``. 403 and 404 mean the
person can no longer be reached (the app was removed, the bot blocked, the chat gone):
no retry will help. The SDK raises ``aiohttp.ClientResponseError`` from a failed send;
caught here, inside the callback, the caller gets an ``Outcome`` instead.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp

RETRIED = frozenset({412, 429, 502, 504})
GONE = frozenset({403, 404})
ATTEMPTS = 4
FIRST_PAUSE = 0.5  # seconds before the first retry; doubled each time
LONGEST_PAUSE = 30.0
BUDGET = 90.0  # seconds of pauses for one person's news; then it waits for the next round


@dataclass
class Outcome:
    """How a send ended: ``status`` is the last HTTP status, 0 if none came back."""

    sent: int = 0
    status: int = 0
    gone: bool = False
    failed: bool = False


def pause(attempt: int, headers: Mapping[str, str] | None) -> float:
    """Seconds to wait before retry number ``attempt`` (from 0)."""
    wanted = (headers or {}).get("Retry-After")
    if wanted is not None:
        try:
            return min(max(float(wanted), 0.0), LONGEST_PAUSE)
        except ValueError:
            pass  # an HTTP date: the backoff below will do
    ceiling = min(FIRST_PAUSE * 2**attempt, LONGEST_PAUSE)
    return random.uniform(ceiling / 2, ceiling)


async def send_all(
    send: Callable[[Any], Awaitable[object]],
    activities: Sequence[Any],
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> Outcome:
    """Send ``activities`` in order with ``send``; stop at the first that cannot go."""
    outcome = Outcome()
    paused = 0.0
    for activity in activities:
        for attempt in range(ATTEMPTS):
            try:
                await send(activity)
            except aiohttp.ClientResponseError as exc:
                outcome.status = exc.status
                if exc.status in GONE:
                    outcome.gone = True
                    return outcome
                wait = pause(attempt, exc.headers)
                if exc.status in RETRIED and attempt + 1 < ATTEMPTS and paused + wait <= BUDGET:
                    paused += wait
                    await sleep(wait)
                    continue
                outcome.failed = True
                return outcome
            except aiohttp.ClientError:
                outcome.failed = True
                return outcome
            outcome.sent += 1
            outcome.status = 200
            break
    return outcome

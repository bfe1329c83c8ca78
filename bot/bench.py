"""``helpbot bench``: how fast the message path is on the shipped knowledge.

Prints figures, asserts nothing: a benchmark is for reading, not a timed test.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bot.core.engine import Engine, Knowledge
from bot.core.messages import Message
from bot.core.redact import redact
from bot.store import Store

# Typical traffic: short questions, typos, a rambling one, small talk, out of scope.
SAMPLE = [
    "acct secret deadline??",
    "how do i get nhsmail for our care home",
    "i forgot my pasword and im locked out",
    "what r the rules for the secrit",
    "Hi, sorry to bother you. My manager said I need to do something about an account "
    "secret before teams stops working, what do I actually have to do?",
    "thanks",
    "what's the NHS 111 number",
    "can i send patient info by email",
    "is there a roadmap",
    "who are you",
]


def _percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))
    return sorted_values[index]


def bench(
    knowledge: Knowledge,
    *,
    rounds: int = 2000,
    messages: int = 2000,
    database: str | None = None,
) -> str:
    """Match latency, then whole turns through the engine and a database.

    ``database``: a database URL to run the turns against (its tables are used as they
    are, so give it a scratch database); by default a new SQLite file.
    """
    texts = SAMPLE + [e for i in knowledge.content.intents.values() for e in i.examples[:2]]
    rng = random.Random(7)

    matcher = knowledge.matcher
    for text in texts:  # warm caches, as a running bot would be
        matcher.match(text)
    timings = []
    for _ in range(rounds):
        text = rng.choice(texts)
        start = time.perf_counter()
        matcher.match(redact(text))
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()

    with tempfile.TemporaryDirectory() as folder:
        store = Store(database or f"sqlite:///{Path(folder) / 'bench.db'}")
        try:
            turns = _turns(Engine(knowledge, store), texts, rng, messages)
        finally:
            store.close()
    where = "SQLite" if database is None else store.engine.dialect.name

    return "\n".join(
        [
            f"knowledge: {len(knowledge.content.intents)} intents, "
            f"{sum(len(i.examples) for i in knowledge.content.intents.values())} examples",
            f"match latency over {rounds} messages (redact + match): "
            f"p50 {statistics.median(timings):.3f} ms, p99 {_percentile(timings, 0.99):.3f} ms, "
            f"max {timings[-1]:.3f} ms",
            f"end to end (core + {where}, {messages} messages, 50 users): "
            f"{messages / turns.wall:.0f} messages/s ({turns.wall * 1000 / messages:.2f} ms each, "
            f"median {turns.median_ms:.2f} ms), CPU {turns.cpu * 1000 / messages:.2f} ms each",
        ]
    )


@dataclass(frozen=True)
class _Turns:
    wall: float  # seconds for all of them
    cpu: float  # this process's CPU seconds for all of them (the database's not included)
    median_ms: float  # one message, wall


def _turns(engine: Engine, texts: list[str], rng: random.Random, messages: int) -> _Turns:
    for n in range(50):  # every user's conversation exists, connections are open
        engine.handle(Message(user_id=f"user{n}", text=rng.choice(texts)))
    each = []
    wall, cpu = time.perf_counter(), time.process_time()
    for n in range(messages):
        start = time.perf_counter()
        engine.handle(Message(user_id=f"user{n % 50}", text=rng.choice(texts)))
        each.append(time.perf_counter() - start)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return _Turns(wall, cpu, statistics.median(each) * 1000)

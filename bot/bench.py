"""``helpbot bench``: how fast the message path is, on the shipped knowledge or any other.

``--knowledge DIR`` benches a folder holding ``intents/`` and ``knowledge/``;
``--synthetic N`` a generated IT-helpdesk knowledge of N examples (``bot.benchdata``).

Prints figures, asserts nothing: a benchmark is for reading, not a timed test.
"""

from __future__ import annotations

import random
import resource
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bot.benchdata import generate
from bot.content.loader import load_content
from bot.core.engine import Engine, Knowledge
from bot.core.matcher import Matcher
from bot.core.messages import Message
from bot.core.model_cache import ModelCache
from bot.core.redact import redact
from bot.store import Store, StoreError

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


def database_problem(url: str) -> str | None:
    """Why a bench cannot use the database ``url``, in one line; None if it can. The bot
    answers without a database it cannot use, so a bench on one would quietly measure
    something else."""
    try:
        Store(url).close()
    except StoreError as exc:
        return str(exc)
    return None


def _percentile(sorted_values: list[float], fraction: float) -> float:
    index = min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1)))
    return sorted_values[index]


def bench(
    knowledge: Knowledge,
    *,
    rounds: int = 2000,
    messages: int = 2000,
    database: str | None = None,
    texts: list[str] | None = None,
) -> str:
    """Match latency, then whole turns through the engine and a database.

    ``database``: a database URL to run the turns against (its tables are used as they
    are, so give it a scratch database); by default a new SQLite file. ``texts``: what
    the messages say, drawn at random (by default ``SAMPLE`` and two examples of each
    intent, which are shorter and plainer than what people really write).
    """
    if not texts:
        texts = SAMPLE + [e for i in knowledge.content.intents.values() for e in i.examples[:2]]
    rng = random.Random(7)

    matcher = knowledge.matcher
    for text in texts:  # warm caches, as a running bot would be
        matcher.match(text)
    timings, cpu = [], []
    for _ in range(rounds):
        text = rng.choice(texts)
        start, start_cpu = time.perf_counter(), time.process_time()
        matcher.match(redact(text))
        cpu.append((time.process_time() - start_cpu) * 1000)
        timings.append((time.perf_counter() - start) * 1000)
    timings.sort()
    peak = _peak_rss_mib()  # the knowledge loaded and messages matched, before SQLite

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
            _cpu_line(cpu),
            *_per_message(matcher),
            f"peak RSS after loading and matching: {peak:.0f} MiB",
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


def _cpu_line(cpu: list[float]) -> str:
    """CPU time beside wall time: on a shared machine, wall time also counts waiting."""
    cpu = sorted(cpu)
    return (
        f"match CPU time (process_time): p50 {statistics.median(cpu):.3f} ms, "
        f"p99 {_percentile(cpu, 0.99):.3f} ms, max {cpu[-1]:.3f} ms"
    )


def _per_message(matcher: Matcher, repeats: int = 25) -> list[str]:
    """Each sample message's own median: which kinds of message cost what."""
    lines = [f"per message (median of {repeats}, redact + match, wall / CPU):"]
    for text in SAMPLE:
        wall, cpu = [], []
        for _ in range(repeats):
            start, start_cpu = time.perf_counter(), time.process_time()
            matcher.match(redact(text))
            cpu.append((time.process_time() - start_cpu) * 1000)
            wall.append((time.perf_counter() - start) * 1000)
        shown = text if len(text) <= 50 else text[:47] + "..."
        lines.append(
            f"  {statistics.median(wall):7.3f} / {statistics.median(cpu):7.3f} ms  {shown!r}"
        )
    return lines


def _peak_rss_mib() -> float:
    """This process's peak resident memory so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@dataclass(frozen=True)
class Built:
    """Knowledge loaded from folders, and what loading it cost."""

    knowledge: Knowledge
    load_seconds: float  # reading and checking the YAML
    matcher_seconds: float  # the index and the model, wall time
    matcher_cpu_seconds: float
    model_trained: bool  # False when the trained model came from the cache


def build(intents: Path, knowledge: Path, models: ModelCache | None) -> Built:
    """Load a knowledge base the way the bot does, timing each part."""
    start = time.perf_counter()
    content = load_content(intents, knowledge)
    loaded, loaded_cpu = time.perf_counter(), time.process_time()
    built = Knowledge.build(content, models)
    return Built(
        built,
        loaded - start,
        time.perf_counter() - loaded,
        time.process_time() - loaded_cpu,
        built.matcher.model_trained,
    )


def build_line(built: Built) -> str:
    model = "trained" if built.model_trained else "read from the model cache"
    return (
        f"build: YAML {built.load_seconds:.2f} s, matcher {built.matcher_seconds:.2f} s wall "
        f"({built.matcher_cpu_seconds:.2f} s CPU), model {model}"
    )


def is_knowledge_base(folder: Path) -> bool:
    """A folder holding ``intents/`` and ``knowledge/``, as ``--knowledge DIR`` may name."""
    return (folder / "intents").is_dir() and (folder / "knowledge").is_dir()


def bench_folders(
    intents: Path,
    knowledge: Path,
    models: ModelCache | None,
    database: str | None = None,
    texts: list[str] | None = None,
) -> str:
    """``bench`` on the knowledge in two folders, with what building it cost first."""
    built = build(intents, knowledge, models)
    return build_line(built) + "\n" + bench(built.knowledge, database=database, texts=texts)


def bench_synthetic(
    examples: int,
    models: ModelCache | None,
    keep: Path | None = None,
    database: str | None = None,
    texts: list[str] | None = None,
) -> str:
    """``bench`` on a generated IT-helpdesk knowledge base of ``examples`` phrases."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = keep or Path(scratch)
        made = generate(examples, folder)
        started = f"synthetic knowledge: {made.intents} intents, {made.examples} examples"
        if keep is not None:
            started += f", written to {keep}"
        report = bench_folders(folder / "intents", folder / "knowledge", models, database, texts)
    return started + "\n" + report

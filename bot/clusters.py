"""Unanswered questions grouped: the same question asked many ways counts once, with its count.

Admins read what the bot could not answer to decide what to teach it. A list of raw
messages hides what matters (forty people asking one thing); grouping near-identical
questions (the same words, in any order, with typos) and putting the most asked first
does not. Texts are already redacted when stored.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.core.normalise import fold
from bot.core.words import STOPWORDS

ALIKE = 80  # rapidfuzz token_set_ratio of two questions' words: the same question
SHOWN = 3  # example texts per group
_SINCE = re.compile(r"(\d+)\s*([hdw])")


@dataclass
class Question:
    text: str
    when: datetime
    closest: str | None  # the intent the matcher thought closest, if any
    reason: str | None = None  # fallback, declined or unhelpful (None: recorded before)


@dataclass
class Cluster:
    key: str  # the first question's words: what the others are compared with
    questions: list[Question] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.questions)

    @property
    def latest(self) -> datetime:
        return max(q.when for q in self.questions)

    def examples(self, limit: int = SHOWN) -> list[str]:
        """Different wordings, most recent first."""
        seen: list[str] = []
        for q in sorted(self.questions, key=lambda q: q.when, reverse=True):
            if q.text not in seen:
                seen.append(q.text)
        return seen[:limit]

    def unhelpful(self) -> int:
        """How many of these got an answer that the person marked not helpful."""
        return sum(1 for q in self.questions if q.reason == "unhelpful")

    def closest(self) -> str | None:
        found = Counter(q.closest for q in self.questions if q.closest)
        return found.most_common(1)[0][0] if found else None


def words(text: str) -> str:
    """The question's words that carry meaning, sorted: word order and filler aside."""
    kept = sorted({w for w in fold(text).split() if w not in STOPWORDS})
    return " ".join(kept) or fold(text)


def cluster(questions: Iterable[Question]) -> list[Cluster]:
    """Near-identical questions together, most asked first (then the most recent)."""
    from rapidfuzz import fuzz

    found: list[Cluster] = []
    for question in sorted(questions, key=lambda q: q.when):
        key = words(question.text)
        home = (
            next((c for c in found if fuzz.token_set_ratio(key, c.key) >= ALIKE), None)
            if key
            else None
        )
        if home is None:
            home = Cluster(key)
            found.append(home)
        home.questions.append(question)
    return sorted(found, key=lambda c: (-c.count, -c.latest.timestamp()))


def since(spec: str) -> timedelta:
    """``7d``, ``24h``, ``2w`` as a span of time; ``ValueError`` for anything else."""
    found = _SINCE.fullmatch(spec.strip().lower())
    if found is None:
        raise ValueError(f"--since takes a number and h, d or w (e.g. 7d), not {spec!r}")
    amount, unit = int(found[1]), found[2]
    return (
        timedelta(hours=amount)
        if unit == "h"
        else timedelta(days=amount * (7 if unit == "w" else 1))
    )

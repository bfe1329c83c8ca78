"""Warnings about content that loads but will not serve people well (``helpbot validate``).

Loading stops at errors; these are the softer things an admin should look at: examples
of two intents too alike for the matcher to tell apart, answers without a source or
whose review is due, answers and flows nothing reaches. Run on demand, not at every
start: comparing every example with every other takes seconds.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from bot.content.loader import Content, Problem, Where

SIMILAR = 90  # rapidfuzz token_sort_ratio, 0-100, of two intents' examples: too alike
REVIEW_MONTHS = 12


@dataclass(frozen=True)
class Finding:
    """One warning, as ``helpbot validate --json`` prints it."""

    file: str
    line: int
    severity: str
    message: str

    @classmethod
    def of(cls, problem: Problem) -> Finding:
        return cls(str(problem.path), problem.line, problem.severity, problem.message)


def lint(content: Content, today: date, *, review_months: int = REVIEW_MONTHS) -> list[Problem]:
    """Every warning: the loader's own, then these, in file and line order."""
    found = [*content.warnings, *_similar_examples(content), *_sources(content)]
    found += [*_reviews(content, today, review_months), *_unused(content)]
    return sorted(found, key=lambda p: (str(p.path), p.line, p.message))


def _at(content: Content, kind: str, key: str) -> Where:
    return content.places.get((kind, key), Where(Path("knowledge"), 1))


def _warning(at: Where, message: str) -> Problem:
    return Problem(at.path, at.line, message, "warning")


def _similar_examples(content: Content) -> Iterator[Problem]:
    import numpy as np
    from rapidfuzz import fuzz, process

    normaliser = content.normaliser()
    rows = [
        (intent.id, j, example, " ".join(sorted(set(normaliser.tokens(example)))))
        for intent in content.intents.values()
        for j, example in enumerate(intent.examples)
    ]
    texts = [r[3] for r in rows]
    scores = process.cdist(
        texts, texts, scorer=fuzz.token_sort_ratio, score_cutoff=SIMILAR, workers=-1, dtype=np.uint8
    )
    for a, b in zip(*np.nonzero(np.triu(scores, 1)), strict=True):
        (first, _, said, _), (second, j, other, _) = rows[a], rows[b]
        if first != second:
            yield _warning(
                _at(content, "example", f"{second}#{j}"),
                f"example '{other}' of intent '{second}' is hard to tell from example "
                f"'{said}' of intent '{first}' (similarity {int(scores[a, b])}): reword or "
                "move one",
            )


def _chatter(content: Content) -> set[str]:
    """Answers only small talk and built-in actions use: no policy stands behind them."""
    policy = {i.answer for i in content.intents.values() if not (i.smalltalk or i.does)}
    return {a for a in content.answers if a not in policy}


def _sources(content: Content) -> Iterator[Problem]:
    chatter = _chatter(content)
    for answer in content.answers.values():
        if answer.source is None and answer.id not in chatter:
            yield _warning(
                _at(content, "answer", answer.id),
                f"answer '{answer.id}' has no source link: say where its facts come from",
            )


def _reviews(content: Content, today: date, months: int) -> Iterator[Problem]:
    for answer in content.answers.values():
        if answer.source is None:
            continue
        at = _at(content, "answer", answer.id)
        if answer.reviewed is None:
            yield _warning(at, f"answer '{answer.id}' has never been reviewed against its source")
        elif answer.reviewed > today:
            yield _warning(at, f"answer '{answer.id}' says it was reviewed on a future date")
        elif due(answer.reviewed, today, months):
            yield _warning(
                at,
                f"answer '{answer.id}' was last reviewed on {answer.reviewed.isoformat()}, "
                f"over {months} months ago: check it against {answer.source}",
            )


def due(reviewed: date, today: date, months: int = REVIEW_MONTHS) -> bool:
    """Whether a review on ``reviewed`` is more than ``months`` calendar months old."""
    elapsed = (today.year - reviewed.year) * 12 + today.month - reviewed.month
    return elapsed > months or (elapsed == months and today.day > reviewed.day)


def _unused(content: Content) -> Iterator[Problem]:
    answered = {i.answer for i in content.intents.values() if i.answer}
    for answer in content.answers:
        if answer not in answered:
            yield _warning(
                _at(content, "answer", answer), f"answer '{answer}' is used by no intent"
            )
    started = {i.flow for i in content.intents.values() if i.flow}
    started |= {a.walkthrough for a in content.answers.values() if a.walkthrough}
    for flow in content.flows:
        if flow not in started:
            yield _warning(
                _at(content, "flow", flow),
                f"flow '{flow}' is started by no intent and offered by no answer",
            )

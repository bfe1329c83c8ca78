"""Score the matcher against a labelled set: how often it is right, and how often it
falls back when it should.

The set is YAML: ``cases: [{text: ..., intent: <id or null>}]``; ``null`` means the bot
must fall back (the message is out of scope).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from bot.content.yamlfile import YamlSyntaxError, read_yaml
from bot.core.matcher import Band, Matcher
from bot.core.redact import redact
from bot.errors import HelpbotError


class EvalSetInvalid(HelpbotError):
    """The labelled set cannot be read; the message names the file and line."""


@dataclass(frozen=True)
class Case:
    text: str
    intent: str | None


@dataclass(frozen=True)
class Outcome:
    case: Case
    band: Band
    predicted: str | None  # the top candidate, whatever the band
    score: float

    @property
    def fell_back(self) -> bool:
        return self.band is Band.FALLBACK

    @property
    def top1_correct(self) -> bool:
        return not self.fell_back and self.predicted == self.case.intent

    @property
    def answered_correctly(self) -> bool:
        return self.band is Band.ANSWER and self.predicted == self.case.intent


@dataclass
class Report:
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def in_scope(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.case.intent is not None]

    @property
    def out_of_scope(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.case.intent is None]

    @property
    def top1_accuracy(self) -> float:
        return _share(self.in_scope, lambda o: o.top1_correct)

    @property
    def answer_accuracy(self) -> float:
        return _share(self.in_scope, lambda o: o.answered_correctly)

    @property
    def fallback_recall(self) -> float:
        """Of the out-of-scope messages, the share that fell back."""
        return _share(self.out_of_scope, lambda o: o.fell_back)

    @property
    def fallback_precision(self) -> float:
        """Of the messages that fell back, the share that were out of scope."""
        fell = [o for o in self.outcomes if o.fell_back]
        return _share(fell, lambda o: o.case.intent is None) if fell else 1.0

    def confusions(self) -> Counter[tuple[str, str]]:
        """(expected, got) pairs for every miss; 'fallback' names either side."""
        counts: Counter[tuple[str, str]] = Counter()
        for o in self.outcomes:
            expected = o.case.intent or "fallback"
            got = "fallback" if o.fell_back else (o.predicted or "fallback")
            if expected != got:
                counts[(expected, got)] += 1
        return counts


def _share(items: list[Outcome], test) -> float:  # noqa: ANN001 - a predicate
    return sum(1 for o in items if test(o)) / len(items) if items else 1.0


def load_cases(path: Path) -> list[Case]:
    try:
        data = read_yaml(path)
    except FileNotFoundError:
        raise EvalSetInvalid(f"{path}: file not found") from None
    except YamlSyntaxError as exc:
        raise EvalSetInvalid(str(exc)) from None
    except OSError as exc:  # a folder, no permission, ...
        raise EvalSetInvalid(f"{path}: cannot be read ({exc.strerror})") from None
    cases = data.get("cases") if isinstance(data, dict) else None
    if not isinstance(cases, list):
        raise EvalSetInvalid(f"{path}:1: expected a top-level 'cases:' list")
    out = []
    for index, item in enumerate(cases):
        line = cases.item_lines[index]
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise EvalSetInvalid(f"{path}:{line}: each case needs 'text' and 'intent'")
        intent = item.get("intent")
        if intent is not None and not isinstance(intent, str):
            raise EvalSetInvalid(f"{path}:{line}: 'intent' must be an intent id or null")
        out.append(Case(item["text"], intent))
    return out


def evaluate(matcher: Matcher, cases: list[Case]) -> Report:
    report = Report()
    for case in cases:
        match = matcher.match(redact(case.text))
        best = match.best
        report.outcomes.append(
            Outcome(case, match.band, best.intent if best else None, match.confidence)
        )
    return report


def format_confusions(confusions: Counter[tuple[str, str]], what: str) -> list[str]:
    """Report lines for each (``what`` -> got) pair, most frequent first."""
    if not confusions:
        return []
    lines = [f"confusions ({what} -> got: count):"]
    lines += [f"  {wanted} -> {got}: {count}" for (wanted, got), count in confusions.most_common()]
    return lines


def format_report(report: Report, *, show_misses: bool = False) -> str:
    lines = [
        f"cases: {len(report.outcomes)} "
        f"({len(report.in_scope)} in scope, {len(report.out_of_scope)} out of scope)",
        f"top-1 accuracy (in scope):         {report.top1_accuracy:6.1%}",
        f"answered outright and correctly:   {report.answer_accuracy:6.1%}",
        f"fallback recall (out of scope):    {report.fallback_recall:6.1%}",
        f"fallback precision:                {report.fallback_precision:6.1%}",
    ]
    lines += format_confusions(report.confusions(), "expected")
    if show_misses:
        lines.append("misses:")
        for o in report.outcomes:
            expected = o.case.intent or "fallback"
            got = "fallback" if o.fell_back else o.predicted
            if expected != got:
                lines.append(f"  [{expected} -> {got} {o.band.value} {o.score:.2f}] {o.case.text}")
    return "\n".join(lines)

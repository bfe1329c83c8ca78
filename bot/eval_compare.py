"""Per-intent scores of an evaluation, and the same set scored on another git revision.

Per intent, on what people get: an answer outright. Precision is how often an answer
of that intent was the right one, recall how often its cases got it. ``--compare REV``
loads the intents and knowledge of another revision (``git archive``, nothing checked
out) and scores it on the same cases, so a content change's effect shows case by case.
"""

from __future__ import annotations

import io
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bot.core.matcher import Band
from bot.core.model_cache import ModelCache
from bot.errors import HelpbotError
from bot.evaluation import Case, Outcome, Report


class RevisionUnavailable(HelpbotError):
    """The revision to compare with cannot be read from git; the message says why."""


@dataclass(frozen=True)
class IntentScore:
    intent: str
    cases: int
    answered: int  # answers given as this intent
    right: int

    @property
    def precision(self) -> float:
        return self.right / self.answered if self.answered else 1.0

    @property
    def recall(self) -> float:
        return self.right / self.cases if self.cases else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def _answered(outcome: Outcome) -> str | None:
    return outcome.predicted if outcome.band is Band.ANSWER else None


def intent_scores(report: Report) -> list[IntentScore]:
    """Each intent that has cases or was answered, worst F1 first."""
    cases: dict[str, int] = {}
    answered: dict[str, int] = {}
    right: dict[str, int] = {}
    for o in report.outcomes:
        if o.case.intent is not None:
            cases[o.case.intent] = cases.get(o.case.intent, 0) + 1
        got = _answered(o)
        if got is not None:
            answered[got] = answered.get(got, 0) + 1
            if got == o.case.intent:
                right[got] = right.get(got, 0) + 1
    found = [
        IntentScore(i, cases.get(i, 0), answered.get(i, 0), right.get(i, 0))
        for i in sorted(set(cases) | set(answered))
    ]
    return sorted(found, key=lambda s: (s.f1, s.intent))


def format_intent_scores(scores: list[IntentScore], limit: int | None = None) -> list[str]:
    lines = [
        "per intent, answered outright (worst first):",
        "  precision  recall     F1  cases  intent",
    ]
    for s in scores[:limit]:
        lines.append(f"  {s.precision:9.1%} {s.recall:7.1%} {s.f1:6.1%} {s.cases:6d}  {s.intent}")
    return lines


def _git(args: list[str], cwd: Path) -> bytes:
    try:
        return subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, check=True, timeout=60
        ).stdout
    except FileNotFoundError:
        raise RevisionUnavailable("git is not installed: --compare needs it") from None
    except subprocess.CalledProcessError as exc:
        said = exc.stderr.decode(errors="replace").strip().splitlines()
        raise RevisionUnavailable(said[-1] if said else str(exc)) from None


def content_at(revision: str, folders: tuple[Path, Path], into: Path) -> tuple[Path, Path]:
    """The two content ``folders`` as they were at ``revision``, extracted under ``into``."""
    intents, knowledge = (f.resolve() for f in folders)
    top = Path(_git(["rev-parse", "--show-toplevel"], intents).decode().strip())
    inside = [str(f.relative_to(top)) for f in (intents, knowledge)]
    archived = _git(["archive", "--format=tar", revision, "--", *inside], top)
    with tarfile.open(fileobj=io.BytesIO(archived)) as tar:
        tar.extractall(into, filter="data")
    return into / inside[0], into / inside[1]


def _label(o: Outcome) -> str:
    if o.band is Band.FALLBACK:
        return "fallback"
    return f"{o.band.value} {o.predicted}"


def _right(o: Outcome) -> bool:
    return o.answered_correctly if o.case.intent is not None else o.fell_back


def format_comparison(revision: str, before: Report, now: Report) -> list[str]:
    """Headline figures side by side, then every case whose outcome changed."""
    lines = [f"compared with {revision}:", f"  {'':34}{revision[:12]:>12}  {'now':>8}"]
    for name, attr in (
        ("top-1 accuracy (in scope)", "top1_accuracy"),
        ("answered outright and correctly", "answer_accuracy"),
        ("fallback recall (out of scope)", "fallback_recall"),
    ):
        was, is_ = getattr(before, attr), getattr(now, attr)
        lines.append(f"  {name:34}{was:12.1%}  {is_:8.1%}  {is_ - was:+.1%}")
    changed = [
        (b, n) for b, n in zip(before.outcomes, now.outcomes, strict=True) if _label(b) != _label(n)
    ]
    better = sum(1 for b, n in changed if _right(n) and not _right(b))
    worse = sum(1 for b, n in changed if _right(b) and not _right(n))
    lines.append(f"  {len(changed)} case(s) changed: {better} now right, {worse} now wrong")
    for b, n in changed:
        mark = "+" if _right(n) and not _right(b) else "-" if _right(b) and not _right(n) else " "
        expected = n.case.intent or "fallback"
        lines.append(f"  {mark} [{expected}] {_label(b)} -> {_label(n)}: {n.case.text}")
    return lines


def compare(
    revision: str,
    folders: tuple[Path, Path],
    cases: list[Case],
    now: Report,
    models: ModelCache | None,
) -> list[str]:
    """Score ``cases`` on the content ``folders`` held at ``revision``, beside ``now``."""
    from bot.content.loader import load_content
    from bot.core.engine import Knowledge
    from bot.evaluation import evaluate

    with tempfile.TemporaryDirectory(prefix="helpbot-compare-") as folder:
        intents, knowledge = content_at(revision, folders, Path(folder))
        before = evaluate(Knowledge.build(load_content(intents, knowledge), models).matcher, cases)
    return format_comparison(revision, before, now)

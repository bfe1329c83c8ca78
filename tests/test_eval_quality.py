"""The acceptance bar on the labelled evaluation set (``helpbot eval``)."""

from __future__ import annotations

from bot.config import PROJECT_ROOT
from bot.evaluation import evaluate, format_report, load_cases

EVAL_SET = PROJECT_ROOT / "tests" / "data" / "eval.yaml"


def test_eval_set_is_big_enough_and_labelled_with_real_intents(content) -> None:
    cases = load_cases(EVAL_SET)
    assert len(cases) >= 150
    assert sum(1 for c in cases if c.intent is None) >= 40
    assert {c.intent for c in cases if c.intent} <= set(content.intents)


def test_matcher_meets_the_accuracy_and_fallback_bar(knowledge) -> None:
    report = evaluate(knowledge.matcher, load_cases(EVAL_SET))
    summary = format_report(report)
    assert report.top1_accuracy >= 0.90, summary
    assert report.fallback_recall >= 0.90, summary

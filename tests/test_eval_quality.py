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


VOICES = sorted((PROJECT_ROOT / "tests" / "data").glob("eval_voices_*.yaml"))


def test_the_sets_in_staff_voices_cover_every_area_with_real_intents(content) -> None:
    # Written without reading the intents' examples, the other sets or the staff
    # messages: they are what the threshold sweep sees of how people really write.
    assert len(VOICES) == 3
    cases = [c for path in VOICES for c in load_cases(path)]
    assert len(cases) >= 450
    assert sum(1 for c in cases if c.intent is None) >= 100
    assert {c.intent for c in cases if c.intent} <= set(content.intents)


def test_matcher_holds_its_figures_on_the_sets_in_staff_voices(knowledge) -> None:
    # Floors a little under what was measured when they were set (in brackets).
    report = evaluate(knowledge.matcher, [c for path in VOICES for c in load_cases(path)])
    summary = format_report(report)
    assert report.top1_accuracy >= 0.92, summary  # (0.949)
    assert report.answer_accuracy >= 0.85, summary  # (0.882)
    assert report.fallback_recall >= 0.86, summary  # (0.890)

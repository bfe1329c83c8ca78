"""Choosing the answer thresholds from a sweep (``helpbot sweep``)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from bot.config import PROJECT_ROOT
from bot.core.matcher import Matcher
from bot.evaluation import Case, evaluate, load_cases
from bot.sweep import TIE, judge, sweep

EVAL_SET = PROJECT_ROOT / "tests" / "data" / "eval.yaml"


def test_current_thresholds_are_judged_like_eval_does(knowledge) -> None:
    cases = load_cases(EVAL_SET)
    current = judge(knowledge.matcher, cases)
    report = evaluate(knowledge.matcher, cases)
    assert current.right == report.answer_accuracy
    assert current.fallback == report.fallback_recall


def test_the_best_setting_is_no_worse_than_the_current_one(knowledge) -> None:
    cases = load_cases(EVAL_SET)
    settings = sweep(knowledge.matcher, cases)
    best = max(s.value for s in settings)
    assert settings[0].value >= best - TIE
    assert settings[0].value >= judge(knowledge.matcher, cases).value - TIE
    tied = [s for s in settings if s.value >= best - TIE]
    # Near-ties go to the setting that answers most people right away.
    assert settings[0].right == max(s.right for s in tied)


def test_wrong_answers_cost_more_than_not_answering(content) -> None:
    cases = [
        Case("when is the account secret deadline", "secret_deadline"),
        Case("whats the deadline for the staff survey", None),  # a near miss
    ]
    matcher = Matcher(content)
    reckless = Matcher(content, replace(matcher.thresholds, answer=0.0, suggest=0.0, margin=0.0))
    careful = Matcher(content, replace(matcher.thresholds, answer=0.99, suggest=0.99))
    assert judge(reckless, cases).leaked == 1.0 and judge(careful, cases).leaked == 0.0
    # Answering everything gets the first right and the second wrong; answering nothing
    # gets neither right: the wrong answer costs more than the right one gains.
    assert judge(reckless, cases).value < judge(careful, cases).value
    # A near miss that one view ranks first is not answered even at no bar at all.
    assert judge(reckless, [Case("what is the deadline for my tax return", None)]).leaked == 0


def test_cli_prints_the_current_and_the_best_settings(helpbot, tmp_path: Path) -> None:
    result = helpbot("sweep", str(EVAL_SET))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("value = right + fallback + 0.5 x (offered + asked) - 2 x")
    assert lines[2].endswith("current") and len(lines) >= 4
    assert "only the agreed bars, at the current plain bars and share:" in lines
    assert "only the clear-lead bars, at the current plain and agreed bars and share:" in lines


def test_the_agreed_bars_are_swept_at_the_current_plain_bars(knowledge) -> None:
    from bot.sweep import sweep_agreement

    cases = load_cases(EVAL_SET)
    settings = sweep_agreement(knowledge.matcher, cases)
    plain = knowledge.matcher.thresholds
    assert settings and all(
        (s.thresholds.answer, s.thresholds.suggest, s.thresholds.margin)
        == (plain.answer, plain.suggest, plain.margin)
        for s in settings
    )
    assert all(s.thresholds.agreed_answer <= plain.answer for s in settings)
    # Lowering the bars only when every view agrees answers at least as many people.
    assert max(s.right for s in settings) >= judge(knowledge.matcher, cases).right


def test_the_clear_bars_are_swept_at_the_current_plain_and_agreed_bars(knowledge) -> None:
    from bot.sweep import sweep_clear

    cases = load_cases(EVAL_SET)
    settings = sweep_clear(knowledge.matcher, cases)
    now = knowledge.matcher.thresholds
    fixed = ("answer", "suggest", "margin", "agreed_answer", "agreed_margin")
    assert settings and all(
        [getattr(s.thresholds, f) for f in fixed] == [getattr(now, f) for f in fixed]
        for s in settings
    )
    # A lower bar only with a wider lead: between the suggestion and the plain answer bar.
    assert all(
        now.suggest <= s.thresholds.clear_answer <= now.answer
        and s.thresholds.clear_margin >= now.margin
        for s in settings
    )
    # Switched off (its bars at the plain ones) is one of the settings judged.
    off = replace(now, clear_answer=now.answer, clear_margin=now.margin)
    assert any(s.thresholds == off for s in settings)
    assert settings[0].value >= max(s.value for s in settings) - TIE


def test_a_set_of_only_out_of_scope_cases_is_scored_within_bounds(knowledge) -> None:
    cases = [Case("what is the nhs 111 phone number", None), Case("printer jammed", None)]
    current = judge(knowledge.matcher, cases)
    assert 0.0 <= current.fallback <= 1.0 and current.right == 0.0


def test_an_empty_set_is_refused_with_a_message(helpbot, tmp_path: Path) -> None:
    empty = tmp_path / "empty.yaml"
    empty.write_text("cases: []\n")
    result = helpbot("sweep", str(empty))
    assert result.returncode == 1 and "no cases to sweep over" in result.stderr

"""``helpbot eval``: per-intent precision, recall and F1, and ``--compare REV`` case by case."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from conftest import INTENTS, KNOWLEDGE

from bot.core.matcher import Band
from bot.eval_compare import intent_scores
from bot.evaluation import Case, Outcome, Report

CASES = """cases:
  - {text: what is nhsmail, intent: nhsmail_what}
  - {text: who can use nhsmail, intent: nhsmail_who_can_use}
  - {text: when is the account secret deadline, intent: secret_deadline}
  - {text: whats the weather tomorrow, intent: null}
"""


def outcome(expected: str | None, band: Band, got: str | None) -> Outcome:
    return Outcome(Case("x", expected), band, got, 0.9)


def test_per_intent_scores_count_answers_given_outright() -> None:
    report = Report(
        [
            outcome("a", Band.ANSWER, "a"),
            outcome("a", Band.SUGGEST, "a"),  # offered, not answered: a miss for recall
            outcome("b", Band.ANSWER, "a"),  # a wrong answer: a miss for a's precision
            outcome(None, Band.FALLBACK, None),
        ]
    )
    scores = {s.intent: s for s in intent_scores(report)}
    a, b = scores["a"], scores["b"]
    assert (a.cases, a.answered, a.right) == (2, 2, 1)
    assert (a.precision, a.recall) == (0.5, 0.5) and a.f1 == 0.5
    assert (b.cases, b.answered, b.right, b.f1) == (1, 0, 0, 0.0)
    assert [s.intent for s in intent_scores(report)] == ["b", "a"]  # worst first


def git(*args: str, cwd: Path) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def test_compare_shows_each_case_a_content_change_moved(helpbot, tmp_path: Path) -> None:
    repo = tmp_path / "content"
    shutil.copytree(INTENTS, repo / "intents")
    shutil.copytree(KNOWLEDGE, repo / "knowledge")
    git("init", "-q", cwd=repo)
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "add", ".", cwd=repo)
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-qm", "c", cwd=repo)
    # The edit: the deadline intent loses its examples, so it stops matching.
    path = repo / "intents" / "account_secret.yaml"
    text = path.read_text()
    start = text.index("  - id: secret_deadline")
    end = text.index("  - id:", start + 10)
    block = text[start:end]
    block = block[: block.index("    examples:")] + "    examples:\n      - zebra crossings\n\n"
    path.write_text(text[:start] + block + text[end:])
    cases = tmp_path / "cases.yaml"
    cases.write_text(CASES)
    folders = ("--intents", str(repo / "intents"), "--knowledge", str(repo / "knowledge"))
    done = helpbot("eval", str(cases), "--compare", "HEAD", *folders)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "per intent, answered outright (worst first):" in out
    assert "compared with HEAD:" in out
    [moved] = [line for line in out.splitlines() if "when is the account secret deadline" in line]
    assert moved.startswith("  - [secret_deadline] answer secret_deadline -> ")
    assert "1 case(s) changed: 0 now right, 1 now wrong" in out
    bad = helpbot("eval", str(cases), "--compare", "no-such-revision", *folders)
    assert bad.returncode == 1 and "cannot read 'no-such-revision' from git" in bad.stderr


def test_the_confusion_matrix_puts_right_answers_on_its_diagonal() -> None:
    from bot.eval_html import matrix

    report = Report(
        [
            outcome("a", Band.ANSWER, "a"),
            outcome("a", Band.SUGGEST, "b"),
            outcome("b", Band.ANSWER, "a"),
            outcome("b", Band.ANSWER, "c"),  # an intent no case expected
            outcome(None, Band.FALLBACK, None),
            outcome(None, Band.ANSWER, "a"),  # leaked
        ]
    )
    rows, columns, counts = matrix(report)
    assert rows == ["a", "b", "fallback"]
    assert columns == ["a", "b", "c", "did you mean", "fallback"]
    assert counts == [[1, 0, 0, 1, 0], [1, 0, 1, 0, 0], [1, 0, 0, 0, 1]]


def test_eval_writes_a_page_with_the_matrix_drawn(helpbot, tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(CASES)
    out = tmp_path / "eval.html"
    done = helpbot("eval", str(cases), "--html", str(out))
    assert done.returncode == 0, done.stderr
    written = out.read_text()
    assert written.count("<svg") == 1 and "Confusion matrix" in written
    assert "data:" not in written and 'http-equiv="Content-Security-Policy"' in written


def test_a_page_that_cannot_be_written_is_one_line_not_a_traceback(helpbot, tmp_path: Path) -> None:
    cases = tmp_path / "cases.yaml"
    cases.write_text(CASES)
    nowhere = tmp_path / "no such folder" / "eval.html"
    done = helpbot("eval", str(cases), "--html", str(nowhere))
    assert done.returncode == 1
    assert done.stderr.strip() == f"error: cannot write {nowhere}: No such file or directory"
    assert "top-1 accuracy" in done.stdout  # the figures were still printed

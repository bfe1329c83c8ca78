"""``helpbot validate`` lints content that loads: look-alike examples of two intents,
answers without a source or due for review, what nothing uses; ``--strict``, ``--json``."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from bot.content.lint import due, lint
from bot.content.loader import load_content

TODAY = date(2025, 3, 3)
PHRASES = [
    "how do i reset my password",
    "forgot my password what now",
    "password reset please",
    "i cannot remember my password",
    "help me change a forgotten password",
    "reset password steps",
    "locked out need a new password",
    "where do i reset the password",
]
CONTACTS = """contacts:
  - id: helpdesk
    name: NHSmail Helpdesk
    email: helpdesk@nhs.net
    use_for: anything
"""


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text)
    return folder / name


def intent(id_: str, answer: str, examples: list[str]) -> str:
    lines = "\n".join(f"      - {e}" for e in examples)
    return f"  - id: {id_}\n    title: {id_}?\n    answer: {answer}\n    examples:\n{lines}\n"


@pytest.fixture
def fixture_content(tmp_path: Path) -> tuple[Path, Path]:
    intents, knowledge = tmp_path / "intents", tmp_path / "knowledge"
    write(
        intents,
        "a.yaml",
        "intents:\n"
        + intent("reset", "reset_answer", PHRASES)
        + intent(
            "expired",
            "expired_answer",
            ["my password has expired", "password expiry", "how often does it expire"]
            + ["it says password expired", "expired password help", "new password after expiry"]
            + ["password out of date", "how do i reset my password now"],
        ),
    )
    write(knowledge, "contacts.yaml", CONTACTS)
    write(
        knowledge,
        "answers.yaml",
        """answers:
  - id: reset_answer
    text: Reset it in the portal.
    source: https://support.nhs.net/knowledge-base/reset/
    reviewed: 2023-01-15
    source_date: 2022-12-01
  - id: expired_answer
    text: Passwords expire.
  - id: forgotten_answer
    text: Nobody uses this.
    source: https://support.nhs.net/knowledge-base/nothing/
    reviewed: 2025-02-01
""",
    )
    return intents, knowledge


def messages(intents: Path, knowledge: Path) -> list[str]:
    return [
        f"{p.path.name}:{p.line}: {p.message}"
        for p in lint(load_content(intents, knowledge), TODAY)
    ]


def test_two_intents_with_look_alike_examples_are_named_with_both_phrases(
    fixture_content: tuple[Path, Path],
) -> None:
    found = messages(*fixture_content)
    [similar] = [m for m in found if "hard to tell" in m]
    assert similar.startswith("a.yaml:")
    assert "example 'how do i reset my password now' of intent 'expired'" in similar
    assert "example 'how do i reset my password' of intent 'reset'" in similar
    assert "(similarity " in similar


def test_answers_without_a_source_or_due_for_review_are_warned_about(
    fixture_content: tuple[Path, Path],
) -> None:
    found = messages(*fixture_content)
    assert any("answer 'expired_answer' has no source link" in m for m in found)
    assert any(
        "answer 'reset_answer' was last reviewed on 2023-01-15, over 12 months ago" in m
        for m in found
    )
    assert not any("forgotten_answer' was last reviewed" in m for m in found)  # recent
    assert any("answer 'forgotten_answer' is used by no intent" in m for m in found)


def test_a_review_is_due_after_whole_calendar_months() -> None:
    assert not due(date(2024, 3, 3), TODAY)  # twelve months to the day
    assert due(date(2024, 3, 2), TODAY)
    assert not due(date(2024, 9, 3), TODAY, months=6)
    assert due(date(2024, 9, 2), TODAY, months=6)


def test_a_short_intent_is_warned_about(fixture_content: tuple[Path, Path]) -> None:
    intents, knowledge = fixture_content
    text = (intents / "a.yaml").read_text().replace("      - password out of date\n", "")
    (intents / "a.yaml").write_text(text)
    assert any("intent 'expired' has 7 examples" in m for m in messages(intents, knowledge))


def test_validate_groups_by_file_fails_when_strict_and_speaks_json(
    fixture_content: tuple[Path, Path], helpbot
) -> None:
    intents, knowledge = fixture_content
    folders = ("--intents", str(intents), "--knowledge", str(knowledge))
    plain = helpbot("validate", *folders)
    assert plain.returncode == 0
    headers = [line for line in plain.stderr.splitlines() if not line.startswith("  ")]
    assert headers == [f"{intents / 'a.yaml'}:", f"{knowledge / 'answers.yaml'}:"]
    assert "warning(s)" in plain.stdout
    assert helpbot("validate", "--strict", *folders).returncode == 1
    shown = json.loads(helpbot("validate", "--json", *folders).stdout)
    assert {f["file"] for f in shown} == {str(intents / "a.yaml"), str(knowledge / "answers.yaml")}
    assert all(set(f) == {"file", "line", "severity", "message"} for f in shown)
